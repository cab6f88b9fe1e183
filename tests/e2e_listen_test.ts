import assert from "node:assert/strict";
import { startServer } from "./server_process.ts";

// Low enough that a few dozen idle connections use up every descriptor the server has.
const OPEN_FILES = 64;
const FLOOD = 200;

/**
 * Opens up to `count` idle connections to `port`; stops at the first refused
 * one (the listener closed once it ran out of descriptors).
 */
async function openIdle(port: number, count: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch {
      break;
    }
  }
  return conns;
}

/** Asks /health until it answers 200 or `attempts` run out; returns the last status or error. */
async function healthWithin(url: URL, attempts: number): Promise<string> {
  let last = "";
  for (let i = 0; i < attempts; i++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      last = String(response.status);
      if (response.ok) return last;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

Deno.test("running out of file descriptors does not end the server: it answers again once connections close", async () => {
  const server = await startServer(["--demo"], {}, { openFiles: OPEN_FILES });
  const health = new URL("/health", server.url);
  let exited: Deno.CommandStatus | undefined;
  try {
    const conns = await openIdle(Number(health.port), FLOOD);
    // Give the accept loop time to meet the limit with every connection still open.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const conn of conns) conn.close();
    assert.equal(await healthWithin(health, 100), "200", server.output().stderr);
  } finally {
    exited = await server.stop();
  }
  const { stderr } = server.output();
  // The flood did reach the limit.
  assert.match(stderr, /The HTTP listener stopped accepting .*Too many open files/);
  assert.equal(exited.code, 0, `the server ended by itself:\n${stderr}`);
});
