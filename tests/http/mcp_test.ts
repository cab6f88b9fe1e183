import assert from "node:assert/strict";
import type { ServeInfo } from "../../src/http/mod.ts";
import { SESSION_CLOSED } from "../../src/http/mcp_transport.ts";
import { SHUTTING_DOWN } from "../../src/shutdown.ts";
import type { Fetch } from "../../src/upstream.ts";
import { createDependencies } from "../../src/dependencies.ts";
import { createServer } from "../../src/server.ts";
import { fakeClock, recordingLogger } from "../fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig, textOf } from "../harness.ts";
import {
  ANSWER_KINDS,
  connectClient,
  createTestApp,
  hangingUpstream,
  initializeRaw,
  messageIn,
  openSession,
  postMcp,
  SEARCH_CALL,
} from "../http_app.ts";

/** A session whose search call hangs in its upstream requests until they are aborted. */
async function startHangingCall(call: object, info?: ServeInfo) {
  const upstream = hangingUpstream();
  const app = createTestApp("localhost", { fetch: upstream.fetch });
  const headers = await openSession(app);
  const response = await postMcp(app, call, headers, info);
  assert.equal(response.status, 200);
  await upstream.started;
  assert.deepEqual(upstream.aborted, []);
  return { app, upstream, headers, call: response };
}

/** A stateless app over `fetch` (the demo catalogue by default) that counts the servers it builds. */
function countingStatelessApp(fetch?: Fetch) {
  let servers = 0;
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: fetch ?? demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const app = createTestApp("localhost", {
    stateless: true,
    createSharedServer: () => {
      servers++;
      return createServer(deps, { shared: true });
    },
  });
  return { app, servers: () => servers };
}

Deno.test("an SDK client opens a session, calls a tool, and ending it frees the session", async () => {
  const app = createTestApp();
  const { client, transport } = await connectClient(app);
  try {
    assert.equal(app.sessionCount(), 1);
    assert.ok(transport.sessionId, "the server assigned a session id");
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    assert.match(textOf(result), /Found oec\.live\.promotion in cn, us/);
    await transport.terminateSession();
    assert.equal(app.sessionCount(), 0);
  } finally {
    await client.close();
    await app.close();
  }
});

Deno.test("each client gets its own session", async () => {
  const app = createTestApp();
  const first = await connectClient(app);
  const second = await connectClient(app);
  try {
    assert.equal(app.sessionCount(), 2);
    assert.notEqual(first.transport.sessionId, second.transport.sessionId);
  } finally {
    await first.client.close();
    await second.client.close();
    await app.close();
  }
  assert.equal(app.sessionCount(), 0, "close() ends every session");
});

Deno.test("an unknown session id is a 404 that tells the client to reconnect", async () => {
  const app = createTestApp();
  const response = await postMcp(app, { jsonrpc: "2.0", id: 2, method: "tools/list" }, {
    "mcp-session-id": "no-such-session",
  });
  assert.equal(response.status, 404);
  const body = await response.json();
  assert.equal(body.jsonrpc, "2.0");
  assert.equal(body.error.code, -32001, "the SDK's code for an unknown session");
  assert.match(body.error.message, /Session not found: .* reconnect/);
});

Deno.test("a request without a session that is not an initialize leaves no session behind", async () => {
  const app = createTestApp();
  const get = await app.handle(
    new Request("http://localhost/mcp", { headers: { accept: "text/event-stream" } }),
  );
  assert.equal(get.status, 400);
  const { error } = await get.json();
  assert.equal(error.code, -32000);
  assert.match(error.message, /Mcp-Session-Id header is required/);
  const post = await postMcp(app, { jsonrpc: "2.0", id: 2, method: "tools/list" });
  assert.equal(post.status, 400);
  await post.body?.cancel();
  assert.equal(app.sessionCount(), 0);
});

Deno.test("a session with no open request is closed once idle for longer than the limit", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, sessionIdleMs: 60_000 });
  const sessionId = await initializeRaw(app);

  clock.advance(59_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "not idle long enough yet");

  clock.advance(2_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0);
  const late = await postMcp(app, { jsonrpc: "2.0", id: 2, method: "tools/list" }, {
    "mcp-session-id": sessionId,
  });
  assert.equal(late.status, 404, "the client is told to reconnect");
  await late.body?.cancel();
});

Deno.test("a request restarts the idle clock of its session", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, sessionIdleMs: 60_000 });
  const sessionId = await initializeRaw(app);
  clock.advance(50_000);
  const ping = await postMcp(app, { jsonrpc: "2.0", id: 2, method: "ping" }, {
    "mcp-session-id": sessionId,
  });
  await ping.text();
  clock.advance(50_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "the ping restarted the clock");
  clock.advance(11_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0, "idle again once the ping's answer was sent");
});

Deno.test("a notification answered 202 without a body leaves its session idle", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, sessionIdleMs: 60_000 });
  const sessionId = await initializeRaw(app);
  const accepted = await postMcp(app, { jsonrpc: "2.0", method: "notifications/initialized" }, {
    "mcp-session-id": sessionId,
  });
  assert.equal(accepted.status, 202);
  clock.advance(61_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0);
});

Deno.test("a session whose client holds its event stream open is never idle", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", { now: clock.now, sessionIdleMs: 60_000 });
  const sessionId = await initializeRaw(app);
  const stream = await app.handle(
    new Request("http://localhost/mcp", {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
    }),
  );
  assert.equal(stream.status, 200);

  clock.advance(10 * 60_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "an open stream keeps the session");

  await stream.body?.cancel();
  clock.advance(61_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 0, "idle once the client stopped reading");
});

Deno.test("at the session limit, with every session busy, initialize is answered 503 with Retry-After", async () => {
  const app = createTestApp("localhost", { maxSessions: 2 });
  const streams = [];
  for (let i = 0; i < 2; i++) {
    // An open event stream is a request in flight: its session cannot make room.
    const sessionId = await initializeRaw(app);
    streams.push(
      await app.handle(
        new Request("http://localhost/mcp", {
          headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
        }),
      ),
    );
  }
  const refused = await postMcp(app, INITIALIZE_REQUEST);
  assert.equal(refused.status, 503);
  assert.match(refused.headers.get("retry-after") ?? "", /^\d+$/);
  assert.match((await refused.json()).error.message, /Too many open sessions/);
  assert.equal(app.sessionCount(), 2);
  await Promise.all(streams.map((stream) => stream.body?.cancel()));
  await app.close();
});

Deno.test("a session whose client sends nothing after initialize expires after the initialize timeout", async () => {
  const clock = fakeClock();
  const app = createTestApp("localhost", {
    now: clock.now,
    initializeTimeoutMs: 60_000,
    sessionIdleMs: 30 * 60_000,
  });
  await initializeRaw(app);
  const used = await initializeRaw(app);
  const initialized = await postMcp(app, { jsonrpc: "2.0", method: "notifications/initialized" }, {
    "mcp-session-id": used,
  });
  assert.equal(initialized.status, 202);
  clock.advance(59_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 2);
  clock.advance(2_000);
  await app.closeIdleSessions();
  assert.equal(app.sessionCount(), 1, "only the session never used after initialize expired");
  await app.close();
});

Deno.test("any method but GET, POST, DELETE on /mcp is a 405 with Allow, with or without a session", async () => {
  const app = createTestApp();
  const sessionId = await initializeRaw(app);
  for (const headers of [{}, { "mcp-session-id": sessionId }] as Record<string, string>[]) {
    for (const method of ["PUT", "PATCH", "OPTIONS"]) {
      const response = await app.handle(new Request("http://localhost/mcp", { method, headers }));
      assert.equal(response.status, 405, `${method} ${JSON.stringify(headers)}`);
      assert.equal(response.headers.get("allow"), "GET, POST, DELETE");
      await response.body?.cancel();
    }
  }
  await app.close();
});

for (const { kind, call: request } of ANSWER_KINDS) {
  Deno.test(`notifications/cancelled ends the cancelled call's ${kind} and aborts its upstream requests`, async () => {
    const { app, upstream, headers, call } = await startHangingCall(request);
    const cancelled = await postMcp(app, {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 7, reason: "user pressed stop" },
    }, headers);
    assert.equal(cancelled.status, 202);
    assert.equal(await call.text(), "", "the response ended without an answer");
    assert.ok(upstream.aborted.length > 0, "the upstream searches were aborted");
    await app.close();
  });

  Deno.test(`a client that closes its ${kind} aborts the upstream requests of its call`, async () => {
    const { app, upstream, call } = await startHangingCall(request);
    await call.body?.cancel();
    assert.ok(upstream.aborted.length > 0, "the upstream searches were aborted");
    await app.close();
  });

  Deno.test(`under Deno.serve the end of a call's ${kind} is learned from info.completed`, async () => {
    const completed = Promise.withResolvers<void>();
    const { app, upstream, call } = await startHangingCall(request, {
      completed: completed.promise,
    });
    completed.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok(upstream.aborted.length > 0, "the call was aborted when the connection completed");
    await call.body?.cancel();
    await app.close();
  });

  Deno.test(`closing the app answers a call still running at the deadline with a shutdown error, in its ${kind}`, async () => {
    const { app, upstream, call } = await startHangingCall(request);
    await app.close({ deadlineMs: 20 });
    const message = messageIn(await call.text());
    assert.equal(message.id, 7);
    assert.deepEqual(message.error, SHUTTING_DOWN);
    assert.ok(upstream.aborted.length > 0, "its upstream requests were aborted");
    const late = await postMcp(app, INITIALIZE_REQUEST);
    assert.equal(late.status, 503, "nothing new starts once closing");
    assert.match((await late.json()).error.message, /Server shutting down/);
  });
}

/** The text of `response`'s body, or a rejection if it has not ended within `ms`. */
async function bodyWithin(response: Response, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The body did not end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([response.text(), late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const { kind, call: request } of ANSWER_KINDS) {
  Deno.test(`DELETE of a session ends the ${kind} of its call still running and aborts its upstream requests`, async () => {
    const { app, upstream, headers, call } = await startHangingCall(request);
    const deleted = await app.handle(
      new Request("http://localhost/mcp", { method: "DELETE", headers }),
    );
    assert.equal(deleted.status, 200);
    const message = messageIn(await bodyWithin(call, 2_000));
    assert.deepEqual(message, { jsonrpc: "2.0", id: 7, error: SESSION_CLOSED });
    assert.ok(upstream.aborted.length > 0, "its upstream requests were aborted");
    assert.equal(app.sessionCount(), 0);
    await app.close();
  });
}

Deno.test("closing the app lets a call that finishes before the deadline answer normally", async () => {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const fetch: Fetch = async (input, init) => {
    if (!String(input).startsWith(config.authUrl)) {
      started.resolve();
      await release.promise;
    }
    return await demo(input, init);
  };
  const app = createTestApp("localhost", { fetch });
  const { client } = await connectClient(app);
  const result = client.callTool({
    name: "search_psm_service",
    arguments: { keyword: "oec.live.promotion" },
  });
  await started.promise;
  const closed = app.close({ deadlineMs: 5_000 });
  release.resolve();
  assert.match(textOf(await result), /Found oec\.live\.promotion/);
  await closed;
  await client.close();
});

Deno.test("over HTTP a batch search that asks for progress gets it, and its result", async () => {
  const app = createTestApp();
  const { client } = await connectClient(app);
  const progress: number[] = [];
  try {
    const result = await client.callTool(
      {
        name: "search_multiple_services",
        arguments: { keywords: "oec.live.promotion, oec.affiliate.monitor" },
      },
      undefined,
      { onprogress: ({ progress: done }) => progress.push(done) },
    );
    assert.match(textOf(result), /oec\.live\.promotion/);
    assert.deepEqual(progress, [1, 2]);
  } finally {
    await client.close();
    await app.close();
  }
});

Deno.test("stateless mode reuses the server of an ended call, never one that holds a client's state", async () => {
  const { app, servers } = countingStatelessApp();
  const headers = { "mcp-protocol-version": "2025-06-18" };
  const call = async (message: object) => {
    const response = await postMcp(app, message, headers);
    const text = await response.text();
    // Deno.serve's `completed` is not there: the end of the body tells the app.
    await new Promise((resolve) => setTimeout(resolve, 0));
    return text;
  };
  await call(INITIALIZE_REQUEST);
  assert.equal(servers(), 1);
  for (let id = 2; id < 7; id++) {
    assert.match(await call({ ...SEARCH_CALL, id }), /Found oec\.live\.promotion/);
  }
  assert.equal(
    servers(),
    2,
    "the server of initialize was dropped, the next one served every call",
  );
  await call({ jsonrpc: "2.0", id: 8, method: "logging/setLevel", params: { level: "error" } });
  await call({ ...SEARCH_CALL, id: 9 });
  assert.equal(servers(), 3, "the server that took a logging level was dropped too");
  await app.close();
});

Deno.test("stateless mode does not reuse the server of a call its client left", async () => {
  const upstream = hangingUpstream();
  const { app, servers } = countingStatelessApp(upstream.fetch);
  const headers = { "mcp-protocol-version": "2025-06-18" };
  const hanging = await postMcp(app, SEARCH_CALL, headers);
  await upstream.started;
  await hanging.body?.cancel();
  assert.ok(upstream.aborted.length > 0, "the call was cancelled");
  const list = await postMcp(app, { jsonrpc: "2.0", id: 8, method: "tools/list" }, headers);
  assert.match(await list.text(), /search_psm_service/);
  assert.equal(servers(), 2, "the left call's server was closed, a new one answered");
  await app.close();
});

Deno.test("stateless mode serves every request without a session, GET and DELETE are 405", async () => {
  const { app, servers } = countingStatelessApp();
  const { client, transport } = await connectClient(app);
  try {
    assert.equal(transport.sessionId, undefined);
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    assert.match(textOf(result), /Found oec\.live\.promotion/);
    assert.equal(app.sessionCount(), 0);
    assert.ok(servers() >= 2, "each request got its own server");
  } finally {
    await client.close();
  }
  for (const method of ["GET", "DELETE"]) {
    const response = await app.handle(new Request("http://localhost/mcp", { method }));
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    await response.body?.cancel();
  }
});
