/**
 * `deno run --allow-net=127.0.0.1 --allow-run --allow-read --allow-env bench/large_answers.ts
 * [--batches N] [--services N] [--heap-mb N]`: the server, its heap capped
 * (`--v8-flags=--max-old-space-size`, 1024 MiB by default), asked batch after
 * batch of 30 new keywords whose every registry answer lists 50 000 services.
 * It must answer every batch: one answer is cut to what a result can show and
 * the cache is bounded by size. Prints each batch's time and the server's RSS;
 * exits 1 when a batch was not answered. Not part of `deno task bench`'s
 * targets: it takes minutes and measures survival, not speed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { HOUR_MS, jwtExpiringAt, tokenAnswer } from "../tests/fake_upstream.ts";
import { Client, StreamableHTTPClientTransport } from "../tests/mcp_client.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { startAnnouncingProcess, upstreamArgs } from "../tests/server_process.ts";
import { mib, rssOf } from "./report.ts";

const KEYWORDS_PER_BATCH = 30;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A registry on 127.0.0.1 whose every search lists `services` small services under the keyword. */
function serveLargeRegistry(services: number) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/auth")) return tokenAnswer(jwtExpiringAt(Date.now() + HOUR_MS));
    const keyword = url.searchParams.get("keyword") ?? "";
    const data = Array.from({ length: services }, (_, i) => ({
      psm: `${keyword}.svc.s${i}`,
      owners: "bench.owner",
      level: "P2",
      description: `Service ${i} of ${keyword}`,
    }));
    return Response.json({ error_code: 0, data });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const regions = ["cn", "us"].map((name) => ({ name, baseUrl: `${origin}/${name}` }));
  return {
    args: upstreamArgs(`${origin}/auth/api/v1/jwt`, regions),
    close: () => server.shutdown(),
  };
}

async function main(args: string[]): Promise<number> {
  const options = parseArgs({
    args,
    options: {
      batches: { type: "string", default: "10" },
      services: { type: "string", default: "50000" },
      "heap-mb": { type: "string", default: "1024" },
    },
  }).values;
  const registry = serveLargeRegistry(Number(options.services));
  const server = await startAnnouncingProcess([
    "run",
    `--v8-flags=--max-old-space-size=${options["heap-mb"]}`,
    ...PERMISSION_FLAGS,
    MAIN,
    ...["--host", "127.0.0.1", "--port", "0", "--log-level", "error", ...registry.args],
  ], { CAS_SESSION: "bench-dummy-session" });
  const client = new Client({ name: "large-answers", version: "0" });
  let failed = false;
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    console.log(`| batch | keywords answered | time | server RSS |`);
    console.log(`| ----- | ----------------- | ---- | ---------- |`);
    for (let batch = 1; batch <= Number(options.batches); batch++) {
      const keywords = Array.from({ length: KEYWORDS_PER_BATCH }, (_, i) => `b${batch}k${i}`);
      const started = performance.now();
      const answered = await client.callTool(
        {
          name: "search_multiple_services",
          arguments: { keywords: keywords.join(",") },
        },
        undefined,
        { timeout: 600_000 },
      ).then(
        (result) => (result.structuredContent as { results: unknown[] }).results.length,
        () => 0,
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const rss = await rssOf(server.pid).then(mib, () => "gone");
      console.log(`| ${batch} | ${answered} of ${keywords.length} | ${seconds} s | ${rss} |`);
      if (answered !== keywords.length) {
        failed = true;
        break;
      }
    }
  } finally {
    await client.close().catch(() => {});
    // A server that ran out of memory has already exited: there is nothing to stop.
    const status = await server.stop().then(({ code }) => `exit code ${code}`, () => "exited");
    await registry.close();
    if (failed) console.error(server.output().stderr.slice(-2_000), status);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
