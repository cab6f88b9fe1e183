import assert from "node:assert/strict";
import { Secret } from "../src/secret.ts";
import type { Fetch } from "../src/upstream.ts";
import { fakeClock } from "./fake_upstream.ts";
import { demoFetchFor, testConfig } from "./harness.ts";
import { createTestApp, postPlainCall } from "./http_app.ts";

const refused: Fetch = () => Promise.reject(new TypeError("connection refused"));

async function ready(app: ReturnType<typeof createTestApp>) {
  const response = await app.handle(new Request("http://localhost/ready"));
  return { status: response.status, body: await response.json() };
}

Deno.test("/ready answers 200 once a JWT is obtained and no region's circuit is open", async () => {
  const { status, body } = await ready(createTestApp());
  assert.equal(status, 200);
  assert.equal(body.ready, true);
  assert.deepEqual(body.reasons, []);
  assert.deepEqual(body.regions, [{ name: "cn", ready: true }, { name: "us", ready: true }]);
});

Deno.test("/ready answers 503 with the reason while no credential is set, /health stays 200", async () => {
  const app = createTestApp("localhost", { config: testConfig([], {}), fetch: refused });
  const { status, body } = await ready(app);
  assert.equal(status, 503);
  assert.equal(body.ready, false);
  assert.equal(body.reasons.length, 1, "one reason for both regions");
  assert.match(body.reasons[0], /^cn, us: no JWT: CAS_SESSION is not set/);
  const health = await app.handle(new Request("http://localhost/health"));
  assert.equal(health.status, 200, "liveness does not depend on the credential");
  await health.body?.cancel();
});

Deno.test("/ready answers 503 while the auth service cannot be reached", async () => {
  const app = createTestApp("localhost", { config: testConfig(), fetch: refused });
  const { status, body } = await ready(app);
  assert.equal(status, 503);
  assert.match(body.reasons[0], /no JWT: Could not reach the auth service/);
});

Deno.test("/ready answers 503 while every region's circuit is open, 200 once one may be tried again", async () => {
  const clock = fakeClock();
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config, clock.now);
  let registriesDown = true;
  const fetch: Fetch = (input, init) =>
    registriesDown && !String(input).startsWith(config.authUrl)
      ? Promise.reject(new TypeError("connection refused"))
      : demo(input, init);
  const app = createTestApp("localhost", { config, fetch, clock: clock.now });
  const search = {
    tool: "search_psm_service",
    arguments: { keyword: "oec.live.promotion", refresh: true },
  };
  for (let i = 0; i < 5; i++) {
    const response = await postPlainCall(app, search);
    await response.body?.cancel();
  }
  const down = await ready(app);
  assert.equal(down.status, 503);
  assert.match(
    down.body.reasons[0],
    /^cn, us: skipped until \d\d:\d\d:\d\d UTC: could not be reached/,
  );

  clock.advance(31_000);
  registriesDown = false;
  assert.equal(
    (await ready(app)).status,
    200,
    "a half-open circuit lets searches probe the region",
  );
  await app.close();
});

Deno.test("the probes need no token, HEAD /ready answers the status alone", async () => {
  const app = createTestApp("localhost", { authToken: new Secret("probe-token") });
  assert.equal((await ready(app)).status, 200);
  const head = await app.handle(new Request("http://localhost/ready", { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("once draining, /ready answers 503 while /health and the tools are still served", async () => {
  const app = createTestApp();
  assert.equal((await ready(app)).status, 200);
  app.drain();
  const { status, body } = await ready(app);
  assert.equal(status, 503);
  assert.equal(body.ready, false);
  assert.match(body.reasons[0], /shutting down/);
  const health = await app.handle(new Request("http://localhost/health"));
  assert.equal(health.status, 200);
  await health.body?.cancel();
  const call = await app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tool: "list_available_regions", arguments: {} }),
    }),
  );
  assert.equal(call.status, 200);
  assert.equal((await call.json()).isError, false);
  await app.close();
});
