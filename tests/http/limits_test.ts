import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import type { Fetch } from "../../src/upstream.ts";
import { recordingLogger, settle } from "../fake_upstream.ts";
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

/**
 * A POST to /mcp whose body sends `start`, then `end`s it (an error) or never
 * ends; it declares `declaredLength` when given.
 */
function dribbledPost(start: string, end?: Error, declaredLength?: number) {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(start));
      if (end) controller.error(end);
    },
    cancel() {
      cancelled = true;
    },
  });
  const request = new Request("http://localhost/mcp", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(declaredLength !== undefined && { "content-length": String(declaredLength) }),
    },
    body,
  });
  return { request, cancelled: () => cancelled };
}

Deno.test("a body not received whole in time is answered 408 and no longer read", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", { bodyTimeoutMs: 20, logger });
  const post = dribbledPost('{"tool":');
  const response = await app.handle(post.request);
  assert.equal(response.status, 408);
  assert.match((await response.json()).error.message, /within 20 ms/);
  assert.ok(post.cancelled(), "the body's stream was cancelled");
  assert.ok(logger.lines.every((line) => line.startsWith("debug ")), logger.lines.join("\n"));
  await app.close();
});

Deno.test("a small body that declares its length, not received whole in time, is answered 408 too", async () => {
  const app = createTestApp("localhost", { bodyTimeoutMs: 20 });
  const response = await app.handle(dribbledPost('{"tool":', undefined, 100).request);
  assert.equal(response.status, 408);
  await response.body?.cancel();
  await app.close();
});

Deno.test("a client that goes away in the middle of its body is one debug line, without a stack", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", { logger });
  const gone = new Deno.errors.BadResource("Cannot read body as underlying resource unavailable");
  const response = await app.handle(dribbledPost('{"tool":', gone).request);
  assert.equal(response.status, 400);
  await response.body?.cancel();
  const noted = logger.lines.filter((line) =>
    /went away while sending its request body/.test(line)
  );
  assert.equal(noted.length, 1, logger.lines.join("\n"));
  assert.match(noted[0]!, /^debug .*BadResource: Cannot read body/);
  assert.ok(logger.lines.every((line) => !line.includes("\n")), "no stack trace");
  assert.ok(logger.lines.every((line) => line.startsWith("debug ")), logger.lines.join("\n"));
  await app.close();
});

// Deno.serve keeps the connection until the client sends the rest or leaves (nothing in its API
// closes it): the handler, its timer and what it read are freed; the socket is the proxy's job.
for (const declared of [100_000, 100]) {
  Deno.test(`over a real socket a dribbled body of ${declared} bytes is answered 408 once its time is up`, async () => {
    const app = createTestApp("localhost", { bodyTimeoutMs: 50 });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.handle);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    // Ends the test rather than hanging it when no answer comes.
    const giveUp = setTimeout(() => conn.close(), 10_000);
    try {
      await conn.write(new TextEncoder().encode(
        "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
          `Content-Length: ${declared}\r\n\r\n{"tool":`,
      ));
      let answer = "";
      const buffer = new Uint8Array(4096);
      while (!answer.includes("within 50 ms")) {
        const read = await conn.read(buffer);
        assert.ok(read !== null, `the connection ended after ${JSON.stringify(answer)}`);
        answer += new TextDecoder().decode(buffer.subarray(0, read));
      }
      assert.match(answer, /^HTTP\/1\.1 408 /);
    } finally {
      clearTimeout(giveUp);
      conn.close();
      await app.close();
      await server.shutdown();
    }
  });
}
