import assert from "node:assert/strict";
import { serverCommand, stopOf } from "../scripts/smoke.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";

Deno.test("smoke runs main.ts with the start task's permissions unless given a binary", () => {
  const [deno, run, ...rest] = serverCommand([]);
  assert.equal(deno, Deno.execPath());
  assert.equal(run, "run");
  assert.deepEqual(rest.slice(0, -1), PERMISSION_FLAGS);
  assert.equal(rest.at(-1), new URL("../main.ts", import.meta.url).href);
  const binary = ["dist/byted-live-promotion-windows-x64.exe"];
  assert.deepEqual(serverCommand(binary), binary);
});

Deno.test("smoke expects a clean exit 0 on SIGINT on Linux and macOS; on Windows only that it stops", () => {
  for (const os of ["linux", "darwin"] as const) {
    assert.deepEqual({ ...stopOf(os), describe: "" }, {
      signal: "SIGINT",
      exitCode: 0,
      describe: "",
    });
  }
  assert.equal(stopOf("windows").signal, "SIGTERM");
  assert.equal(stopOf("windows").exitCode, undefined);
});
