import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import type { Fetch } from "../../src/upstream.ts";
import { settle } from "../fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "../harness.ts";
import { createTestApp } from "../http_app.ts";

const MIB = 1024 * 1024;

const TWELVE_KEYWORDS = {
  tool: "search_multiple_services",
  arguments: {
    keywords: Array.from({ length: 12 }, (_, i) => `left.by.client.${i}`).join(","),
  },
};

/** An upstream whose searches hang until aborted, counting those started and aborted. */
function countingHangingUpstream() {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const counts = { started: 0, aborted: 0 };
  const fetch: Fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(config.authUrl)) return demo(input, init);
    counts.started++;
    return new Promise((_, reject) => {
      request.signal.addEventListener("abort", () => {
        counts.aborted++;
        reject(request.signal.reason);
      }, { once: true });
    });
  };
  return { config, fetch, counts };
}

async function until(condition: () => boolean, turns = 1_000) {
  for (let turn = 0; turn < turns && !condition(); turn++) await settle();
  assert.ok(condition(), "the condition came true");
}

function plainCall(body: unknown, signal?: AbortSignal) {
  return new Request("http://localhost/mcp", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

Deno.test("a plain call whose client leaves stops its upstream work at once", async () => {
  const upstream = countingHangingUpstream();
  const app = createTestApp("localhost", { config: upstream.config, fetch: upstream.fetch });
  try {
    const client = new AbortController();
    const answer = app.handle(plainCall(TWELVE_KEYWORDS, client.signal));
    await until(() => upstream.counts.started > 0);
    client.abort();
    await until(() => upstream.counts.aborted > 0);
    await answer;
    await settle();
    assert.equal(upstream.counts.aborted, upstream.counts.started, "no search outlived the call");
  } finally {
    await app.close();
  }
});

Deno.test("under Deno.serve a plain call's upstream work stops when the client disconnects", async () => {
  const upstream = countingHangingUpstream();
  const app = createTestApp("127.0.0.1", { config: upstream.config, fetch: upstream.fetch });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.handle);
  try {
    const client = new AbortController();
    const request = fetch(`http://127.0.0.1:${server.addr.port}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(TWELVE_KEYWORDS),
      signal: client.signal,
    });
    await until(() => upstream.counts.started > 0, 100_000);
    client.abort();
    await assert.rejects(request);
    // The disconnection travels through the socket: wait for it in real time, within bounds.
    for (let wait = 0; wait < 100 && upstream.counts.aborted === 0; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(upstream.counts.aborted > 0, "the searches were aborted while the handler ran");
  } finally {
    await app.close();
    await server.shutdown();
  }
});

interface LimitedRoute {
  name: string;
  stateless?: boolean;
  /** The URL to POST to, once the app is ready. */
  url(app: HttpApp): Promise<string>;
  /** One message of about `bytes` bytes that the route accepts. */
  message(bytes: number): unknown;
  headers: Record<string, string>;
}

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

function padded(bytes: number) {
  return {
    ...INITIALIZE_REQUEST,
    params: { ...INITIALIZE_REQUEST.params, pad: "x".repeat(bytes) },
  };
}

const ROUTES: LimitedRoute[] = [
  {
    name: "/mcp",
    url: () => Promise.resolve("http://localhost/mcp"),
    message: padded,
    headers: MCP_HEADERS,
  },
  {
    name: "/mcp stateless",
    stateless: true,
    url: () => Promise.resolve("http://localhost/mcp"),
    message: padded,
    headers: MCP_HEADERS,
  },
  {
    name: "/mcp plain call",
    url: () => Promise.resolve("http://localhost/mcp"),
    message: (bytes) => ({ tool: "search_psm_service", arguments: { keyword: "x".repeat(bytes) } }),
    headers: { "content-type": "application/json" },
  },
  {
    name: "/messages",
    async url(app) {
      const stream = await app.handle(new Request("http://localhost/sse"));
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      const { value = "" } = await reader.read();
      const endpoint = value.match(/data: (\S+)/)?.[1];
      assert.ok(endpoint, "the stream named its endpoint");
      return new URL(endpoint, "http://localhost").href;
    },
    message: padded,
    headers: { "content-type": "application/json" },
  },
];

for (const route of ROUTES) {
  Deno.test(`${route.name} refuses a body over 1 MiB (413) and a batch over 32 messages (400)`, async () => {
    const app = createTestApp("localhost", { stateless: route.stateless });
    try {
      const url = await route.url(app);
      const send = (body: unknown) =>
        app.handle(
          new Request(url, { method: "POST", headers: route.headers, body: JSON.stringify(body) }),
        );
      const tooLarge = await send(route.message(MIB));
      assert.equal(tooLarge.status, 413);
      assert.match((await tooLarge.json()).error.message, /send at most 1048576 bytes/);
      const atLimit = await send(route.message(MIB - 1_000));
      assert.notEqual(atLimit.status, 413, "a body under the limit is read");
      await atLimit.body?.cancel();

      const batch = (count: number) => Array.from({ length: count }, () => route.message(10));
      const tooMany = await send(batch(33));
      assert.equal(tooMany.status, 400);
      assert.match((await tooMany.json()).error.message, /^Batch too large: send at most 32/);
    } finally {
      await app.close();
    }
  });
}
