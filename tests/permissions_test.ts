import assert from "node:assert/strict";
import {
  missingEnvPermission,
  missingNetPermission,
  type QueryPermission,
} from "../src/permissions.ts";
import { ENV_VARS, PERMISSION_FLAGS } from "../src/permissions.ts";
import { testConfig } from "./harness.ts";

/** A permission query that grants everything but `denied` env variables and net hosts. */
function queryDenying(denied: readonly string[]): QueryPermission {
  return (descriptor) => {
    const name = descriptor.name === "env"
      ? descriptor.variable
      : descriptor.name === "net"
      ? descriptor.host
      : undefined;
    const state = name !== undefined && denied.includes(name) ? "denied" : "granted";
    return { state } as Deno.PermissionStatus;
  };
}

Deno.test("one variable missing from --allow-env is named alone, not the whole list", () => {
  const message = missingEnvPermission(queryDenying(["NODE_EXTRA_CA_CERTS"]));
  assert.equal(
    message,
    "Deno did not grant access to the environment variable NODE_EXTRA_CA_CERTS: add NODE_EXTRA_CA_CERTS to --allow-env, or start it with deno task start",
  );
});

Deno.test("a regional variable missing from --allow-env names its prefix's wildcard", () => {
  const message = missingEnvPermission(queryDenying(["CAS_SESSION_cn"]), ["CAS_SESSION_cn"]);
  assert.match(message ?? "", /variable CAS_SESSION_\*: add CAS_SESSION_\* to --allow-env/);
  const both = missingEnvPermission(
    queryDenying(["CAS_SESSION_cn", "SERVICE_ACCOUNT_SECRET_cn"]),
    ["SERVICE_ACCOUNT_SECRET_cn"],
  );
  assert.match(both ?? "", /add CAS_SESSION_\*,SERVICE_ACCOUNT_SECRET_\* to --allow-env/);
});

Deno.test("without any --allow-env the message gives deno task start's flags to copy", () => {
  const message = missingEnvPermission(queryDenying(ENV_VARS));
  assert.ok(message?.includes(PERMISSION_FLAGS.join(" ")), message);
  assert.equal(missingEnvPermission(queryDenying([])), undefined);
});

Deno.test("a host missing from --allow-net is named alone", () => {
  const config = testConfig(["--host", "127.0.0.1", "--port", "9000"]);
  const message = missingNetPermission(config, queryDenying(["us.neptune.test"]));
  assert.equal(
    message,
    "Deno did not grant network access to us.neptune.test: add it to --allow-net (or give --allow-net alone), or start it with deno task start",
  );
});
