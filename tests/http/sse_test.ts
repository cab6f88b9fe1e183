import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import { EVICTED } from "../../src/http/sessions.ts";
import { SHUTTING_DOWN } from "../../src/shutdown.ts";
import {
  BACKED_UP,
  SseServerTransport,
  StreamBackedUpError,
  UnsentBudget,
} from "../../src/http/sse.ts";
import { Secret } from "../../src/secret.ts";
import { fakeClock } from "../fake_upstream.ts";
import { INITIALIZE_REQUEST, textOf } from "../harness.ts";
import { createTestApp, hangingUpstream, SEARCH_CALL } from "../http_app.ts";
import { Client, SSEClientTransport } from "../mcp_client.ts";

interface SseEvent {
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads server-sent events from `body` one at a time. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<SseEvent> {
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("The stream ended");
        buffer += value;
      }
      const end = buffer.indexOf("\n\n");
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) event.comment = line.slice(1).trim();
        const [field, ...rest] = line.split(": ");
        if (field === "event" || field === "data") event[field] = rest.join(": ");
      }
      return event;
    },
    cancel: () => reader.cancel(),
  };
}

async function openSse(app: HttpApp, headers: Record<string, string> = {}) {
  const response = await app.handle(new Request("http://localhost/sse", { headers }));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const events = eventReader(response.body!);
  const endpoint = await events.next();
  assert.equal(endpoint.event, "endpoint");
  return { events, endpoint: endpoint.data! };
}

function postMessage(app: HttpApp, endpoint: string, message: unknown, headers = {}) {
  return app.handle(
    new Request(new URL(endpoint, "http://localhost"), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(message),
    }),
  );
}

/** Serves `app` on a free 127.0.0.1 port for the duration of `test`. */
async function withServed(app: HttpApp, test: (origin: string) => Promise<void>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.handle);
  try {
    await test(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await app.close();
    await server.shutdown();
  }
}

Deno.test("GET /sse opens a stream whose first event is the endpoint to POST to", async () => {
  const app = createTestApp();
  const { events, endpoint } = await openSse(app);
  assert.match(endpoint, /^\/messages\?sessionId=[0-9a-f-]{36}$/);
  assert.equal(app.sessionCount(), 1);

  const accepted = await postMessage(app, endpoint, INITIALIZE_REQUEST);
  assert.equal(accepted.status, 202);
  assert.equal(await accepted.text(), "Accepted");
  const answer = await events.next();
  assert.equal(answer.event, "message");
  const message = JSON.parse(answer.data!);
  assert.equal(message.id, 1);
  assert.equal(message.result.serverInfo.name, "byted-live-promotion");

  await events.cancel();
  assert.equal(app.sessionCount(), 0, "the client going away ends the session");
});

Deno.test("an SDK SSE client lists and calls the tools over a served port", async () => {
  const app = createTestApp();
  await withServed(app, async (origin) => {
    const client = new Client({ name: "sse-test", version: "0" });
    await client.connect(new SSEClientTransport(new URL(`${origin}/sse`)));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === "search_multiple_services"));
      const result = await client.callTool({
        name: "search_psm_service",
        arguments: { keyword: "oec.live.promotion" },
      });
      assert.match(textOf(result), /Found oec\.live\.promotion in cn, us/);
      assert.equal(app.sessionCount(), 1);
    } finally {
      await client.close();
    }
  });
});

Deno.test("POST /messages without a sessionId is 400, with an unknown one 404", async () => {
  const app = createTestApp();
  const missing = await postMessage(app, "/messages", INITIALIZE_REQUEST);
  assert.equal(missing.status, 400);
  assert.match((await missing.json()).error.message, /sessionId query parameter is missing/);
  const unknown = await postMessage(app, "/messages?sessionId=nope", INITIALIZE_REQUEST);
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json()).error.message, /reconnect to \/sse/);
});

Deno.test("a POST that is not a JSON-RPC message is 400 and the stream stays open", async () => {
  const app = createTestApp();
  const { events, endpoint } = await openSse(app);
  const invalid = await postMessage(app, endpoint, { hello: "world" });
  assert.equal(invalid.status, 400);
  assert.match((await invalid.json()).error.message, /Invalid JSON-RPC message/);
  for (const batch of [[], [INITIALIZE_REQUEST, { hello: "world" }]]) {
    assert.equal((await postMessage(app, endpoint, batch)).status, 400);
  }
  assert.equal(app.sessionCount(), 1);
  await events.cancel();
});

Deno.test("/sse and /messages need the bearer token when one is configured", async () => {
  const app = createTestApp("localhost", { authToken: new Secret("sse-token") });
  const refused = await app.handle(new Request("http://localhost/sse"));
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  const { events, endpoint } = await openSse(app, { authorization: "Bearer sse-token" });
  const post = await postMessage(app, endpoint, INITIALIZE_REQUEST);
  assert.equal(post.status, 401, "POST /messages is guarded too");
  await post.body?.cancel();
  await events.cancel();
});

function initializeMcp(app: HttpApp) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(INITIALIZE_REQUEST),
    }),
  );
}

Deno.test("SSE streams and /mcp sessions share one session table: a new one makes room from either", async () => {
  const app = createTestApp("localhost", { maxSessions: 1 });
  const sse = await openSse(app);
  const mcp = await initializeMcp(app);
  assert.equal(mcp.status, 200, "the idle /sse stream made room");
  await mcp.body?.cancel();
  await assert.rejects(() => sse.events.next(), /The stream ended/);
  const late = await postMessage(app, sse.endpoint, INITIALIZE_REQUEST);
  assert.equal(late.status, 404);
  assert.equal((await late.json()).error.message, EVICTED);
  assert.equal(app.sessionCount(), 1);

  const next = await openSse(app);
  const mcpLate = await app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": mcp.headers.get("mcp-session-id")!,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
    }),
  );
  assert.equal(mcpLate.status, 404, "the /mcp session made room for the new stream");
  assert.equal((await mcpLate.json()).error.message, EVICTED);
  await next.events.cancel();
});

Deno.test("an SSE stream with a call in flight keeps its slot: a new session is refused 503", async () => {
  const upstream = hangingUpstream();
  const app = createTestApp("localhost", { maxSessions: 1, fetch: upstream.fetch });
  const { events, endpoint } = await openSse(app);
  await postMessage(app, endpoint, INITIALIZE_REQUEST).then((r) => r.body?.cancel());
  await events.next();
  await postMessage(app, endpoint, SEARCH_CALL).then((r) => r.body?.cancel());
  await upstream.started;
  const mcp = await initializeMcp(app);
  assert.equal(mcp.status, 503);
  assert.match(mcp.headers.get("retry-after") ?? "", /^\d+$/);
  await mcp.body?.cancel();
  await app.close();
  await events.cancel();
});

Deno.test("a quiet stream gets keep-alive comments", async () => {
  const app = createTestApp("localhost", { sseKeepAliveMs: 5 });
  const { events } = await openSse(app);
  // The keep-alive timer is unref'd: this one holds the event loop open meanwhile.
  const hold = setInterval(() => {}, 1_000);
  try {
    assert.equal((await events.next()).comment, "keep-alive");
  } finally {
    clearInterval(hold);
    await events.cancel();
  }
});

Deno.test("a stream whose client never POSTs expires after the initialize timeout", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, initializeTimeoutMs: 60_000 });
  const silent = await openSse(app);
  const used = await openSse(app);
  const accepted = await postMessage(app, used.endpoint, INITIALIZE_REQUEST);
  await accepted.body?.cancel();
  clock.advance(61_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "only the stream that never sent a message was closed");
  await assert.rejects(() => silent.events.next(), /The stream ended/);
  await used.events.cancel();
});

Deno.test("shutdown answers a call in flight on the stream, aborts its upstream work and ends the stream", async () => {
  const upstream = hangingUpstream();
  const app = createTestApp("localhost", { fetch: upstream.fetch });
  const { events, endpoint } = await openSse(app);
  await postMessage(app, endpoint, INITIALIZE_REQUEST).then((r) => r.body?.cancel());
  await events.next();
  await postMessage(app, endpoint, SEARCH_CALL).then((r) => r.body?.cancel());
  await upstream.started;
  await app.close({ deadlineMs: 20 });
  const answer = JSON.parse((await events.next()).data!);
  assert.equal(answer.id, 7);
  assert.deepEqual(answer.error, SHUTTING_DOWN);
  assert.ok(upstream.aborted.length > 0, "its upstream requests were aborted");
  await assert.rejects(() => events.next(), /The stream ended/);
  assert.equal(app.sessionCount(), 0);
  const late = await app.handle(new Request("http://localhost/sse"));
  assert.equal(late.status, 503, "no new stream once closing");
  await late.body?.cancel();
});

Deno.test("a stateless server does not serve the legacy SSE transport", async () => {
  const app = createTestApp("localhost", { stateless: true });
  const response = await app.handle(new Request("http://localhost/sse"));
  assert.equal(response.status, 404);
  assert.match((await response.json()).error, /needs sessions.*connect to \/mcp/);
});

Deno.test("a POST to /messages over the body limit is 413 and the stream stays open", async () => {
  const app = createTestApp("localhost", { maxBodyBytes: 1024 });
  const { events, endpoint } = await openSse(app);
  const big = await postMessage(app, endpoint, {
    ...INITIALIZE_REQUEST,
    padding: "x".repeat(2048),
  });
  assert.equal(big.status, 413);
  await big.body?.cancel();
  assert.equal(app.sessionCount(), 1);
  await events.cancel();
});

Deno.test("a POST to /messages with a batch of more than 32 messages is 400 and none is served", async () => {
  const app = createTestApp("localhost");
  const { events, endpoint } = await openSse(app);
  const pings = (count: number, firstId: number) =>
    Array.from({ length: count }, (_, i) => ({ jsonrpc: "2.0", id: firstId + i, method: "ping" }));
  const refused = await postMessage(app, endpoint, pings(33, 1));
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error.message, /^Batch too large: send at most 32/);
  const accepted = await postMessage(app, endpoint, pings(32, 101));
  assert.equal(accepted.status, 202, "a batch at the limit is accepted");
  await accepted.body?.cancel();
  const first = await events.next();
  assert.equal(
    JSON.parse(first.data!).id,
    101,
    "the stream carries no answer to the refused batch",
  );
  await events.cancel();
});

Deno.test("an SSE session that posted once still idles out like any other", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, sessionIdleMs: 60_000 });
  const { events, endpoint } = await openSse(app);
  await postMessage(app, endpoint, INITIALIZE_REQUEST).then((r) => r.body?.cancel());
  await events.next();
  clock.advance(59_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "not idle long enough yet");
  clock.advance(2_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0, "the open stream does not keep an idle session");
  await assert.rejects(() => events.next(), /The stream ended/);
});

Deno.test("an SSE stream its client never reads holds at most the unsent limit, then closes", async () => {
  const limit = 4096;
  const transport = new SseServerTransport({ sseMaxUnsentBytes: limit });
  let closed = false;
  transport.onclose = () => closed = true;
  await transport.start();
  const answer = { jsonrpc: "2.0" as const, id: 1, result: { text: "x".repeat(300) } };
  for (let i = 0; i < 100 && !closed; i++) {
    await transport.send(answer);
    assert.ok(transport.unsentBytes() <= limit, `${transport.unsentBytes()} bytes queued`);
  }
  assert.ok(closed, "the session was closed once the limit was reached");
  await assert.rejects(() => transport.send(answer), /Not connected/);
});

/** POSTs `tools/list` calls, up to `most`, until one is refused 404; returns that answer. */
async function postUntilRefused(app: HttpApp, endpoint: string, most: number) {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < most; i++) {
    const response = await postMessage(app, endpoint, {
      jsonrpc: "2.0",
      id: i,
      method: "tools/list",
    });
    if (response.status === 404) return response;
    await response.body?.cancel();
    await tick();
  }
  return undefined;
}

Deno.test("a client that never reads its /sse stream loses the session; its posts are then 404", async () => {
  const app = createTestApp("localhost", { sseMaxUnsentBytes: 16 * 1024 });
  const { endpoint } = await openSse(app);
  const refused = await postUntilRefused(app, endpoint, 200);
  assert.ok(refused, "the posts were refused once the stream backed up");
  assert.equal((await refused.json()).error.message, BACKED_UP);
  assert.equal(app.sessionCount(), 0);
});

/** Runs `test` on a stream whose session has call 7 (SEARCH_CALL) hanging upstream. */
async function withCallInFlight(
  test: (
    session: Awaited<ReturnType<typeof openSse>> & {
      app: HttpApp;
      upstream: ReturnType<typeof hangingUpstream>;
    },
  ) => Promise<void>,
) {
  const upstream = hangingUpstream();
  const app = createTestApp("localhost", { fetch: upstream.fetch });
  const { events, endpoint } = await openSse(app);
  try {
    await postMessage(app, endpoint, INITIALIZE_REQUEST).then((r) => r.body?.cancel());
    await events.next();
    await postMessage(app, endpoint, SEARCH_CALL).then((r) => r.body?.cancel());
    await upstream.started;
    await test({ app, upstream, events, endpoint });
  } finally {
    await app.close();
    await events.cancel();
  }
}

Deno.test("/messages refuses a request whose id is still in flight in the session, and a batch that repeats one", async () => {
  await withCallInFlight(async ({ app, events, endpoint }) => {
    const taken = await postMessage(app, endpoint, { jsonrpc: "2.0", id: 7, method: "ping" });
    assert.equal(taken.status, 409);
    const refusal = await taken.json();
    assert.equal(refusal.id, null);
    assert.match(refusal.error.message, /^Request id 7 is in use by a call still in flight/);
    const repeated = await postMessage(app, endpoint, [
      { jsonrpc: "2.0", id: 8, method: "ping" },
      { jsonrpc: "2.0", id: 8, method: "tools/list" },
    ]);
    assert.equal(repeated.status, 400);
    assert.match((await repeated.json()).error.message, /^Batch repeats request id 8/);

    const free = await postMessage(app, endpoint, { jsonrpc: "2.0", id: 9, method: "ping" });
    assert.equal(free.status, 202);
    await free.body?.cancel();
    assert.equal(
      JSON.parse((await events.next()).data!).id,
      9,
      "nothing refused reached the stream",
    );
  });
});

Deno.test("/messages: a request the client cancelled is in flight no longer, and its id may serve again", async () => {
  await withCallInFlight(async ({ app, upstream, events, endpoint }) => {
    const cancelled = await postMessage(app, endpoint, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 7, reason: "user pressed stop" },
    });
    assert.equal(cancelled.status, 202);
    await cancelled.body?.cancel();
    assert.ok(upstream.aborted.length > 0, "the cancelled call's searches were aborted");
    const reused = await postMessage(app, endpoint, { jsonrpc: "2.0", id: 7, method: "ping" });
    assert.equal(reused.status, 202);
    await reused.body?.cancel();
    assert.deepEqual(JSON.parse((await events.next()).data!), {
      jsonrpc: "2.0",
      id: 7,
      result: {},
    });
  });
});

Deno.test("the unsent bytes of every SSE stream together stay within the budget; the stream with the most is closed", async () => {
  const budget = new UnsentBudget(10 * 1024);
  const transports = Array.from(
    { length: 5 },
    () => new SseServerTransport({ sseMaxUnsentBytes: 8 * 1024 }, budget),
  );
  const closed: number[] = [];
  const errors: unknown[] = [];
  transports.forEach((transport, index) => {
    transport.onclose = () => closed.push(index);
    transport.onerror = (error) => errors.push(error);
  });
  for (const transport of transports) await transport.start();
  const total = () => transports.reduce((sum, t) => sum + t.unsentBytes(), 0);
  const answer = (size: number) => ({
    jsonrpc: "2.0" as const,
    id: 1,
    result: { text: "x".repeat(size) },
  });
  // Stream 0 is behind the most; then everyone writes in turn, each under its own 8 KiB.
  await transports[0]!.send(answer(3_000));
  for (let round = 0; round < 6; round++) {
    for (const transport of transports) {
      await transport.send(answer(300)).catch(() => {});
      assert.ok(total() <= 10 * 1024, `${total()} bytes unsent in all`);
    }
  }
  assert.equal(closed[0], 0, "the stream that left the most unread was closed first");
  assert.ok(errors.every((error) => error instanceof StreamBackedUpError));
  assert.match(String(errors[0]), /held over 10240 unsent bytes together/);
  for (const transport of transports) await transport.close();
});

Deno.test("a client past the all-streams budget loses its session, though under its own limit", async () => {
  const app = createTestApp("localhost", {
    sseMaxUnsentBytes: 1024 * 1024,
    sseMaxTotalUnsentBytes: 16 * 1024,
  });
  const { endpoint } = await openSse(app);
  const refused = await postUntilRefused(app, endpoint, 50);
  assert.ok(refused, "the posts were refused once the streams together backed up");
  assert.equal((await refused.json()).error.message, BACKED_UP);
});

Deno.test("an SSE transport has a request pending from its arrival until its answer or cancellation", async () => {
  const transport = new SseServerTransport();
  await transport.start();
  assert.equal(transport.unanswered.size > 0, false);
  transport.handleMessage({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  transport.handleMessage({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  assert.equal(transport.unanswered.size > 0, true);
  await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
  assert.equal(transport.unanswered.size > 0, true, "request 2 is still unanswered");
  transport.handleMessage({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 2, reason: "the client gave up" },
  });
  assert.equal(transport.unanswered.size > 0, false);
  await transport.close();
});
