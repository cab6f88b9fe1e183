import assert from "node:assert/strict";
import { INITIALIZE_REQUEST, SENTINEL_COOKIE, textOf } from "./harness.ts";
import { Client, StdioClientTransport } from "./mcp_client.ts";
import {
  cleanEnv,
  NO_STOP_SIGNAL_ON_WINDOWS,
  serverArgs,
  serveUpstream,
} from "./server_process.ts";
import { SHUTTING_DOWN } from "../src/shutdown.ts";

const encoder = new TextEncoder();
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };

function searchCall(id: number, keyword: string) {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "search_psm_service", arguments: { keyword, wait_all_regions: true } },
  };
}

/** The server as a desktop client starts it, with stdin, stdout and stderr piped to the test. */
function spawnStdioServer(args: string[], env: Record<string, string> = {}) {
  return spawnPiped(serverArgs(["--stdio", ...args]), env);
}

/** `deno denoArgs` with stdin, stdout and stderr piped to the test. */
function spawnPiped(denoArgs: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: denoArgs,
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function send(writer: WritableStreamDefaultWriter<Uint8Array>, messages: readonly object[]) {
  return writer.write(encoder.encode(messages.map((m) => JSON.stringify(m)).join("\n") + "\n"));
}

Deno.test("over stdio an SDK client lists and calls all four tools, and stdout holds only JSON-RPC", async () => {
  const upstream = serveUpstream();
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: serverArgs(["--stdio", ...upstream.args, "--log-level", "debug"]),
    env: cleanEnv({ CAS_SESSION: SENTINEL_COOKIE }),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "e2e-stdio", version: "0" });
  const protocolErrors: Error[] = [];
  client.onerror = (error) => protocolErrors.push(error);
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 4);
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.affiliate.monitor", wait_all_regions: true },
    });
    assert.match(textOf(found), /Found oec\.affiliate\.monitor in cn, us\./);
    const batch = await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "oec.affiliate, data.bi.export-worker" },
    });
    assert.match(textOf(batch), /1 found, 1 with candidates only/);
    const regions = await client.callTool({ name: "list_available_regions" });
    assert.match(textOf(regions), /2 regions are searched concurrently/);
    const status = await client.callTool({ name: "check_jwt_status" });
    assert.equal((status.structuredContent as { valid: boolean }).valid, true);
  } finally {
    await client.close();
    await upstream.close();
  }
  assert.deepEqual(protocolErrors, [], "every stdout line was a JSON-RPC message");
  assert.match(stderr, /Serving MCP over stdio/, "the start is logged on stderr");
  assert.match(stderr, /Obtained a JWT valid until/, "logs went to stderr");
  const token = upstream.seen.find((r) => r.jwt)?.jwt;
  assert.ok(token);
  assert.ok(!stderr.includes(SENTINEL_COOKIE) && !stderr.includes(token));
  assert.equal(upstream.seen.find((r) => r.cookie)?.cookie, `CAS_SESSION=${SENTINEL_COOKIE}`);
});

Deno.test("over stdio the server exits by itself when the client closes stdin", async () => {
  const child = spawnStdioServer(["--demo"]);
  const writer = child.stdin.getWriter();
  await send(writer, [
    INITIALIZE_REQUEST,
    INITIALIZED,
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    searchCall(3, "tiktok.live.gift"),
  ]);

  let text = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!/"id":3/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await writer.close();
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);

  assert.equal(status.code, 0, `exit status 0 after stdin closed; stderr:\n${stderr}`);
  const responses = text.trim().split("\n").map((line) => JSON.parse(line));
  assert.ok(responses.every((r) => r.jsonrpc === "2.0"), "stdout held only JSON-RPC");
  assert.deepEqual(responses.map((r) => r.id), [1, 2, 3]);
  assert.equal(responses[1].result.tools.length, 4);
  assert.match(responses[2].result.content[0].text, /Found tiktok\.live\.gift in us\./);
});

Deno.test("over stdio a request still being answered when stdin closes gets its answer", async () => {
  const upstream = serveUpstream({ searchDelayMs: 400 });
  const child = spawnStdioServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE });
  const writer = child.stdin.getWriter();
  await send(writer, [INITIALIZE_REQUEST, INITIALIZED, searchCall(2, "oec.live.room")]);
  await writer.close();
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    child.stderr.cancel(),
  ]);
  await upstream.close();

  assert.equal(status.code, 0);
  const responses = stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(responses.map((r) => r.id), [1, 2]);
  assert.match(responses[1].result.content[0].text, /Found oec\.live\.room in cn, us\./);
});

Deno.test("over stdio a request the client cancelled does not hold the exit back", async () => {
  const upstream = serveUpstream({ searchDelayMs: 60_000 });
  const child = spawnStdioServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE });
  const writer = child.stdin.getWriter();
  await send(writer, [INITIALIZE_REQUEST, INITIALIZED, searchCall(2, "oec.live.room")]);
  while (!upstream.seen.some((r) => r.jwt)) await new Promise((r) => setTimeout(r, 20));
  await send(writer, [{
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId: 2, reason: "the user moved on" },
  }]);
  const started = performance.now();
  await writer.close();
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    child.stderr.cancel(),
  ]);
  const waitedMs = performance.now() - started;
  await upstream.close();

  assert.equal(status.code, 0);
  const ids = stdout.trim().split("\n").map((line) => JSON.parse(line).id);
  assert.deepEqual(ids, [1], "a cancelled request gets no answer");
  // Without the cancellation, the server would wait out its 30 s drain.
  assert.ok(waitedMs < 20_000, `exited after ${Math.round(waitedMs)} ms`);
});

/** The server over stdio, sent a search that a fake upstream holds for `searchDelayMs`. */
async function stdioServerSearching(searchDelayMs: number) {
  const upstream = serveUpstream({ searchDelayMs });
  const child = spawnStdioServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE });
  await send(child.stdin.getWriter(), [
    INITIALIZE_REQUEST,
    INITIALIZED,
    searchCall(2, "oec.live.room"),
  ]);
  while (!upstream.seen.some((r) => r.jwt)) await new Promise((r) => setTimeout(r, 20));
  const exited = async () => {
    const [status, stdout] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      child.stderr.cancel(),
    ]);
    await upstream.close();
    return { status, answers: stdout.trim().split("\n").map((line) => JSON.parse(line)) };
  };
  return { child, exited };
}

Deno.test({
  name: "over stdio on SIGTERM a call in flight still gets its answer, then the server exits 0",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const { child, exited } = await stdioServerSearching(1_000);
  child.kill("SIGTERM");
  const { status, answers } = await exited();
  assert.equal(status.code, 0);
  assert.deepEqual(answers.map((r) => r.id), [1, 2]);
  assert.match(answers[1].result.content[0].text, /Found oec\.live\.room in cn, us\./);
});

Deno.test({
  name:
    "over stdio on SIGINT a call still running after 5 s is answered that the server shuts down",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const { child, exited } = await stdioServerSearching(60_000);
  const signalled = Date.now();
  child.kill("SIGINT");
  const { status, answers } = await exited();
  const waited = Date.now() - signalled;
  assert.equal(status.code, 0);
  assert.deepEqual(answers.map((r) => r.id), [1, 2]);
  assert.deepEqual(answers[1].error, SHUTTING_DOWN, "the same error as over HTTP");
  assert.ok(waited >= 4_500 && waited < 20_000, `exited ${waited} ms after the signal`);
});

Deno.test({
  name: "over stdio a second stop signal ends the server at once with 128 + its number",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const { child, exited } = await stdioServerSearching(60_000);
  const signalled = Date.now();
  child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  child.kill("SIGTERM");
  const { status } = await exited();
  assert.equal(status.code, 143);
  assert.ok(Date.now() - signalled < 4_000, "it did not wait for the call in flight");
});

Deno.test("over stdio a client that stops reading stdout ends the server cleanly", async () => {
  const upstream = serveUpstream({ searchDelayMs: 300 });
  const child = spawnStdioServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE });
  const writer = child.stdin.getWriter();
  await send(writer, [INITIALIZE_REQUEST, INITIALIZED, searchCall(2, "oec.live.room")]);
  await child.stdout.cancel();
  await writer.close();
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  await upstream.close();

  assert.equal(status.code, 0, stderr);
  assert.ok(!/Uncaught|EPIPE/.test(stderr), stderr);
});

const MAIN = new URL("../main.ts", import.meta.url).pathname;

Deno.test("over stdio a server that cannot start answers initialize with its stderr line, then exits 2", async () => {
  const failures = [
    serverArgs(["--stdio", "--port", "abc"]),
    serverArgs(["--stdio", "--config", "tests/testdata/tmp/no-such-config.json"]),
    ["run", MAIN, "--stdio"], // no permission flags
  ];
  for (const args of failures) {
    const child = spawnPiped(args);
    const writer = child.stdin.getWriter();
    await send(writer, [INITIALIZE_REQUEST]);
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    await writer.close().catch(() => {});
    const line = stderr.trim();
    assert.equal(status.code, 2, args.join(" "));
    assert.match(line, /^byted-live-promotion: [^\n]+$/, "one line on stderr");
    assert.deepEqual(JSON.parse(stdout), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: line },
    });
  }
});

Deno.test("over stdio an SDK client is told why the server did not start, not just that the connection closed", async () => {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: serverArgs(["--stdio", "--log-level", "loud"]),
    env: cleanEnv(),
    stderr: "ignore",
  });
  const client = new Client({ name: "e2e-stdio", version: "0" });
  await assert.rejects(client.connect(transport), /byted-live-promotion: .*--log-level/);
  await client.close();
});

Deno.test("over stdio a line over 4 MiB gets a parse error, and the next request (CRLF-ended) is answered", async () => {
  const child = spawnStdioServer(["--demo"]);
  const writer = child.stdin.getWriter();
  const pad = "x".repeat(5 * 1024 * 1024);
  await writer.write(encoder.encode(`${JSON.stringify(INITIALIZE_REQUEST)}\r\n`));
  await writer.write(encoder.encode(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"p":"`));
  for (let i = 0; i < pad.length; i += 64 * 1024) {
    await writer.write(encoder.encode(pad.slice(i, i + 64 * 1024)));
  }
  await writer.write(encoder.encode(`"}}\n`));
  await writer.write(encoder.encode(`{"jsonrpc":"2.0","id":3,"method":"tools/list"}\r\n`));
  await writer.close();
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    child.stderr.cancel(),
  ]);
  assert.equal(status.code, 0);
  const answers = stdout.trim().split("\n").map((line) => JSON.parse(line));
  const byId = new Map(answers.map((answer) => [answer.id, answer]));
  assert.equal(
    answers.length,
    3,
    "initialize, the refusal and tools/list; the long ping is not run",
  );
  assert.equal(byId.get(null).error.code, -32700);
  assert.equal(byId.get(3).result.tools.length, 4);
});
