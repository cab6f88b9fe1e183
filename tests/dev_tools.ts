/**
 * The dev tools of `tools/` run as processes under `tools/tools.json` and its
 * own lock, as their tasks run them: their packages (the YAML parser, the
 * schemas) are in no module graph of the tests, so deno.lock does not hold
 * them and a first start of the server does not download them.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url);

/** The config of the dev tools, with their lock, from the repository's root. */
export const TOOLS_CONFIG = "tools/tools.json";

/** How a tool's process ended and what it printed. */
export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The tasks that run a dev tool. */
export type ToolTask = "workflows" | "manifests";

/**
 * Runs deno.json's task `task` with `args` appended and `stdin` as its input, from the
 * repository's root, and returns how it ended.
 */
export function runToolTask(
  task: ToolTask,
  { args = [], stdin = "" }: { args?: readonly string[]; stdin?: string } = {},
): Promise<ToolRun> {
  const [deno, ...command] = denoConfig.tasks[task].command.split(" ");
  assert.equal(deno, "deno", `the ${task} task runs one deno command`);
  return runDeno([...command, ...args], stdin);
}

/** Returns the YAML file at `path` (from the repository's root) parsed, as JSON values. */
export async function readYaml(path: string): Promise<unknown> {
  const run = await runDeno([
    "run",
    "--config",
    TOOLS_CONFIG,
    "--allow-read=.github",
    // The YAML parser reads these two to decide whether to trace its work.
    "--allow-env=LOG_TOKENS,LOG_STREAM",
    "tools/yaml_to_json.ts",
    path,
  ], "");
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

async function runDeno(args: readonly string[], stdin: string): Promise<ToolRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}
