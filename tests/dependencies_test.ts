/**
 * What a first start downloads: only the server's own dependencies. The MCP
 * conformance suite (with its @octokit, undici, yaml) is CI's alone, pinned in
 * `.ci/conformance.sh` with a lock of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url);
const SUITE = "@modelcontextprotocol/conformance";

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(new URL(path, ROOT)));
}

Deno.test("the runtime import map and deno.lock hold only what the server runs", async () => {
  assert.deepEqual(Object.keys(denoConfig.imports).sort(), [
    "@logtape/logtape",
    "@modelcontextprotocol/sdk",
    "@modelcontextprotocol/sdk/",
    "zod",
  ]);
  const lock = await readJson("deno.lock");
  const locked = [...Object.keys(lock.specifiers), ...Object.keys(lock.npm)];
  assert.deepEqual(locked.filter((name) => name.includes(SUITE)), []);
  for (const name of ["@octokit/rest", "undici", "yaml"]) {
    assert.ok(!Object.keys(lock.npm).some((key) => key.startsWith(`${name}@`)), name);
  }
});

Deno.test("the conformance suite is pinned in .ci/conformance.sh and locked beside it", async () => {
  const script = await Deno.readTextFile(new URL(".ci/conformance.sh", ROOT));
  const suite = script.match(/^SUITE="(npm:[^"]+)"$/m)?.[1];
  assert.ok(suite?.startsWith(`npm:${SUITE}@`), suite);
  const lock = await readJson(".ci/conformance.lock");
  assert.ok(suite! in lock.specifiers, `${suite} is locked`);
  const run = await Deno.readTextFile(new URL(".ci/run", ROOT));
  assert.match(run, /--lock=\.ci\/conformance\.lock --entrypoint "\$conformance"/);
});
