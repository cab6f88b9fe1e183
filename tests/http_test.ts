import assert from "node:assert/strict";
import {
  endpointUrl,
  type HttpApp,
  isLoopback,
  type ServeInfo,
  SHUTTING_DOWN,
} from "../src/http/mod.ts";
import { Secret } from "../src/secret.ts";
import type { Fetch } from "../src/upstream.ts";
import { VERSION } from "../src/about.ts";
import { createDependencies } from "../src/dependencies.ts";
import { createServer } from "../src/server.ts";
import { fakeClock, recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig, textOf } from "./harness.ts";
import { createTestApp, hangingUpstream, SEARCH_CALL } from "./http_app.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";
import { McpTransport } from "../src/http/mcp_transport.ts";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/** POSTs one JSON-RPC `message` to /mcp, as a client would, with `headers` on top. */
function postMcp(
  app: HttpApp,
  message: object,
  headers: Record<string, string> = {},
  info?: ServeInfo,
) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers },
      body: JSON.stringify(message),
    }),
    info,
  );
}

async function initializeRaw(app: HttpApp): Promise<string> {
  const response = await postMcp(app, INITIALIZE_REQUEST);
  await response.text();
  const sessionId = response.headers.get("mcp-session-id");
  assert.ok(sessionId, "initialize opened a session");
  return sessionId;
}

async function connectClient(
  app: HttpApp,
  url = "http://localhost/mcp",
  headers: Record<string, string> = {},
) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => app.handle(new Request(input, init)),
    requestInit: { headers },
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

Deno.test("isLoopback knows localhost, 127.0.0.0/8 and ::1 in every spelling and nothing else", () => {
  const loopback = [
    "localhost",
    "LOCALHOST",
    "app.localhost",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "[0:0:0:0:0:0:0:1]",
    "::ffff:127.0.0.1",
    "[::ffff:7f00:1]",
  ];
  for (const name of loopback) assert.ok(isLoopback(name), name);
  for (
    const name of [
      "0.0.0.0",
      "10.0.0.1",
      "::",
      "::ffff:10.0.0.1",
      "localhost.evil.test",
      "127.0.0.1.evil.test",
      "",
    ]
  ) {
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

const TOKEN = "SENTINEL-TOKEN-5b2e";

async function statusOf(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

Deno.test("with a token, /mcp needs Authorization: Bearer and answers 401 with WWW-Authenticate", async () => {
  const app = createTestApp("0.0.0.0", { authToken: new Secret(TOKEN) });
  for (const authorization of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`, TOKEN]) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const response = await postMcp(app, INITIALIZE_REQUEST, headers);
    assert.equal(response.status, 401, String(authorization));
    assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
    const body = await response.text();
    assert.match(body, /Authorization: Bearer <token>/);
    assert.ok(!body.includes(TOKEN), "the token is never echoed");
  }
  assert.equal(app.sessionCount(), 0);
  const { client } = await connectClient(app, "http://mcp.internal.test/mcp", {
    authorization: `Bearer ${TOKEN}`,
  });
  try {
    assert.equal(app.sessionCount(), 1, "the right token opens a session");
  } finally {
    await client.close();
    await app.close();
  }
});

Deno.test("with a token, /health stays open and loopback needs the token too", async () => {
  const app = createTestApp("localhost", { authToken: new Secret(TOKEN) });
  assert.equal(await statusOf(await app.handle(new Request("http://localhost/health"))), 200);
  assert.equal(await statusOf(await postMcp(app, INITIALIZE_REQUEST)), 401);
  const unknownMethod = new Request("http://localhost/mcp", { method: "PUT" });
  assert.equal(await statusOf(await app.handle(unknownMethod)), 401, "the token comes first");
});

Deno.test("--allowed-host and --allowed-origin extend the guard for a proxy in front", async () => {
  const app = createTestApp("localhost", {
    allowedHosts: ["mcp.example.com"],
    allowedOrigins: ["https://app.example.com"],
  });
  const proxied = new Request("http://mcp.example.com/health", {
    headers: { origin: "https://app.example.com" },
  });
  assert.equal(await statusOf(await app.handle(proxied)), 200);
  const otherHost = new Request("http://other.example.com/health");
  assert.equal(await statusOf(await app.handle(otherHost)), 403);
  const otherOrigin = new Request("http://mcp.example.com/health", {
    headers: { origin: "https://evil.example.com" },
  });
  assert.equal(await statusOf(await app.handle(otherOrigin)), 403);
});

Deno.test("a JSON-RPC batch of more than 32 messages is a 400 before any of it is served", async () => {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const searched: string[] = [];
  const fetch: Fetch = (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(config.authUrl)) searched.push(request.url);
    return demo(input, init);
  };
  const app = createTestApp("localhost", { config, fetch });
  const sessionId = await initializeRaw(app);
  const calls = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ ...SEARCH_CALL, id: 100 + i }));

  const refused = await postMcp(app, calls(33), { "mcp-session-id": sessionId });
  assert.equal(refused.status, 400);
  const body = await refused.json();
  assert.equal(body.error.code, -32000);
  assert.match(body.error.message, /^Batch too large: send at most 32 JSON-RPC messages/);
  assert.deepEqual(searched, [], "no call of the refused batch reached the upstream");

  const pings = Array.from(
    { length: 32 },
    (_, i) => ({ jsonrpc: "2.0", id: 200 + i, method: "ping" }),
  );
  const served = await postMcp(app, pings, { "mcp-session-id": sessionId });
  assert.equal(served.status, 200, "a batch at the limit is served");
  await served.body?.cancel();
});

Deno.test("on a public bind --allowed-host restricts the Host names served", async () => {
  const app = createTestApp("0.0.0.0", { allowedHosts: ["mcp.example.com"] });
  assert.equal(await statusOf(await app.handle(new Request("http://mcp.example.com/health"))), 200);
  assert.equal(await statusOf(await app.handle(new Request("http://evil.example/health"))), 403);
});

Deno.test("a body over the limit is a 413 before parsing, with or without Content-Length", async () => {
  const app = createTestApp("localhost", { maxBodyBytes: 1024 });
  const big = JSON.stringify({ ...INITIALIZE_REQUEST, padding: "x".repeat(2048) });
  const declared = await postMcp(app, JSON.parse(big));
  assert.equal(declared.status, 413);
  assert.match((await declared.json()).error.message, /too large: send at most 1024 bytes/);

  let pulled = 0;
  const chunk = new TextEncoder().encode("x".repeat(512));
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(chunk);
    },
  });
  const streamed = await app.handle(
    new Request("http://localhost/mcp", { method: "POST", headers: MCP_HEADERS, body: endless }),
  );
  assert.equal(streamed.status, 413, "a body without Content-Length is cut at the limit");
  await streamed.body?.cancel();
  assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
  assert.equal(app.sessionCount(), 0);
});

Deno.test("a body that is not JSON is a JSON-RPC parse error -32700", async () => {
  const app = createTestApp();
  const response = await app.handle(
    new Request("http://localhost/mcp", { method: "POST", headers: MCP_HEADERS, body: "{nope" }),
  );
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.error.code, -32700);
  assert.match(body.error.message, /not valid JSON; send a JSON-RPC message .*plain call/);
  assert.equal(body.id, null);
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

async function openSession(app: HttpApp): Promise<Record<string, string>> {
  const sessionId = await initializeRaw(app);
  const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };
  await (await postMcp(app, { jsonrpc: "2.0", method: "notifications/initialized" }, headers))
    .body?.cancel();
  return headers;
}

// A call asking for progress is answered on an event stream, any other in JSON: both must end
// the same ways.
const ANSWER_KINDS = [
  { kind: "JSON answer", call: SEARCH_CALL },
  {
    kind: "event stream",
    call: { ...SEARCH_CALL, params: { ...SEARCH_CALL.params, _meta: { progressToken: "p7" } } },
  },
] as const;

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

// The one JSON-RPC message of a response body, whether JSON or an event stream.
function messageIn(body: string): { id?: unknown; error?: unknown; result?: unknown } {
  const data = body.split("\n").find((line) => line.startsWith("data: "));
  return JSON.parse(data ? data.slice("data: ".length) : body);
}

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

Deno.test("a call without a progress token is answered in JSON, one with a token on an event stream", async () => {
  const app = createTestApp();
  const headers = await openSession(app);
  const plain = await postMcp(app, SEARCH_CALL, headers);
  assert.equal(plain.headers.get("content-type"), "application/json");
  assert.match(JSON.stringify(messageIn(await plain.text()).result), /Found oec\.live\.promotion/);
  const [, streamed] = ANSWER_KINDS;
  const withProgress = await postMcp(app, streamed.call, headers);
  assert.equal(withProgress.headers.get("content-type"), "text/event-stream");
  assert.match(JSON.stringify(messageIn(await withProgress.text()).result), /Found/);
  await app.close();
});

Deno.test("a call the SDK's transport refuses is refused as before, JSON answers or not", async () => {
  const app = createTestApp();
  const headers = await openSession(app);
  const refusals = [
    { body: { ...SEARCH_CALL, extra: 1 }, headers, status: 400 },
    {
      body: SEARCH_CALL,
      headers: { ...headers, "mcp-protocol-version": "1999-01-01" },
      status: 400,
    },
    { body: SEARCH_CALL, headers: { ...headers, accept: "application/json" }, status: 406 },
    { body: { ...SEARCH_CALL, id: 1.5 }, headers, status: 400 },
  ];
  for (const refusal of refusals) {
    const response = await postMcp(app, refusal.body, refusal.headers);
    assert.equal(response.status, refusal.status, JSON.stringify(refusal));
    await response.body?.cancel();
  }
  await app.close();
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

Deno.test("JSON answers leave nothing behind: the SDK's transport, which keeps an entry per JSON call (typescript-sdk#2559), never sees them", async () => {
  const deps = createDependencies(testConfig(["--demo"]), {
    fetch: demoFetchFor(testConfig(["--demo"])),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const list = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/list" });
  const post = (body: object, headers: Record<string, string> = {}) =>
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-protocol-version": "2025-06-18", ...headers },
      body: JSON.stringify(body),
    });
  const transport = new McpTransport({ sessionIdGenerator: () => "s1" });
  await createServer(deps).connect(transport);
  await (await transport.handleRequest(post(INITIALIZE_REQUEST), {
    parsedBody: INITIALIZE_REQUEST,
  })).text();
  // Counts what reaches the session's SDK transport through its public methods.
  const stream = transport.stream!;
  let reached = 0;
  const { handleRequest, send } = stream;
  stream.handleRequest = (...args) => (reached++, handleRequest.apply(stream, args));
  stream.send = (...args) => (reached++, send.apply(stream, args));
  for (let id = 2; id <= 201; id++) {
    const response = await transport.handleRequest(post(list(id), { "mcp-session-id": "s1" }), {
      parsedBody: list(id),
    });
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.match(await response.text(), /search_psm_service/);
  }
  assert.equal(reached, 0);
  assert.equal(transport.heldCalls(), 0);
  await transport.close();
});

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
    createServer: () => {
      servers++;
      return createServer(deps);
    },
  });
  return { app, servers: () => servers };
}

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

Deno.test("a stateless transport drops a notification with no stream to carry it, as the SDK's does", async () => {
  const transport = new McpTransport();
  await transport.start();
  await transport.send({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "warning", data: "cn failed" },
  });
  await assert.rejects(
    transport.send({ jsonrpc: "2.0", id: 3, result: {} }),
    /No request 3 is open to answer/,
  );
  await transport.close();
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

Deno.test("the announced URL brackets an IPv6 host once, however it was written", () => {
  assert.equal(endpointUrl("::1", 8123), "http://[::1]:8123/mcp");
  assert.equal(endpointUrl("[::1]", 8123), "http://[::1]:8123/mcp");
  assert.equal(endpointUrl("127.0.0.1", 80), "http://127.0.0.1:80/mcp");
});

/** A CORS preflight from `origin` for a POST to /mcp with the MCP headers. */
function preflight(app: HttpApp, origin: string) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
      },
    }),
  );
}

Deno.test("a browser page on an accepted origin gets its CORS preflight answered and may read the session id", async () => {
  const app = createTestApp("localhost", { authToken: new Secret("t0ken") });
  try {
    const origin = "http://localhost:6274";
    const allowed = await preflight(app, origin);
    assert.equal(allowed.status, 204, "a preflight carries no token and must not need one");
    assert.equal(allowed.headers.get("access-control-allow-origin"), origin);
    for (const header of ["authorization", "content-type", "mcp-protocol-version"]) {
      assert.match(allowed.headers.get("access-control-allow-headers") ?? "", new RegExp(header));
    }
    assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);

    const initialized = await postMcp(app, INITIALIZE_REQUEST, {
      origin,
      authorization: "Bearer t0ken",
    });
    assert.equal(initialized.status, 200);
    assert.equal(initialized.headers.get("access-control-allow-origin"), origin);
    assert.match(initialized.headers.get("access-control-expose-headers") ?? "", /mcp-session-id/);
    assert.ok(initialized.headers.get("mcp-session-id"));
    await initialized.body?.cancel();

    const refused = await postMcp(app, INITIALIZE_REQUEST, { origin });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("access-control-expose-headers") ?? "", /www-authenticate/);
    await refused.body?.cancel();
  } finally {
    await app.close();
  }
});

Deno.test("a foreign origin's preflight is refused, and a request without Origin gets no CORS headers", async () => {
  const app = createTestApp("localhost");
  try {
    const foreign = await preflight(app, "https://attacker.example");
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
    await foreign.body?.cancel();
    const plain = await app.handle(new Request("http://localhost/health"));
    assert.equal(plain.headers.get("access-control-allow-origin"), null);
    await plain.body?.cancel();
  } finally {
    await app.close();
  }
});
