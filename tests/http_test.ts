import assert from "node:assert/strict";
import { createHttpApp, type HttpApp, isLoopback } from "../src/http/mod.ts";
import { createDependencies, createServer, describeHealth, VERSION } from "../src/server.ts";
import { fakeClock, recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig, textOf } from "./harness.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

function createTestApp(
  host = "localhost",
  sessions: { now?: () => number; sessionIdleMs?: number } = {},
): HttpApp {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const startedAt = Date.now() - 5_000;
  return createHttpApp({
    createServer: () => createServer(deps),
    health: () => describeHealth(deps, { startedAt, now: Date.now }),
    host,
    logger: recordingLogger(),
    ...sessions,
  });
}

/** POSTs one JSON-RPC `message` to /mcp, as a client would, with `headers` on top. */
function postMcp(app: HttpApp, message: object, headers: Record<string, string> = {}) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers },
      body: JSON.stringify(message),
    }),
  );
}

async function initializeRaw(app: HttpApp): Promise<string> {
  const response = await postMcp(app, INITIALIZE_REQUEST);
  await response.text();
  const sessionId = response.headers.get("mcp-session-id");
  assert.ok(sessionId, "initialize opened a session");
  return sessionId;
}

async function connectClient(app: HttpApp, url = "http://localhost/mcp") {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => app.handle(new Request(input, init)),
  });
  const client = new Client({ name: "http-test", version: "0" });
  await client.connect(transport);
  return { client, transport };
}

Deno.test("GET /health reports status, version, uptime, demo, regions and auth state", async () => {
  const app = createTestApp();
  const response = await app.handle(new Request("http://localhost/health"));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = await response.json();
  assert.equal(body.status, "ok");
  assert.equal(body.version, VERSION);
  assert.ok(body.uptime_s >= 5, `uptime_s is ${body.uptime_s}`);
  assert.equal(body.demo, true);
  assert.deepEqual(body.regions, ["cn", "us"]);
  assert.deepEqual(body.auth, { configured: true, valid: false });
});

Deno.test("HEAD /health answers 200 with no body, other methods 405", async () => {
  const app = createTestApp();
  const head = await app.handle(new Request("http://localhost/health", { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  const post = await app.handle(new Request("http://localhost/health", { method: "POST" }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
});

Deno.test("an unknown path is a 404 JSON body that points at /mcp", async () => {
  const app = createTestApp();
  const response = await app.handle(new Request("http://localhost/sse/../nope"));
  assert.equal(response.status, 404);
  assert.match((await response.json()).error, /Not found: \/nope; MCP is served at \/mcp/);
});

Deno.test("on a loopback bind a foreign Host name is refused (DNS rebinding)", async () => {
  const app = createTestApp("localhost");
  const response = await app.handle(new Request("http://attacker.example:8123/health"));
  assert.equal(response.status, 403);
  assert.match((await response.json()).error, /Host attacker\.example is not served here/);
  for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
    const ok = await app.handle(new Request(`http://${host}:8123/health`));
    assert.equal(ok.status, 200, host);
    await ok.body?.cancel();
  }
});

Deno.test("a request from a foreign Origin is refused, a loopback Origin is served", async () => {
  const app = createTestApp("localhost");
  const foreign = await postMcp(app, INITIALIZE_REQUEST, { origin: "https://attacker.example" });
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).error, /Origin https:\/\/attacker\.example may not/);
  assert.equal(app.sessionCount(), 0);
  const local = await app.handle(
    new Request("http://localhost/health", { headers: { origin: "http://localhost:6274" } }),
  );
  assert.equal(local.status, 200);
  await local.body?.cancel();
});

Deno.test("on a public bind any Host is served but the Origin must match it", async () => {
  const app = createTestApp("0.0.0.0");
  const sameSite = await app.handle(
    new Request("http://mcp.internal.test/health", {
      headers: { origin: "http://mcp.internal.test" },
    }),
  );
  assert.equal(sameSite.status, 200);
  await sameSite.body?.cancel();
  const crossSite = await app.handle(
    new Request("http://mcp.internal.test/health", { headers: { origin: "http://evil.test" } }),
  );
  assert.equal(crossSite.status, 403);
  await crossSite.body?.cancel();
});

Deno.test("isLoopback knows localhost, 127.0.0.0/8 and ::1 and nothing else", () => {
  for (const name of ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "::1"]) {
    assert.ok(isLoopback(name), name);
  }
  for (const name of ["0.0.0.0", "10.0.0.1", "localhost.evil.test", "127.0.0.1.evil.test", ""]) {
    assert.ok(!isLoopback(name), name);
  }
});

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
