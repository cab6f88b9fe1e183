/**
 * Upstream requests go through the proxy that HTTP_PROXY names: Deno's fetch
 * applies it by itself, without any permission. The upstream host names do
 * not resolve, so only the proxy can answer them.
 */
import assert from "node:assert/strict";
import { createDemoUpstream } from "../src/demo.ts";
import { SENTINEL_COOKIE, textOf } from "./harness.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";
import { runServer, startServer } from "./server_process.ts";

const ORIGIN = "http://neptune.proxy-test.invalid";
const AUTH_URL = `${ORIGIN}/auth/api/v1/jwt`;
const REGIONS = [
  { name: "cn", baseUrl: `${ORIGIN}/cn` },
  { name: "us", baseUrl: `${ORIGIN}/us` },
];
const UPSTREAM_ARGS = [
  "--auth-url",
  AUTH_URL,
  ...REGIONS.flatMap((r) => ["--region", `${r.name}=${r.baseUrl}`]),
];

/** A forward proxy on 127.0.0.1 that answers absolute-form requests from the demo upstream. */
function serveProxy() {
  const seen: { url: string; proxyAuthorization: string | null }[] = [];
  const answer = createDemoUpstream({ regions: REGIONS, authUrl: AUTH_URL, now: Date.now });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    seen.push({
      url: request.url,
      proxyAuthorization: request.headers.get("proxy-authorization"),
    });
    return answer(request);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("with HTTP_PROXY set, the server's upstream requests go through the proxy and a search succeeds", async () => {
  const proxy = serveProxy();
  const server = await startServer(UPSTREAM_ARGS, {
    CAS_SESSION: SENTINEL_COOKIE,
    HTTP_PROXY: proxy.url,
  });
  const client = new Client({ name: "behind-a-proxy", version: "0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const found = await client.callTool({
      name: "search_psm_service",
      // Candidates only: the answer waits for both regions.
      arguments: { keyword: "oec.live.promo" },
    });
    assert.match(textOf(found), /No service is named exactly "oec\.live\.promo"; 3 services match/);
  } finally {
    await client.close();
    await server.stop();
    await proxy.close();
  }
  const paths = proxy.seen.map(({ url }) => new URL(url)).map((u) => `${u.host}${u.pathname}`);
  assert.deepEqual(paths.sort(), [
    "neptune.proxy-test.invalid/auth/api/v1/jwt",
    "neptune.proxy-test.invalid/cn/api/neptune/ms/service/search",
    "neptune.proxy-test.invalid/us/api/neptune/ms/service/search",
  ]);
});

Deno.test("doctor checks through the proxy, sends its credentials to it, and shows it without them", async () => {
  const proxy = serveProxy();
  const address = new URL(proxy.url);
  let result;
  try {
    result = await runServer(["doctor", "--json", ...UPSTREAM_ARGS], {
      CAS_SESSION: SENTINEL_COOKIE,
      HTTP_PROXY: `http://alice:s3cret-pass@${address.host}`,
    });
  } finally {
    await proxy.close();
  }
  const { code, stdout, stderr } = result;
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.equal(report.ok, true);
  const proxyCheck = report.checks.find((c: { name: string }) => c.name === "proxy");
  assert.match(
    proxyCheck.detail,
    new RegExp(`^HTTP_PROXY=http://127\\.0\\.0\\.1:${address.port};`),
  );
  assert.ok(!stdout.includes("s3cret") && !stderr.includes("s3cret"), "no proxy password");
  assert.ok(!stdout.includes(SENTINEL_COOKIE) && !stderr.includes(SENTINEL_COOKIE), "no cookie");
  assert.ok(proxy.seen.length >= 3);
  assert.equal(proxy.seen[0]!.proxyAuthorization, `Basic ${btoa("alice:s3cret-pass")}`);
});
