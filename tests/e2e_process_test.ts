import assert from "node:assert/strict";
import { USAGE } from "../src/config/mod.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { INITIALIZE_REQUEST } from "./harness.ts";
import { cleanEnv, serverArgs, startServer } from "./server_process.ts";
import denoConfig from "../deno.json" with { type: "json" };

const MAIN = new URL("../main.ts", import.meta.url).href;
const encoder = new TextEncoder();

// Runs `deno run` with `denoArgs` and asserts the one line of a refusal for missing permissions.
async function assertPermissionRefusal(
  denoArgs: string[],
  expected = /^byted-live-promotion: Deno did not grant the permissions/,
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoArgs],
    env: cleanEnv(),
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 2, text);
  assert.equal(stdout.length, 0);
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 1, `one line, no stack trace:\n${text}`);
  assert.match(lines[0]!, expected);
  return lines[0]!;
}

Deno.test("deno run main.ts without permission flags exits 2 with one line naming the flags", async () => {
  const line = await assertPermissionRefusal([MAIN]);
  assert.match(line, /deno task start/);
  assert.ok(line.includes(PERMISSION_FLAGS.join(" ")), line);
});

Deno.test("deno run main.ts --help or --version without permission flags prints it and exits 0", async () => {
  const expected: [string[], string][] = [
    [["--help"], `${USAGE}\n`],
    [["-h"], `${USAGE}\n`],
    [["--version"], `byted-live-promotion ${denoConfig.version}\n`],
    [["doctor", "-V"], `byted-live-promotion ${denoConfig.version}\n`],
  ];
  for (const [args, text] of expected) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", MAIN, ...args],
      env: cleanEnv(),
      clearEnv: true,
      stdin: "null",
    }).output();
    assert.equal(new TextDecoder().decode(stderr), "", args.join(" "));
    assert.equal(new TextDecoder().decode(stdout), text, args.join(" "));
    assert.equal(code, 0, args.join(" "));
  }
});

Deno.test("an --allow-env list without the regional CAS_SESSION_* exits 2 with one line naming it alone", async () => {
  // The flags of a desktop config written before regions had variables of their own.
  const oldFlags = PERMISSION_FLAGS.map((flag) => flag.replace(/,[A-Z_]+_\*/g, ""));
  assert.ok(!oldFlags.join(" ").includes("*"), oldFlags.join(" "));
  const line = await assertPermissionRefusal(
    [
      ...oldFlags,
      MAIN,
      "--demo",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    /^byted-live-promotion: Deno did not grant access to the environment variables CAS_SESSION_\*, SERVICE_ACCOUNT_SECRET_\*: add CAS_SESSION_\*,SERVICE_ACCOUNT_SECRET_\* to --allow-env/,
  );
  assert.ok(!line.includes("MCP_PORT"), "the other variables are not listed");
});

// Each batch logs two DEBUG lines per keyword, ~500 KB in all: many times what a pipe holds.
// The keywords differ from call to call, so that no answer comes from the result cache.
function keywordsFor(call: number): string {
  return Array.from({ length: 10 }, (_, i) => `oec.affiliate.c${call}k${i}`).join(",");
}

Deno.test("over stdio with stderr piped and never read, at DEBUG, the server still answers 200 batch searches", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: serverArgs(["--stdio", "--demo", "--log-level", "debug"]),
    env: cleanEnv(),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped", // and never read, as some MCP hosts do
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  async function nextMessage(): Promise<{ id?: number; result?: { isError?: boolean } }> {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stdout ended before the answer");
      buffered += value;
    }
    const newline = buffered.indexOf("\n");
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    return JSON.parse(line);
  }
  const send = (message: object) => writer.write(encoder.encode(`${JSON.stringify(message)}\n`));

  const searches = 200;
  let answered = 0;
  // A server blocked on its log pipe would hang the test: kill it so that the test fails.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    await send(INITIALIZE_REQUEST);
    assert.equal((await nextMessage()).id, 1);
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    for (let id = 2; id < 2 + searches; id++) {
      await send({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "search_multiple_services", arguments: { keywords: keywordsFor(id) } },
      });
      const answer = await nextMessage();
      assert.equal(answer.id, id);
      assert.equal(answer.result?.isError, false);
      answered++;
    }
  } finally {
    clearTimeout(deadline);
    await writer.close().catch(() => {});
    await child.stderr.cancel();
    await reader.cancel();
    await child.status;
  }
  assert.equal(answered, searches);
});

Deno.test("/metrics shows how many log lines were dropped", async () => {
  const server = await startServer(["--demo"], {});
  try {
    const response = await fetch(server.url.replace(/\/mcp$/, "/metrics"));
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(text, /^# HELP byted_mcp_log_lines_dropped Log lines dropped since start/m);
    assert.match(text, /^byted_mcp_log_lines_dropped 0$/m);
  } finally {
    await server.stop();
  }
});
