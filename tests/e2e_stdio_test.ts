import assert from "node:assert/strict";
import { INITIALIZE_REQUEST, SENTINEL_COOKIE, textOf } from "./harness.ts";
import { Client, StdioClientTransport } from "./mcp_client.ts";
import { cleanEnv, serverArgs, serveUpstream } from "./server_process.ts";

const encoder = new TextEncoder();

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
      arguments: { keyword: "oec.affiliate.monitor" },
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
  const child = new Deno.Command(Deno.execPath(), {
    args: serverArgs(["--stdio", "--demo"]),
    env: cleanEnv(),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const messages = [
    INITIALIZE_REQUEST,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "search_psm_service", arguments: { keyword: "tiktok.live.gift" } },
    },
  ];
  const stdout = child.stdout.pipeThrough(new TextDecoderStream());
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(messages.map((m) => JSON.stringify(m)).join("\n") + "\n"),
  );

  let text = "";
  const reader = stdout.getReader();
  while (!/"id":3/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await writer.close();
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);

  assert.equal(status.code, 0, `exit status 0 after stdin closed; stderr:\n${stderr}`);
  const lines = text.trim().split("\n");
  const responses = lines.map((line) => JSON.parse(line));
  assert.ok(responses.every((r) => r.jsonrpc === "2.0"), "stdout held only JSON-RPC");
  assert.deepEqual(responses.map((r) => r.id), [1, 2, 3]);
  assert.equal(responses[1].result.tools.length, 4);
  assert.match(responses[2].result.content[0].text, /Found tiktok\.live\.gift in us\./);
});

Deno.test("over stdio a request still being answered when stdin closes gets its answer", async () => {
  const upstream = serveUpstream({ searchDelayMs: 400 });
  const child = new Deno.Command(Deno.execPath(), {
    args: serverArgs(["--stdio", ...upstream.args]),
    env: cleanEnv({ CAS_SESSION: SENTINEL_COOKIE }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const messages = [
    INITIALIZE_REQUEST,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "search_psm_service", arguments: { keyword: "oec.live.room" } },
    },
  ];
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(messages.map((m) => JSON.stringify(m)).join("\n") + "\n"));
  await writer.close();
  const [status, stdout] = await Promise.all([child.status, new Response(child.stdout).text()]);
  await upstream.close();

  assert.equal(status.code, 0);
  const responses = stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(responses.map((r) => r.id), [1, 2]);
  assert.match(responses[1].result.content[0].text, /Found oec\.live\.room in cn, us\./);
});
