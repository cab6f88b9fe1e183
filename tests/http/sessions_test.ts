import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import { requireBearer } from "../../src/http/guards.ts";
import type { RequestContext } from "../../src/http/route.ts";
import { answerShuttingDown, clientOf, EVICTED } from "../../src/http/sessions.ts";
import type { JSONRPCMessage, RequestId } from "../../src/mcp_sdk.ts";
import { SHUTTING_DOWN } from "../../src/shutdown.ts";
import { Secret } from "../../src/secret.ts";
import { fakeClock, recordingLogger } from "../fake_upstream.ts";
import { INITIALIZE_REQUEST } from "../harness.ts";
import { createTestApp, postMcp } from "../http_app.ts";

const TOKEN = "SENTINEL-TOKEN-8c1d";

/**
 * POSTs `message` to /mcp as a client at `address` would reach a served app,
 * and reads the whole answer.
 */
async function post(
  app: HttpApp,
  message: object,
  { sessionId, address = "192.0.2.1", token }: {
    sessionId?: string;
    address?: string;
    token?: string;
  } = {},
) {
  const completed = Promise.withResolvers<void>();
  const response = await postMcp(app, message, {
    ...(sessionId && { "mcp-session-id": sessionId }),
    ...(token && { authorization: `Bearer ${token}` }),
  }, {
    completed: completed.promise,
    remoteAddr: { transport: "tcp", hostname: address, port: 40000 },
  });
  const text = await response.text();
  completed.resolve();
  return { status: response.status, sessionId: response.headers.get("mcp-session-id"), text };
}

async function initialize(app: HttpApp, options: { address?: string; token?: string } = {}) {
  const { status, sessionId } = await post(app, INITIALIZE_REQUEST, options);
  assert.equal(status, 200);
  assert.ok(sessionId);
  return sessionId;
}

function ping(app: HttpApp, sessionId: string, options: { address?: string; token?: string } = {}) {
  return post(app, { jsonrpc: "2.0", id: 2, method: "ping" }, { sessionId, ...options });
}

function holdStream(app: HttpApp, sessionId: string, address: string) {
  return app.handle(
    new Request("http://localhost/mcp", {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
    }),
    {
      completed: new Promise(() => {}),
      remoteAddr: { transport: "tcp", hostname: address, port: 40000 },
    },
  );
}

Deno.test("at the session limit the least recently active idle session makes room, and its client is told so", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, maxSessions: 2 });
  const first = await initialize(app, { address: "192.0.2.1" });
  clock.advance(1_000);
  const second = await initialize(app, { address: "192.0.2.2" });
  clock.advance(1_000);
  assert.equal((await ping(app, first, { address: "192.0.2.1" })).status, 200);
  clock.advance(1_000);

  await initialize(app, { address: "192.0.2.3" });
  assert.equal(app.sessionCount(), 2);
  const evicted = await ping(app, second, { address: "192.0.2.2" });
  assert.equal(evicted.status, 404);
  assert.equal(JSON.parse(evicted.text).error.code, -32001);
  assert.equal(JSON.parse(evicted.text).error.message, EVICTED);
  assert.equal((await ping(app, first, { address: "192.0.2.1" })).status, 200, "used recently");
  await app.close();
});

Deno.test("a session with a request in flight is never closed to make room", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, maxSessions: 2 });
  const busy = await initialize(app, { address: "192.0.2.1" });
  clock.advance(1_000);
  const idle = await initialize(app, { address: "192.0.2.2" });
  const stream = await holdStream(app, busy, "192.0.2.1");
  clock.advance(1_000);
  await initialize(app, { address: "192.0.2.3" });
  assert.equal((await ping(app, idle, { address: "192.0.2.2" })).status, 404);
  await stream.body?.cancel();
  assert.equal((await ping(app, busy, { address: "192.0.2.1" })).status, 200);
  await app.close();
});

Deno.test("one client address holds at most its share of sessions; others keep theirs", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, maxSessionsPerClient: 2 });
  const other = await initialize(app, { address: "192.0.2.9" });
  clock.advance(1_000);
  const own = [];
  for (let i = 0; i < 2; i++) {
    own.push(await initialize(app, { address: "192.0.2.1" }));
    clock.advance(1_000);
  }
  await initialize(app, { address: "192.0.2.1" });
  assert.equal(app.sessionCount(), 3, "the client's oldest session made room for its new one");
  assert.equal((await ping(app, own[0]!, { address: "192.0.2.1" })).status, 404);
  assert.equal((await ping(app, other, { address: "192.0.2.9" })).status, 200, "not its session");
  await app.close();
});

Deno.test("a client whose every session is busy is refused 429 past its share", async () => {
  const app = createTestApp("localhost", { maxSessionsPerClient: 1 });
  const sessionId = await initialize(app, { address: "192.0.2.1" });
  const stream = await holdStream(app, sessionId, "192.0.2.1");
  const refused = await post(app, INITIALIZE_REQUEST, { address: "192.0.2.1" });
  assert.equal(refused.status, 429);
  assert.match(JSON.parse(refused.text).error.message, /Too many open sessions for this client/);
  assert.equal((await post(app, INITIALIZE_REQUEST, { address: "192.0.2.2" })).status, 200);
  await stream.body?.cancel();
  await app.close();
});

Deno.test("with a token, sessions count against the token, whatever address they come from", async () => {
  const app = createTestApp("localhost", {
    maxSessionsPerClient: 1,
    authToken: new Secret(TOKEN),
  });
  const first = await initialize(app, { address: "192.0.2.1", token: TOKEN });
  await initialize(app, { address: "192.0.2.2", token: TOKEN });
  assert.equal(app.sessionCount(), 1);
  assert.equal((await ping(app, first, { address: "192.0.2.1", token: TOKEN })).status, 404);
  await app.close();
});

// The context a session route sees once `requireBearer(token)` let `request` through.
async function contextAfterBearer(
  token: Secret | undefined,
  request: Request,
  remoteAddress = "192.0.2.1",
): Promise<RequestContext> {
  const context: RequestContext = { url: new URL(request.url), remoteAddress };
  let seen: RequestContext | undefined;
  const route = requireBearer(token)((_, reached) => {
    seen = reached;
    return Promise.resolve(new Response());
  });
  await route(request, context);
  assert.ok(seen, "requireBearer let the request through");
  return seen;
}

Deno.test("a client is known by its token's hash, never the token, or else by its address", async () => {
  const withToken = (token: string) =>
    new Request("http://localhost/mcp", { headers: { authorization: `Bearer ${token}` } });
  const secret = new Secret(TOKEN);
  const context = await contextAfterBearer(secret, withToken(TOKEN));
  const key = clientOf(context);
  assert.ok(!key.includes(TOKEN));
  assert.equal(
    key,
    clientOf(await contextAfterBearer(secret, withToken(TOKEN), "192.0.2.2")),
  );
  assert.notEqual(
    key,
    clientOf(await contextAfterBearer(new Secret(`${TOKEN}x`), withToken(`${TOKEN}x`))),
  );
  assert.equal(
    clientOf(await contextAfterBearer(undefined, withToken(TOKEN))),
    "address:192.0.2.1",
  );
});

Deno.test("a bearer client's key is the digest requireBearer computed: the token is hashed once", async () => {
  const request = new Request("http://localhost/mcp", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const context = await contextAfterBearer(new Secret(TOKEN), request);
  const sha256 = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(TOKEN)),
  );
  const hex = Array.from(sha256, (byte) => byte.toString(16).padStart(2, "0")).join("");
  assert.equal(context.clientKey, hex);
  assert.equal(clientOf(context), `token:${hex}`);
  // The key comes from the guard's digest alone: the request's header plays no part any more.
  assert.equal(clientOf({ ...context, clientKey: "guard-digest" }), "token:guard-digest");
});

Deno.test("evicting a session logs its id, never the client's token", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", {
    logger,
    maxSessions: 1,
    authToken: new Secret(TOKEN),
  });
  await initialize(app, { token: TOKEN });
  await initialize(app, { token: TOKEN });
  assert.ok(logger.lines.some((line) => /closed to make room/.test(line)));
  assert.ok(logger.lines.every((line) => !line.includes(TOKEN)));
  await app.close();
});

Deno.test("a session serves only the client that opened it: to another its id is unknown", async () => {
  const app = createTestApp("localhost");
  const sessionId = await initialize(app, { address: "192.0.2.1" });
  const stolen = await ping(app, sessionId, { address: "192.0.2.66" });
  assert.equal(stolen.status, 404);
  assert.match(JSON.parse(stolen.text).error.message, /Session not found/);
  const deleted = await app.handle(
    new Request("http://localhost/mcp", {
      method: "DELETE",
      headers: { "mcp-session-id": sessionId },
    }),
    {
      completed: Promise.resolve(),
      remoteAddr: { transport: "tcp", hostname: "192.0.2.66", port: 1 },
    },
  );
  assert.equal(deleted.status, 404, "another client cannot end it either");
  await deleted.body?.cancel();
  assert.equal(app.sessionCount(), 1);
  assert.equal((await ping(app, sessionId, { address: "192.0.2.1" })).status, 200);
  await app.close();
});

Deno.test("another client is not told why a session it did not open ended", async () => {
  const app = createTestApp("localhost", { maxSessions: 1 });
  const evicted = await initialize(app, { address: "192.0.2.1" });
  await initialize(app, { address: "192.0.2.2" });
  const other = await ping(app, evicted, { address: "192.0.2.66" });
  assert.equal(other.status, 404);
  assert.notEqual(JSON.parse(other.text).error.message, EVICTED);
  const own = await ping(app, evicted, { address: "192.0.2.1" });
  assert.equal(JSON.parse(own.text).error.message, EVICTED);
  await app.close();
});

Deno.test("/messages serves only the client that opened the /sse stream", async () => {
  const app = createTestApp("localhost");
  const from = (hostname: string) => ({
    completed: new Promise<void>(() => {}),
    remoteAddr: { transport: "tcp" as const, hostname, port: 1 },
  });
  const stream = await app.handle(new Request("http://localhost/sse"), from("192.0.2.1"));
  const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
  const endpoint = (await reader.read()).value!.match(/data: (\S+)/)![1];
  const postAs = (hostname: string) =>
    app.handle(
      new Request(new URL(endpoint!, "http://localhost"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      }),
      from(hostname),
    );
  const stolen = await postAs("192.0.2.66");
  assert.equal(stolen.status, 404);
  await stolen.body?.cancel();
  const own = await postAs("192.0.2.1");
  assert.equal(own.status, 202);
  await own.body?.cancel();
  await reader.cancel();
  await app.close();
});

Deno.test("session logs name a session by a short prefix of its id, never the whole id", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", { logger });
  const sessionId = await initialize(app);
  const started = logger.lines.find((line) => /Session \S+ started/.test(line));
  assert.ok(started?.includes(sessionId.slice(0, 8)));
  assert.ok(logger.lines.every((line) => !line.includes(sessionId)));
  await app.close();
});

Deno.test("closing an idle session logs how long it was idle in the server's wording", async () => {
  const clock = fakeClock();
  const logger = recordingLogger();
  const app = createTestApp("localhost", {
    now: clock.now,
    logger,
    sessionIdleMs: 2 * 60 * 60_000,
  });
  const sessionId = await initialize(app);
  await ping(app, sessionId);
  clock.advance(2 * 60 * 60_000 + 1);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0);
  assert.ok(
    logger.lines.some((line) =>
      line.includes(`${sessionId.slice(0, 8)} was idle for 2 h: closing it`)
    ),
    logger.lines.join("\n"),
  );
});

Deno.test("shutdown never answers a call a second time that was answered while an earlier error was sent", async () => {
  const unanswered = new Set<RequestId>([1, 2]);
  const sent: JSONRPCMessage[] = [];
  const transport = {
    cancel(id: RequestId) {
      unanswered.delete(id);
    },
    isUnanswered: (id: RequestId) => unanswered.has(id),
    send(message: JSONRPCMessage) {
      sent.push(message);
      // While the first error is sent, call 2 finishes and its answer goes out.
      if (sent.length === 1) {
        unanswered.delete(2);
        sent.push({ jsonrpc: "2.0", id: 2, result: { content: [] } });
      }
      return Promise.resolve();
    },
  };
  await answerShuttingDown(transport, [1, 2]);
  assert.deepEqual(sent, [
    { jsonrpc: "2.0", id: 1, error: SHUTTING_DOWN },
    { jsonrpc: "2.0", id: 2, result: { content: [] } },
  ]);
});
