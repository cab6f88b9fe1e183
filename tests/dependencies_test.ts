/**
 * What a first start downloads: only the server's own dependencies. The MCP
 * conformance suite (with its @octokit, undici, yaml) is CI's alone, pinned in
 * `.ci/conformance.sh` with a lock of its own; the dev tools of `tools/` (the
 * workflow and manifest checks) pin their packages in their sources and lock
 * them in `tools/tools.lock`, under `tools/tools.json`.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import toolsConfig from "../tools/tools.json" with { type: "json" };
import { TOOLS_CONFIG } from "./dev_tools.ts";

const ROOT = new URL("../", import.meta.url);
const SUITE = "@modelcontextprotocol/conformance";
const TOOLS_LOCK = "tools/tools.lock";

interface Lock {
  specifiers: Record<string, string>;
  npm: Record<string, unknown>;
  workspace: { dependencies: string[] };
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(new URL(path, ROOT)));
}

// The package names a lock holds, from its specifiers and its npm entries.
function lockedNames(lock: Lock): Set<string> {
  const nameOf = (key: string) => key.slice(0, key.indexOf("@", 1));
  return new Set([
    ...Object.keys(lock.specifiers).map((specifier) => nameOf(specifier.replace(/^npm:/, ""))),
    ...Object.keys(lock.npm).map(nameOf),
  ]);
}

// The `npm:` packages the dev tools import, by name, from their sources.
async function toolPackages(): Promise<string[]> {
  const names = new Set<string>();
  for await (const entry of Deno.readDir(new URL("tools/", ROOT))) {
    if (!entry.name.endsWith(".ts")) continue;
    const source = await Deno.readTextFile(new URL(`tools/${entry.name}`, ROOT));
    for (const [, name] of source.matchAll(/from "npm:(@?[^@"]+)@[^"]+"/g)) names.add(name!);
  }
  return [...names].sort();
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

Deno.test("the dev tools' packages are in tools/tools.lock, not in deno.lock", async () => {
  const packages = await toolPackages();
  for (const name of ["@action-validator/core", "kubernetes-models", "yaml"]) {
    assert.ok(packages.includes(name), `tools/ imports ${name}`);
  }
  const serverLocked = lockedNames(await readJson("deno.lock"));
  const toolsLocked = lockedNames(await readJson(TOOLS_LOCK));
  for (const name of packages) {
    assert.ok(!serverLocked.has(name), `${name} is in deno.lock: a first start would download it`);
    assert.ok(toolsLocked.has(name), `${name} is locked in ${TOOLS_LOCK}`);
  }
});

Deno.test("the dev tools resolve the server's imports as the server does, from a frozen lock", async () => {
  assert.deepEqual(toolsConfig.imports, denoConfig.imports);
  assert.deepEqual(toolsConfig.compilerOptions, denoConfig.compilerOptions);
  assert.deepEqual(toolsConfig.lock, { path: "./tools.lock", frozen: true });
  const server: Lock = await readJson("deno.lock");
  const tools: Lock = await readJson(TOOLS_LOCK);
  assert.deepEqual(tools.workspace, server.workspace);
  for (const specifier of server.workspace.dependencies) {
    assert.equal(tools.specifiers[specifier], server.specifiers[specifier], specifier);
  }
});

Deno.test("every task that runs a dev tool runs it under tools/tools.json, and CI installs its lock frozen", async () => {
  const tasks = Object.entries(denoConfig.tasks).filter(([, { command }]) =>
    command.includes(" tools/")
  );
  assert.deepEqual(tasks.map(([name]) => name).sort(), ["manifests", "ok", "workflows"]);
  for (const [name, { command }] of tasks) {
    assert.match(command, new RegExp(`--config ${TOOLS_CONFIG} `), name);
  }
  assert.match(denoConfig.tasks.ok.command, /deno check --config tools\/tools\.json tools\//);
  const run = await Deno.readTextFile(new URL(".ci/run", ROOT));
  assert.match(run, /^install_frozen --config tools\/tools\.json --entrypoint tools\/\*\.ts$/m);
  assert.match(run, /deno install --frozen "\$@"/);
});
