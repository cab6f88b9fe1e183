import assert from "node:assert/strict";
import { endpointUrl } from "../../src/http/mod.ts";
import { VERSION } from "../../src/about.ts";
import { StreamBackedUpError } from "../../src/http/sse.ts";
import { recordingLogger } from "../fake_upstream.ts";
import { createTestApp } from "../http_app.ts";

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

Deno.test("the announced URL brackets an IPv6 host once, however it was written", () => {
  assert.equal(endpointUrl("::1", 8123), "http://[::1]:8123/mcp");
  assert.equal(endpointUrl("[::1]", 8123), "http://[::1]:8123/mcp");
  assert.equal(endpointUrl("127.0.0.1", 80), "http://127.0.0.1:80/mcp");
});

Deno.test("onError answers 500 and logs the error, but not an /sse stream its client stopped reading", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", { logger });
  const failed = app.onError(new Error("handler broke"));
  assert.equal(failed.status, 500);
  assert.match((await failed.json()).error, /see the server's log/);
  assert.equal(logger.lines.filter((line) => line.startsWith("error Request failed")).length, 1);
  const backedUp = app.onError(new StreamBackedUpError("the client read nothing"));
  assert.equal(backedUp.status, 500);
  assert.equal(logger.lines.filter((line) => line.startsWith("error Request failed")).length, 1);
});
