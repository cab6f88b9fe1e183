/**
 * `deno task smoke [COMMAND...]`: proves that a build of the server serves
 * real calls, in demo mode. Over stdio: `initialize`, `tools/list` (the four
 * tools), a search that finds a demo PSM. Over HTTP on a free 127.0.0.1 port:
 * `/health`, the same search through `/mcp` with the SDK client, the plain
 * JSON call, and a clean stop (exit 0) on SIGINT.
 *
 * COMMAND starts the server: the release gives a binary's path; by default it
 * is `deno run` with the start task's permission flags (the binary's) and
 * `main.ts`, so this run is what the binary would do. Prints one line per
 * check and exits 1 at the first failure.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { settledWithin } from "../src/async.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { cleanEnv } from "../tests/server_process.ts";
import {
  Client,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "../tests/mcp_client.ts";

/** The tools every build must list. */
const TOOLS = [
  "check_jwt_status",
  "list_available_regions",
  "search_multiple_services",
  "search_psm_service",
];
/** A PSM of the demo catalogue (`src/demo.ts`) that a search must find. */
const DEMO_PSM = "oec.affiliate.monitor";
const SEARCH = { name: "search_psm_service", arguments: { keyword: DEMO_PSM } };
const FOUND = new RegExp(DEMO_PSM.replaceAll(".", "\\."));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Returns the command (program, then arguments) that starts the server: `args` when given, else
 * `deno run` with the start task's permission flags and `main.ts`.
 */
export function serverCommand(args: readonly string[]): string[] {
  if (args.length > 0) return [...args];
  // A file URL, not a path: `deno run` takes it on every OS (a URL's pathname is /C:/... on Windows).
  const main = new URL("../main.ts", import.meta.url).href;
  return [Deno.execPath(), "run", ...PERMISSION_FLAGS, main];
}

/** Returns the text of a tool result's first content block, or fails. */
function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const first = content?.[0];
  assert.ok(first?.type === "text" && typeof first.text === "string", "expected a text result");
  return first.text;
}

async function checkStdio(command: readonly string[], check: Check): Promise<void> {
  const [program, ...args] = command;
  const transport = new StdioClientTransport({
    command: program!,
    args: [...args, "--demo", "--stdio"],
    // Only what Deno needs (DENO_DIR among it): no credential reaches a demo server.
    env: cleanEnv(),
    stderr: "pipe",
  });
  const client = new Client({ name: "smoke", version: denoConfig.version });
  try {
    await check("stdio initialize", async () => {
      await client.connect(transport);
      assert.equal(client.getServerVersion()?.version, denoConfig.version);
    });
    await check("stdio tools/list lists the four tools", async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), TOOLS);
    });
    await check(`stdio search finds ${DEMO_PSM}`, async () => {
      const result = await client.callTool(SEARCH);
      assert.notEqual(result.isError, true, textOf(result));
      assert.match(textOf(result), FOUND);
    });
  } finally {
    await client.close();
  }
}

async function checkHttp(command: readonly string[], check: Check): Promise<void> {
  const [program, ...args] = command;
  const child = new Deno.Command(program!, {
    args: [...args, "--demo", "--host", "127.0.0.1", "--port", "0"],
    env: cleanEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
  const reading = (async () => {
    for await (const line of lines) log.push(line);
  })();
  let stopped = false;
  try {
    const mcpUrl = await check("http server starts on a free port", () => announcedUrl(log));
    const base = mcpUrl.replace(/\/mcp$/, "");
    await check("http /health answers ok with this version", async () => {
      const response = await fetch(`${base}/health`);
      assert.equal(response.status, 200);
      const health = await response.json();
      assert.equal(health.status, "ok");
      assert.equal(health.version, denoConfig.version);
    });
    await check(`http /mcp with the SDK client finds ${DEMO_PSM}`, async () => {
      const client = new Client({ name: "smoke", version: denoConfig.version });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
        assert.match(textOf(await client.callTool(SEARCH)), FOUND);
      } finally {
        await client.close();
      }
    });
    await check(`http plain JSON call finds ${DEMO_PSM}`, async () => {
      const response = await fetch(mcpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tool: SEARCH.name, arguments: SEARCH.arguments }),
      });
      assert.equal(response.status, 200);
      const answer = await response.json();
      assert.equal(answer.tool, SEARCH.name);
      assert.equal(answer.isError, false);
      assert.match(textOf(answer), FOUND);
    });
    const stop = stopOf(Deno.build.os);
    await check(`http server ${stop.describe}`, async () => {
      child.kill(stop.signal);
      let status: Deno.CommandStatus | undefined;
      await settledWithin(child.status.then((exit) => status = exit), STOP_TIMEOUT_MS);
      assert.ok(status, `the server did not stop within ${STOP_TIMEOUT_MS} ms`);
      stopped = true;
      if (stop.exitCode !== undefined) {
        assert.equal(status.code, stop.exitCode, `exit status ${status.code}:\n${log.join("\n")}`);
      }
    });
  } finally {
    if (!stopped) child.kill("SIGKILL");
    await child.status;
    await reading;
  }
}

/** How the smoke test stops the server, and the exit status it expects. */
export interface Stop {
  readonly signal: Deno.Signal;
  /** The exit status to expect; undefined when the way of stopping decides it, not the server. */
  readonly exitCode?: number;
  readonly describe: string;
}

/**
 * Returns how the smoke test stops the server on `os`: SIGINT and a clean exit 0 on Linux and
 * macOS. Deno on Windows can only terminate a child (`SIGTERM` is TerminateProcess, exit 1):
 * sending it Ctrl-Break needs a console process group of its own, which `Deno.Command` cannot
 * create, so there the check is that it stops; the SIGBREAK listener is chosen by
 * `stopSignals("windows")`, tested in tests/platform_test.ts.
 */
export function stopOf(os: typeof Deno.build.os): Stop {
  if (os === "windows") return { signal: "SIGTERM", describe: "stops when terminated" };
  return { signal: "SIGINT", exitCode: 0, describe: "stops cleanly on SIGINT with exit 0" };
}

async function announcedUrl(log: readonly string[]): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (const line of log) {
      const url = line.match(/listening on (http:\/\/\S+\/mcp)/)?.[1];
      if (url) return url;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The server did not announce its URL:\n${log.join("\n")}`);
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

type Check = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

async function check<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    const value = await fn();
    console.log(`smoke ${name} ... ok`);
    return value;
  } catch (error) {
    console.log(`smoke ${name} ... FAILED`);
    throw error;
  }
}

async function main(args: readonly string[]): Promise<number> {
  const command = serverCommand(args);
  console.log(`smoke: ${command.join(" ")}`);
  try {
    await checkStdio(command, check);
    await checkHttp(command, check);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  console.log("smoke: every check passed");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
