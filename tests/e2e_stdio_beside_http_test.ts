/**
 * The original server's desktop configs start it with `--port 8123` and no
 * `--stdio`, then talk MCP over the pipe: a piped stdin is served beside HTTP.
 */
import assert from "node:assert/strict";
import { INITIALIZE_REQUEST, SENTINEL_COOKIE, textOf } from "./harness.ts";
import { Client, StdioClientTransport, StreamableHTTPClientTransport } from "./mcp_client.ts";
import {
  assertStoppedCleanly,
  cleanEnv,
  NO_STOP_SIGNAL_ON_WINDOWS,
  serverArgs,
  serveUpstream,
  startServer,
} from "./server_process.ts";
import { SHUTTING_DOWN } from "../src/shutdown.ts";

const encoder = new TextEncoder();
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };
const LIST_TOOLS = { jsonrpc: "2.0", id: 2, method: "tools/list" };

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function lines(messages: readonly object[]): Uint8Array {
  return encoder.encode(messages.map((m) => JSON.stringify(m)).join("\n") + "\n");
}

function jsonRpcIds(stdout: string): unknown[] {
  return stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line).id);
}

Deno.test("started like the original's desktop config, the server answers an SDK client over stdio and /health over HTTP", async () => {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: serverArgs(["--host", "127.0.0.1", "--port", "0", "--demo"]),
    env: cleanEnv(),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "desktop-config", version: "0" });
  try {
    await client.connect(transport);
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });
    assert.match(textOf(found), /Found oec\.live\.room in cn, us\./);
    await until(() => /listening on http:\/\/\S+\/mcp/.test(stderr), "the HTTP announcement");
    const url = new URL(stderr.match(/listening on (http:\/\/\S+)\/mcp/)![1] + "/health");
    const health = await fetch(url);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
  } finally {
    await client.close();
  }
  assert.match(stderr, /Serving MCP over stdio too: stdin is a pipe/);
});

Deno.test("when the stdio client closes stdin, HTTP keeps serving and stdout held only JSON-RPC", async () => {
  const server = await startServer(["--demo"], {}, { stdin: "piped" });
  const writer = server.stdin!.getWriter();
  try {
    await writer.write(lines([INITIALIZE_REQUEST, INITIALIZED, LIST_TOOLS]));
    await until(() => jsonRpcIds(server.output().stdout).includes(2), "the stdio answers");
    await writer.close();
    await until(() => /MCP over stdio has ended/.test(server.output().stderr), "the stdio end");

    const health = await fetch(new URL("/health", server.url));
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const client = new Client({ name: "after-stdin-closed", version: "0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "tiktok.live.gift" },
    });
    assert.match(textOf(found), /Found tiktok\.live\.gift in us\./);
    await client.close();
  } finally {
    assertStoppedCleanly(await server.stop(), server.output().stderr);
  }
  assert.deepEqual(jsonRpcIds(server.output().stdout), [1, 2], "stdout holds the answers only");
});

Deno.test({
  name: "one SIGTERM stops HTTP and stdio both: a stdio call still running after 5 s is answered",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const upstream = serveUpstream({ searchDelayMs: 60_000 });
  const server = await startServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE }, {
    stdin: "piped",
  });
  try {
    const search = {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "search_psm_service", arguments: { keyword: "oec.live.room" } },
    };
    await server.stdin!.getWriter().write(lines([INITIALIZE_REQUEST, INITIALIZED, search]));
    await until(() => upstream.seen.some((r) => r.jwt), "the search upstream");
    server.signal("SIGTERM");
    const status = await server.exited();
    assert.equal(status.code, 0, server.output().stderr);
  } finally {
    await server.stop({ killAfterMs: 1_000 }).catch(() => {});
    await upstream.close();
  }
  const answers = server.output().stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(answers.map((answer) => answer.id), [1, 2]);
  assert.deepEqual(answers[1].error, SHUTTING_DOWN);
});

Deno.test("when the port is taken, a piped stdin is still served, with a warning on stderr", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: serverArgs(["--host", "127.0.0.1", "--port", String(port), "--demo"]),
      env: cleanEnv(),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(lines([INITIALIZE_REQUEST, INITIALIZED, LIST_TOOLS]));
    await writer.close();
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, 0, stderr);
    assert.deepEqual(jsonRpcIds(stdout), [1, 2]);
    assert.equal(JSON.parse(stdout.trim().split("\n")[1]!).result.tools.length, 4);
    assert.match(
      stderr,
      new RegExp(`Not serving HTTP: Port ${port} is already in use.*serving MCP over stdio only`),
    );
  } finally {
    taken.close();
  }
});
