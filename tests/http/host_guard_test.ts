import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import { createTestApp } from "../http_app.ts";

const MALFORMED_HOSTS = ["a b", "[::1%25lo]", "x:99999"];

async function statusOf(app: HttpApp, url: string, headers: Record<string, string> = {}) {
  const response = await app.handle(new Request(url, { headers }));
  await response.body?.cancel();
  return response.status;
}

Deno.test("on a public bind an Origin is accepted only when loopback, allowed, or on an allowed host", async () => {
  const app = createTestApp("0.0.0.0", {
    allowedOrigins: ["https://app.example.com"],
    allowedHosts: ["mcp.internal.test", "proxy.internal.test:8443"],
  });
  const health = "http://mcp.internal.test/health";
  // What DNS rebinding produces: a page on evil.test, renamed to the server's address.
  assert.equal(await statusOf(app, "http://evil.test/health", { origin: "http://evil.test" }), 403);
  assert.equal(await statusOf(app, health, { origin: "http://evil.test" }), 403);
  for (
    const origin of [
      "http://localhost:6274",
      "http://127.0.0.1:6274",
      "https://app.example.com",
      "http://mcp.internal.test",
      "https://proxy.internal.test:8443",
    ]
  ) {
    assert.equal(await statusOf(app, health, { origin }), 200, origin);
  }
  assert.equal(await statusOf(app, health), 200, "a request without Origin is served");
});

Deno.test("on a public bind without --allowed-host an Origin equal to the Host is refused", async () => {
  const app = createTestApp("0.0.0.0");
  const forbidden = await app.handle(
    new Request("http://10.0.0.5:8123/health", { headers: { origin: "http://10.0.0.5:8123" } }),
  );
  assert.equal(forbidden.status, 403);
  assert.match((await forbidden.json()).error, /add it with --allowed-origin/);
  assert.equal(await statusOf(app, "http://10.0.0.5:8123/health"), 200);
});

// A request as Deno.serve builds it: its URL is made of the Host header as sent, unchecked.
function withRawHost(host: string): Request {
  const request = new Request("http://localhost/health");
  Object.defineProperty(request, "url", { value: `http://${host}/health` });
  return request;
}

Deno.test("a Host header that makes no URL is a 400 from the handler, not a thrown error", async () => {
  const app = createTestApp("0.0.0.0");
  for (const host of MALFORMED_HOSTS) {
    const response = await app.handle(withRawHost(host));
    assert.equal(response.status, 400, host);
    assert.match((await response.json()).error, /^Bad request: the Host header is not valid/);
  }
});

async function rawRequest(port: number, host: string, target = "/health"): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    return await new Response(conn.readable).text();
  } catch (error) {
    conn.close();
    throw error;
  }
}

Deno.test("over a real socket Deno.serve hands malformed Host headers on, and they get 400", async () => {
  const app = createTestApp("127.0.0.1");
  const errors: unknown[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: (error) => {
      errors.push(error);
      return new Response(null, { status: 500 });
    },
  }, app.handle);
  try {
    for (const host of MALFORMED_HOSTS) {
      const answer = await rawRequest(server.addr.port, host);
      assert.match(answer, /^HTTP\/1\.1 400 /, host);
    }
    assert.deepEqual(errors, [], "no request failed with an error");
  } finally {
    await server.shutdown();
    await app.close();
  }
});

Deno.test("the Host guard checks the Host header as sent, not a URL that an absolute-form target made", async () => {
  const app = createTestApp("localhost");
  const rebound = new Request("http://localhost/health", { headers: { host: "evil.com" } });
  const response = await app.handle(rebound);
  assert.equal(response.status, 403);
  assert.match((await response.json()).error, /Host evil\.com is not served here/);
  for (const host of ["localhost@evil.com", "evil.com/x", "a b"]) {
    assert.equal(await statusOf(app, "http://localhost/health", { host }), 400, host);
  }
  assert.equal(await statusOf(app, "http://localhost/health", { host: "localhost:8123" }), 200);
  assert.equal(await statusOf(app, "http://localhost/health"), 200, "no Host header: the URL's");
});

Deno.test("over a real socket an absolute-form target to localhost with a foreign Host gets 403", async () => {
  const app = createTestApp("127.0.0.1");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.handle);
  try {
    const answer = await rawRequest(server.addr.port, "evil.com", "http://localhost/health");
    assert.match(answer, /^HTTP\/1\.1 403 /);
    const own = await rawRequest(server.addr.port, "localhost", "http://localhost/health");
    assert.match(own, /^HTTP\/1\.1 200 /);
  } finally {
    await server.shutdown();
    await app.close();
  }
});
