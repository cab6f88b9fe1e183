/**
 * The real server as a process, and a fake upstream on 127.0.0.1 for it to
 * talk to. The process runs with exactly the permission flags of the `start`
 * task, which the compiled binary gets too, so a permission the server lacks
 * fails here first.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Region } from "../src/config/mod.ts";
import { createDemoUpstream } from "../src/demo.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";

// A file URL, not a path: `deno run` takes it on every OS (a URL's pathname is /C:/... on Windows).
const MAIN = new URL("../main.ts", import.meta.url).href;

/**
 * Why a test is skipped on Windows: Deno there cannot send a child a signal it handles
 * (`kill` is TerminateProcess), so a graceful stop of the server by signal cannot be tested.
 */
export const NO_STOP_SIGNAL_ON_WINDOWS = Deno.build.os === "windows";

/**
 * Asserts that a server stopped by {@linkcode ServerProcess.stop} exited cleanly (code 0 after
 * SIGTERM); on Windows, where `stop` can only terminate it, that it was terminated (code 1).
 */
export function assertStoppedCleanly(status: Deno.CommandStatus, message?: string): void {
  assert.equal(status.code, Deno.build.os === "windows" ? 1 : 0, message);
}

/** `deno run` arguments that start the server like the compiled binary, then `args`. */
export function serverArgs(args: readonly string[]): string[] {
  return ["run", ...PERMISSION_FLAGS, MAIN, ...args];
}

/** An environment with only what Deno itself needs, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  // Windows: SYSTEMROOT for sockets, LOCALAPPDATA and USERPROFILE for Deno's cache and home.
  const keep = [
    "HOME",
    "PATH",
    "DENO_DIR",
    "XDG_CACHE_HOME",
    "SYSTEMROOT",
    "TMPDIR",
    "LOCALAPPDATA",
    "USERPROFILE",
  ];
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of keep) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A request the fake upstream received, as much as tests look at. */
export interface SeenRequest {
  readonly url: string;
  readonly cookie: string | null;
  readonly jwt: string | null;
}

/** The demo upstream served on 127.0.0.1, with the requests it saw. */
export interface UpstreamServer {
  readonly authUrl: string;
  readonly regions: readonly Region[];
  /** `--auth-url` and `--region` arguments pointing at this upstream. */
  readonly args: readonly string[];
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Serves the demo auth service and the cn and us registries on a free
 * 127.0.0.1 port; searches are answered after `searchDelayMs` (default 0).
 */
export function serveUpstream({ searchDelayMs = 0 } = {}): UpstreamServer {
  const seen: SeenRequest[] = [];
  const delays = new Set<() => void>();
  let answer: (request: Request) => Response = () => new Response(null, { status: 503 });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      seen.push({
        url: request.url,
        cookie: request.headers.get("cookie"),
        jwt: request.headers.get("x-jwt-token"),
      });
      if (request.headers.has("x-jwt-token") && searchDelayMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(release, searchDelayMs);
          function release() {
            clearTimeout(timer);
            delays.delete(release);
            resolve();
          }
          delays.add(release);
        });
      }
      return answer(request);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const authUrl = `${origin}/auth/api/v1/jwt`;
  const regions = [
    { name: "cn", baseUrl: `${origin}/cn` },
    { name: "us", baseUrl: `${origin}/us` },
  ];
  answer = createDemoUpstream({ regions, authUrl, now: Date.now });
  return {
    authUrl,
    regions,
    args: upstreamArgs(authUrl, regions),
    seen,
    // Answers still being held back are let go, so that closing never waits for them.
    close() {
      for (const release of delays) release();
      return server.shutdown();
    },
  };
}

/** The `--auth-url` and `--region` arguments that point the server at `authUrl` and `regions`. */
export function upstreamArgs(authUrl: string, regions: readonly Region[]): string[] {
  return ["--auth-url", authUrl, ...regions.flatMap((r) => ["--region", `${r.name}=${r.baseUrl}`])];
}

/** A running server process. */
export interface ServerProcess {
  /** The MCP endpoint it announced, such as `http://127.0.0.1:40123/mcp`. */
  readonly url: string;
  /** Its process id (the benchmark reads its memory from `/proc`). */
  readonly pid: number;
  /** Everything it printed so far. */
  output(): { stdout: string; stderr: string };
  /** Its standard input, when started with `stdin: "piped"`. */
  readonly stdin?: WritableStream<Uint8Array>;
  /**
   * Sends SIGTERM and returns the exit status once all output is read; a
   * process still running after `killAfterMs` (10 s by default) gets SIGKILL,
   * so a shutdown that hangs shows as a `SIGKILL` status instead of a hung test.
   */
  stop(options?: { killAfterMs?: number }): Promise<Deno.CommandStatus>;
  /** Sends `signal` without waiting (`stop` or `exited` wait for the exit). */
  signal(signal: Deno.Signal): void;
  /** Returns the exit status once the process has ended by itself and all output is read. */
  exited(): Promise<Deno.CommandStatus>;
}

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  /** `piped` gives the test the server's stdin, as a desktop client has it. Default `null`. */
  stdin?: "null" | "piped";
  /** A soft limit of open files for the process (`ulimit -n`, through bash); none by default. */
  openFiles?: number;
}

/**
 * Starts the HTTP server with `args` and `env`, and waits until it announces
 * its URL; throws with its standard error if it exits first or takes over 30 s.
 */
export function startServer(
  args: readonly string[],
  env: Record<string, string>,
  { stdin = "null", openFiles }: StartServerOptions = {},
): Promise<ServerProcess> {
  const denoArgs = serverArgs(["--host", "127.0.0.1", "--port", "0", ...args]);
  return startAnnouncingProcess(denoArgs, env, { stdin, openFiles });
}

/**
 * Runs `deno` with `denoArgs` and `env` until it writes `listening on <url>/mcp`
 * to standard error, like the server does; throws if it exits first or takes over 30 s.
 */
export async function startAnnouncingProcess(
  denoArgs: readonly string[],
  env: Record<string, string>,
  { stdin = "null", openFiles }: StartServerOptions = {},
): Promise<ServerProcess> {
  // exec keeps the pid the server's own, so stop() signals the server rather than bash.
  const [command, args] = openFiles === undefined
    ? [Deno.execPath(), [...denoArgs]]
    : ["bash", ["-c", `ulimit -n ${openFiles} && exec "$0" "$@"`, Deno.execPath(), ...denoArgs]];
  const child = new Deno.Command(command, {
    args,
    env: cleanEnv(env),
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  const announced = /listening on (http:\/\/\S+\/mcp)/;
  const deadline = Date.now() + 30_000;
  while (!announced.test(stderr.text())) {
    if (exited) {
      await Promise.all([stdout.done, stderr.done]);
      throw new Error(
        `The server exited with code ${exited.code} before announcing its URL:\n${stderr.text()}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`The server did not start within 30 s:\n${stderr.text()}`);
    }
    await untilSettledOr(child.status, 25);
  }
  return {
    url: stderr.text().match(announced)![1]!,
    pid: child.pid,
    output: () => ({ stdout: stdout.text(), stderr: stderr.text() }),
    stdin: stdin === "piped" ? child.stdin : undefined,
    async stop({ killAfterMs = 10_000 } = {}) {
      if (stdin === "piped" && !child.stdin.locked) await child.stdin.close().catch(() => {});
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      const status = await child.status.finally(() => clearTimeout(timer));
      await Promise.all([stdout.done, stderr.done]);
      return status;
    },
    signal: (signal) => child.kill(signal),
    async exited() {
      const status = await child.status;
      await Promise.all([stdout.done, stderr.done]);
      return status;
    },
  };
}

/** Runs the server with `args` to completion and returns its exit code and output. */
export async function runServer(args: readonly string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: serverArgs(args),
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  return { text: () => text, done };
}

// Waits for `promise` to settle or `ms` to pass, whichever comes first, and
// leaves no timer behind for the test sanitizer to report.
async function untilSettledOr(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
