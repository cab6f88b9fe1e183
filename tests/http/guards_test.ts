import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import { isLoopback } from "../../src/net.ts";
import { Secret } from "../../src/secret.ts";
import type { Fetch } from "../../src/upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "../harness.ts";
import {
  connectClient,
  createTestApp,
  initializeRaw,
  MCP_HEADERS,
  postMcp,
  SEARCH_CALL,
} from "../http_app.ts";

const TOKEN = "SENTINEL-TOKEN-5b2e";

async function statusOf(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

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

Deno.test("a refused Host or Origin is quoted back cut short, whatever its length", async () => {
  const app = createTestApp("localhost");
  const long = `${"a".repeat(60_000)}.example`;
  const byHost = await app.handle(new Request(`http://${long}/health`));
  const byOrigin = await postMcp(app, INITIALIZE_REQUEST, { origin: `https://${long}` });
  for (const response of [byHost, byOrigin]) {
    assert.equal(response.status, 403);
    const { error } = await response.json();
    assert.ok(error.length < 400, `${error.length} characters`);
    assert.match(error, /… \[cut: \d+ characters\]/);
  }
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
