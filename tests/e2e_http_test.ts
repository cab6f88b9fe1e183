import assert from "node:assert/strict";
import { INITIALIZE_REQUEST, SENTINEL_COOKIE, textOf } from "./harness.ts";
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from "./mcp_client.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import {
  assertStoppedCleanly,
  NO_STOP_SIGNAL_ON_WINDOWS,
  serveUpstream,
  startServer,
} from "./server_process.ts";

Deno.test("the start task grants no more than the server needs", () => {
  assert.ok(!PERMISSION_FLAGS.includes("--allow-all"));
  // Read access is for the config file; main revokes it as soon as the file is read.
  assert.ok(PERMISSION_FLAGS.every((flag) => /^--allow-(net|read|env=[A-Z_,*]+)$/.test(flag)));
});

Deno.test("over streamable HTTP an SDK client lists and calls all four tools of the real server", async () => {
  const upstream = serveUpstream();
  const server = await startServer([...upstream.args, "--log-level", "DEBUG"], {
    CAS_SESSION: SENTINEL_COOKIE,
  });
  const client = new Client({ name: "e2e-http", version: "0" });
  const results: string[] = [];
  async function call(name: string, args?: Record<string, unknown>) {
    const result = await client.callTool({ name, arguments: args });
    results.push(JSON.stringify(result));
    return result;
  }
  try {
    const transport = new StreamableHTTPClientTransport(new URL(server.url));
    await client.connect(transport);
    assert.equal(client.getServerVersion()?.name, "byted-live-promotion");

    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      "check_jwt_status",
      "list_available_regions",
      "search_multiple_services",
      "search_psm_service",
    ]);

    const found = await call("search_psm_service", {
      keyword: "oec.live.promotion",
      wait_all_regions: true,
    });
    assert.match(textOf(found), /Found oec\.live\.promotion in cn, us\./);
    assert.match(textOf(found), /Owners: zhang\.wei/);

    const batch = await call("search_multiple_services", {
      keywords: "tiktok.live.gift,toutiao.user.info",
    });
    assert.deepEqual((batch.structuredContent as { summary: unknown }).summary, {
      found: 2,
      candidates: 0,
      not_found: 0,
      failed: 0,
    });

    const regions = await call("list_available_regions");
    const listed = (regions.structuredContent as { regions: Record<string, unknown>[] }).regions;
    assert.deepEqual(
      listed.map(({ name, base_url, auth_url, credential_source }) => ({
        name,
        base_url,
        auth_url,
        credential_source,
      })),
      upstream.regions.map((r) => ({
        name: r.name,
        base_url: r.baseUrl,
        auth_url: upstream.authUrl,
        credential_source: "CAS_SESSION",
      })),
    );

    const status = await call("check_jwt_status");
    assert.equal((status.structuredContent as { valid: boolean }).valid, true);

    await transport.terminateSession();
    const health = await fetch(server.url.replace(/\/mcp$/, "/health"));
    assert.equal((await health.json()).auth.valid, true);
  } finally {
    await client.close();
    const exit = await server.stop();
    await upstream.close();
    assertStoppedCleanly(exit, "SIGTERM shuts the server down cleanly");
  }

  const authRequests = upstream.seen.filter((r) => r.url === upstream.authUrl);
  assert.equal(authRequests.length, 1, "one JWT serves every search");
  assert.equal(authRequests[0]!.cookie, `CAS_SESSION=${SENTINEL_COOKIE}`);
  const token = upstream.seen.find((r) => r.jwt)?.jwt;
  assert.ok(token, "searches carried the JWT");
  const { stdout, stderr } = server.output();
  assert.equal(stdout, "", "an HTTP server prints nothing on stdout");
  assert.match(stderr, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
  assert.match(stderr, /Obtained a JWT valid until/);
  for (const secret of [SENTINEL_COOKIE, token]) {
    assert.ok(!stderr.includes(secret), "no credential in the logs, even at DEBUG");
  }
  assert.equal(results.length, 4);
  for (const result of results) {
    assert.ok(!result.includes(SENTINEL_COOKIE), `no cookie in a tool result: ${result}`);
    assert.ok(!result.includes(token), `no JWT in a tool result: ${result}`);
  }
});

Deno.test({
  name: "SIGTERM with a client session still open shuts the server down with code 0 in seconds",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const upstream = serveUpstream();
  const server = await startServer([...upstream.args, "--log-level", "DEBUG"], {
    CAS_SESSION: SENTINEL_COOKIE,
  });
  const client = new Client({ name: "e2e-http-open", version: "0" });
  let exit: Deno.CommandStatus | undefined;
  let elapsed = 0;
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    assert.match(textOf(found), /Found oec\.live\.promotion/);

    // The session stays open: no terminateSession, no client.close() before stop().
    const started = Date.now();
    exit = await server.stop({ killAfterMs: 5_000 });
    elapsed = Date.now() - started;
  } finally {
    exit ??= await server.stop();
    await client.close();
    await upstream.close();
  }
  assert.equal(exit.signal, null, `the server needed ${exit.signal} to stop`);
  assert.equal(exit.code, 0);
  assert.ok(elapsed < 5_000, `shutdown took ${elapsed} ms`);
  const { stderr } = server.output();
  const streamOpened = stderr.indexOf("GET /mcp -> 200");
  const shutdown = stderr.indexOf("Shutting down");
  assert.ok(streamOpened >= 0 && streamOpened < shutdown, `an SSE stream was open:\n${stderr}`);
  assert.match(stderr.slice(shutdown), /Session \S+ closed/);
});

Deno.test("the real server answers /health and refuses a foreign Origin", async () => {
  const upstream = serveUpstream();
  const server = await startServer([...upstream.args], {});
  try {
    const base = server.url.replace(/\/mcp$/, "");
    const health = await fetch(`${base}/health`);
    const body = await health.json();
    assert.equal(body.status, "ok");
    assert.deepEqual(body.auth, { configured: false, valid: false });
    const foreign = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: { origin: "https://attacker.example", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
  } finally {
    await server.stop();
    await upstream.close();
  }
  assert.match(server.output().stderr, /CAS_SESSION is not set/);
});

const SENTINEL_TOKEN = "SENTINEL-TOKEN-e2e-41d7";

Deno.test("the real server with MCP_AUTH_TOKEN serves a client that sends it and refuses one that does not", async () => {
  const upstream = serveUpstream();
  const server = await startServer([...upstream.args, "--log-level", "DEBUG"], {
    MCP_AUTH_TOKEN: SENTINEL_TOKEN,
  });
  const client = new Client({ name: "e2e-http-token", version: "0" });
  try {
    const anonymous = await fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: "{}",
    });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer/);
    await anonymous.body?.cancel();
    const health = await fetch(server.url.replace(/\/mcp$/, "/health"));
    assert.equal(health.status, 200, "/health needs no token");
    await health.body?.cancel();

    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { authorization: `Bearer ${SENTINEL_TOKEN}` } },
      }),
    );
    assert.equal((await client.listTools()).tools.length, 4);
  } finally {
    await client.close();
    await server.stop();
    await upstream.close();
  }
  const { stdout, stderr } = server.output();
  assert.ok(
    !stderr.includes(SENTINEL_TOKEN) && !stdout.includes(SENTINEL_TOKEN),
    "no token in logs",
  );
});

Deno.test({
  name: "SIGTERM answers a call still running after the deadline with a shutdown error",
  ignore: NO_STOP_SIGNAL_ON_WINDOWS,
}, async () => {
  const upstream = serveUpstream({ searchDelayMs: 60_000 });
  const server = await startServer([...upstream.args], { CAS_SESSION: SENTINEL_COOKIE });
  const client = new Client({ name: "e2e-http-shutdown", version: "0" });
  let exit: Deno.CommandStatus | undefined;
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const call = client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    const outcome = call.then(() => "answered", (error: Error) => error.message);
    while (!upstream.seen.some((r) => r.jwt)) await new Promise((r) => setTimeout(r, 20));
    exit = await server.stop({ killAfterMs: 9_000 });
    assert.match(await outcome, /Server shutting down/);
  } finally {
    exit ??= await server.stop();
    await client.close();
    await upstream.close();
  }
  assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}`);
});

Deno.test("with --stateless the real server answers an SDK client without a session", async () => {
  const upstream = serveUpstream();
  const server = await startServer([...upstream.args, "--stateless"], {
    CAS_SESSION: SENTINEL_COOKIE,
  });
  const client = new Client({ name: "e2e-http-stateless", version: "0" });
  try {
    const transport = new StreamableHTTPClientTransport(new URL(server.url));
    await client.connect(transport);
    assert.equal(transport.sessionId, undefined, "no session was handed out");
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    assert.match(textOf(found), /Found oec\.live\.promotion/);
  } finally {
    await client.close();
    await server.stop();
    await upstream.close();
  }
});

Deno.test("over the legacy SSE transport an SDK client lists and calls the tools of the real server", async () => {
  const upstream = serveUpstream();
  const server = await startServer(upstream.args, { CAS_SESSION: SENTINEL_COOKIE });
  const client = new Client({ name: "e2e-sse", version: "0" });
  let exit: Deno.CommandStatus | undefined;
  try {
    await client.connect(new SSEClientTransport(new URL(server.url.replace(/\/mcp$/, "/sse"))));
    const { tools } = await client.listTools();
    assert.equal(tools.length, 4);
    const found = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promotion" },
    });
    assert.match(textOf(found), /Found oec\.live\.promotion in cn/);
    exit = await server.stop();
    assertStoppedCleanly(exit, "SIGTERM with the SSE stream open ends it and exits cleanly");
  } finally {
    await client.close();
    if (!exit) await server.stop();
    await upstream.close();
  }
});

Deno.test("the real server answers a plain JSON call, then /ready and /metrics count it", async () => {
  const upstream = serveUpstream();
  const server = await startServer(upstream.args, { CAS_SESSION: SENTINEL_COOKIE });
  const origin = server.url.replace(/\/mcp$/, "");
  try {
    const call = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "*/*" },
      body: JSON.stringify({
        tool: "search_psm_service",
        arguments: { keyword: "oec.live.promotion" },
      }),
    });
    assert.equal(call.status, 200);
    assert.equal((await call.json()).structuredContent.status, "found");
    const ready = await fetch(`${origin}/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).ready, true);
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    assert.match(
      metrics,
      /^byted_mcp_tool_calls_total\{tool="search_psm_service",outcome="ok"\} 1$/m,
    );
    assert.match(metrics, /^byted_mcp_auth_refreshes_total\{outcome="ok"\} 1$/m);
    assert.ok(!metrics.includes(SENTINEL_COOKIE));
  } finally {
    const exit = await server.stop();
    await upstream.close();
    assertStoppedCleanly(exit);
  }
});

Deno.test("--max-sessions-per-client caps a client's sessions on the real server", async () => {
  const server = await startServer(["--demo", "--max-sessions-per-client", "1"], {});
  const post = (body: object, sessionId?: string) =>
    fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...(sessionId && { "mcp-session-id": sessionId }),
      },
      body: JSON.stringify(body),
    });
  try {
    const first = await post(INITIALIZE_REQUEST);
    await first.body?.cancel();
    const second = await post(INITIALIZE_REQUEST);
    await second.body?.cancel();
    assert.equal(second.status, 200);
    const late = await post(
      { jsonrpc: "2.0", id: 2, method: "ping" },
      first.headers.get("mcp-session-id")!,
    );
    assert.equal(late.status, 404, "the client's older session made room for its new one");
    assert.match((await late.json()).error.message, /closed to make room/);
  } finally {
    await server.stop();
  }
});

Deno.test("a legacy SSE client that never reads loses its session on the real server, quietly", async () => {
  const server = await startServer(["--demo"], {});
  const { hostname, port } = new URL(server.url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    const request =
      `GET /sse HTTP/1.1\r\nHost: ${hostname}:${port}\r\naccept: text/event-stream\r\n\r\n`;
    await connection.write(new TextEncoder().encode(request));
    // Reads up to the endpoint event, then never again.
    const buffer = new Uint8Array(4096);
    let head = "";
    while (!/sessionId=[^\r\n]+\r?\n/.test(head)) {
      const read = await connection.read(buffer);
      assert.ok(read, "the stream ended before its endpoint event");
      head += new TextDecoder().decode(buffer.subarray(0, read));
    }
    const endpoint = head.match(/data: (\/messages\?sessionId=[^\r\n]+)/)![1];
    const batch = Array.from(
      { length: 32 },
      (_, id) => ({ jsonrpc: "2.0", id, method: "tools/list" }),
    );
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const response = await fetch(new URL(endpoint!, server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      if (response.status === 404) refused = response;
      else await response.body?.cancel();
    }
    assert.ok(refused, "the session was closed once 4 MiB were left unread");
    assert.match((await refused.json()).error.message, /stopped reading the event stream/);
  } finally {
    connection.close();
    await server.stop();
  }
  const { stderr } = server.output();
  assert.match(stderr, /SSE session \S+ closed: The client left over 4194304 bytes/);
  assert.doesNotMatch(stderr, /Request failed/, "no error with a stack trace for it");
});
