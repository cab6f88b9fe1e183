import assert from "node:assert/strict";
import type { TokenStatus } from "../src/auth.ts";
import { createDependencies, describeHealth, serverFactory } from "../src/server.ts";
import type { McpServer } from "../src/mcp_sdk.ts";
import { recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, testConfig } from "./harness.ts";

// The SDK keeps the validator in a private field; nothing public tells whether it is shared.
function validatorOf(server: McpServer): unknown {
  return (server.server as unknown as { _jsonSchemaValidator: unknown })._jsonSchemaValidator;
}

Deno.test("servers from one factory share one JSON-schema validator instead of one Ajv each", () => {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const create = serverFactory(deps);
  const first = validatorOf(create());
  assert.ok(first, "the SDK still keeps a validator where this test looks");
  assert.equal(validatorOf(create()), first);
});

Deno.test("describeHealth never throws, even on an invalid expiry date", () => {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const broken: TokenStatus = { configured: true, valid: true, expiresAt: new Date(1e16) };
  const auth = {
    ...deps.auth,
    sources: deps.auth.sources.map((source) => ({
      ...source,
      tokens: { ...source.tokens, status: () => broken },
    })),
  };
  const health = describeHealth({ ...deps, auth }, {
    startedAt: Date.now(),
    now: Date.now,
  });
  assert.equal(health.status, "ok");
  assert.deepEqual(health.auth, { configured: true, valid: true, expires_at: undefined });
});
