/**
 * The sentinel test: the real server, at DEBUG, against a hostile upstream
 * that echoes every credential it receives in every fault it can produce.
 * No sentinel (the cookie, the JWT or any part of it) may show up in stdout,
 * stderr, a tool result, `/health`, a log notification or an HTTP error body.
 *
 * Every tool runs over streamable HTTP, the legacy SSE transport, the plain
 * JSON call and stdio, with each credential setup of CREDENTIALS (one cookie,
 * a cookie per region, service accounts) and a proxy password in HTTPS_PROXY;
 * `doctor` runs against every fault too.
 *
 * To cover a new fault, add a row to REGION_FAULTS or AUTH_FAULTS; a new HTTP
 * route or refusal, a row to collectHttpErrors; a new way to pass a
 * credential, a row to CREDENTIALS.
 */

import assert from "node:assert/strict";
import { searchCatalogue, unsignedJwt } from "../src/demo.ts";
import { SENTINEL_COOKIE } from "./harness.ts";
import {
  Client,
  LoggingMessageNotificationSchema,
  SSEClientTransport,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "./mcp_client.ts";
import {
  cleanEnv,
  runServer as runProcess,
  serverArgs,
  type ServerProcess,
  startServer,
} from "./server_process.ts";

const JWT_SUBJECT = "SENTINEL-JWT-SUBJECT-51d3";
const BEARER = "SENTINEL-BEARER-TOKEN-0b7e";
const CN_COOKIE = "SENTINEL-CN-COOKIE-93ab";
const SERVICE_SECRET = "SENTINEL-SERVICE-SECRET-4c2e";
const PROXY_PASSWORD = "SENTINEL-PROXY-PASSWORD-77d1";
const AUTHORIZATION = { authorization: `Bearer ${BEARER}` };
const JWT = unsignedJwt({
  iss: "sentinel",
  sub: JWT_SUBJECT,
  exp: Math.floor(Date.now() / 1000) + 3600,
});
const [JWT_HEADER, JWT_PAYLOAD] = JWT.split(".");

/** Every text that must never leave the server: the credentials and the parts of the JWT. */
const SENTINELS = [
  SENTINEL_COOKIE,
  BEARER,
  CN_COOKIE,
  SERVICE_SECRET,
  PROXY_PASSWORD,
  JWT,
  `${JWT_HEADER}.${JWT_PAYLOAD}`,
  JWT_PAYLOAD,
  JWT_SUBJECT,
];

/**
 * How the server gets its credentials: the single cookie, and regions as
 * configuration (a cookie of its own for cn, service accounts sent as a bearer
 * secret). Every run also has a proxy URL with a password, bypassed for 127.0.0.1.
 */
const CREDENTIALS: Record<string, Record<string, string>> = {
  "one cookie": { CAS_SESSION: SENTINEL_COOKIE },
  "a cookie for cn, a service account for us": {
    CAS_SESSION_cn: CN_COOKIE,
    SERVICE_ACCOUNT_SECRET_us: SERVICE_SECRET,
  },
  "one service account": { SERVICE_ACCOUNT_SECRET: SERVICE_SECRET },
};

const PROXY_ENV = {
  HTTPS_PROXY: `http://proxy-user:${PROXY_PASSWORD}@127.0.0.1:9`,
  HTTP_PROXY: `http://proxy-user:${PROXY_PASSWORD}@127.0.0.1:9`,
  NO_PROXY: "127.0.0.1",
};

// What the upstream can say back, with everything it was sent in it.
function echo(request: Request): string {
  return `cookie=${request.headers.get("cookie")} jwt=${request.headers.get("x-jwt-token")} ` +
    `authorization=${request.headers.get("authorization")} ` +
    `partial=${JWT_HEADER}.${JWT_PAYLOAD} payload=${JWT_PAYLOAD}`;
}

interface FaultContext {
  request: Request;
  origin: string;
  /** Resolves after `ms`, or at once when the upstream closes. */
  delay(ms: number): Promise<void>;
}

type Fault = (context: FaultContext) => Response | Promise<Response>;

/** Region faults, chosen by the keyword searched; only region us has them, cn answers. */
const REGION_FAULTS: Record<string, Fault> = {
  "http-500": ({ request }) => new Response(echo(request), { status: 500 }),
  "http-502-json": ({ request }) =>
    Response.json({ error_code: 502, error_message: echo(request) }, { status: 502 }),
  "refused-401": ({ request }) =>
    Response.json({ error_code: 401, error_message: echo(request) }, { status: 401 }),
  "error-in-body": ({ request }) =>
    Response.json({ error_code: 500, error_type: "INTERNAL", error_message: echo(request) }),
  "bad-body": ({ request }) => new Response(`<html>${echo(request)}</html>`, { status: 200 }),
  "redirect": ({ request, origin }) =>
    new Response(null, {
      status: 302,
      headers: { location: `${origin}/elsewhere?token=${request.headers.get("x-jwt-token")}` },
    }),
  "timeout": async ({ delay }) => {
    await delay(5_000);
    return Response.json({ error_code: 0, data: [] });
  },
  "network-error": ({ request }) =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"error_message": "${echo(request)}`));
          controller.error(new Error(`connection reset ${echo(request)}`));
        },
      }),
      { status: 200, headers: { "content-type": "application/json" } },
    ),
};

/** Auth faults: each runs a server whose auth service fails this way. */
const AUTH_FAULTS: Record<string, Fault> = {
  "auth-500": ({ request }) => new Response(echo(request), { status: 500 }),
  "auth-redirect": ({ request, origin }) =>
    new Response(null, { status: 302, headers: { location: `${origin}/login?${echo(request)}` } }),
  "auth-no-token": ({ request }) => new Response(echo(request), { status: 200 }),
  "auth-network-error": ({ request }) =>
    new Response(
      new ReadableStream({ start: (c) => c.error(new Error(echo(request))) }),
      { status: 200 },
    ),
};

interface HostileUpstream {
  readonly args: string[];
  close(): Promise<void>;
}

/** Faults of the hostile upstream; `usFault` fails every search of us, whatever its keyword. */
interface HostileFaults {
  authFault?: Fault;
  usFault?: Fault;
}

function serveHostileUpstream({ authFault, usFault }: HostileFaults = {}): HostileUpstream {
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const id = setTimeout(() => {
        timers.delete(id);
        resolve();
      }, ms);
      timers.set(id, resolve);
    });
  let origin = "";
  const quiet = {
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: () => new Response(),
  };
  const server = Deno.serve(quiet, (request) => {
    const url = new URL(request.url);
    const context = { request, origin, delay };
    if (url.pathname === "/auth") {
      return authFault?.(context) ?? new Response(null, { headers: { "x-jwt-token": JWT } });
    }
    const region = url.pathname.split("/")[1];
    const keyword = url.searchParams.get("keyword") ?? "";
    const fault = usFault ?? REGION_FAULTS[keyword];
    if (region === "us" && fault) return fault(context);
    return Response.json({
      error_code: 0,
      error_message: "",
      data: searchCatalogue("cn", "oec.affiliate.monitor"),
    });
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    args: [
      "--auth-url",
      `${origin}/auth`,
      "--region",
      `cn=${origin}/cn`,
      "--region",
      `us=${origin}/us`,
      "--timeout",
      // Long enough for a loaded machine, far shorter than the timeout fault's 5 s.
      "1000",
      "--log-level",
      "DEBUG",
    ],
    async close() {
      for (const [id, resolve] of timers) {
        clearTimeout(id);
        resolve();
      }
      await server.shutdown();
    },
  };
}

/** Everything a client and the machine can see of one server run. */
class Exposure {
  readonly texts: string[] = [];

  add(label: string, value: unknown) {
    this.texts.push(`${label}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }

  assertNoSentinel() {
    for (const text of this.texts) {
      for (const sentinel of SENTINELS) {
        assert.ok(!text.includes(sentinel!), `a sentinel leaked in ${text.slice(0, 2000)}`);
      }
    }
  }
}

type Transport = "streamable HTTP" | "legacy SSE";

async function connect(
  server: ServerProcess,
  exposure: Exposure,
  transport: Transport = "streamable HTTP",
): Promise<Client> {
  const client = new Client({ name: "sentinel", version: "0" });
  client.setNotificationHandler(
    LoggingMessageNotificationSchema,
    (notification) => void exposure.add(`${transport} log notification`, notification.params),
  );
  const options = { requestInit: { headers: AUTHORIZATION } };
  await client.connect(
    transport === "legacy SSE"
      ? new SSEClientTransport(new URL(server.url.replace(/\/mcp$/, "/sse")), {
        ...options,
        eventSourceInit: { fetch: withBearer },
      })
      : new StreamableHTTPClientTransport(new URL(server.url), options),
  );
  await client.setLoggingLevel("debug");
  return client;
}

// The SSE client opens its stream through this fetch, which adds the bearer token.
function withBearer(url: string | URL, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  headers.set("authorization", AUTHORIZATION.authorization);
  return fetch(url, { ...init, headers });
}

async function callEveryToolOver(
  transport: Transport,
  server: ServerProcess,
  exposure: Exposure,
) {
  const client = await connect(server, exposure, transport);
  try {
    await callEveryTool(client, exposure);
  } finally {
    await client.close();
  }
}

// The original's plain JSON call on /mcp: every fault, an unknown tool, bad arguments.
async function callEveryToolPlainly(server: ServerProcess, exposure: Exposure) {
  const calls = [
    ...Object.keys(REGION_FAULTS).map((keyword) => ({
      tool: "search_psm_service",
      arguments: { keyword },
    })),
    { tool: "check_jwt_status" },
    { tool: "no_such_tool", arguments: {} },
    { tool: "search_psm_service", arguments: { keyword: 42 } },
  ];
  for (const call of calls) {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { ...AUTHORIZATION, "content-type": "application/json" },
      body: JSON.stringify(call),
    });
    exposure.add(`plain call ${call.tool} ${response.status}`, await response.text());
  }
}

async function callEveryTool(client: Client, exposure: Exposure) {
  const keywords = ["oec.affiliate.monitor", ...Object.keys(REGION_FAULTS)];
  const calls: [string, Record<string, unknown>][] = [
    ["list_available_regions", {}],
    ["check_jwt_status", {}],
    ...keywords.map((keyword): [string, Record<string, unknown>] => [
      "search_psm_service",
      { keyword },
    ]),
    ["search_multiple_services", { keywords: keywords.join(",") }],
    ["check_jwt_status", {}],
  ];
  for (const [name, args] of calls) {
    exposure.add(`${name} result`, await client.callTool({ name, arguments: args }));
  }
}

// Error bodies of the HTTP surface: bad JSON, no session, an unknown session, a foreign Origin.
async function collectHttpErrors(server: ServerProcess, exposure: Exposure) {
  const base = new URL(server.url);
  const headers = {
    ...AUTHORIZATION,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const ping = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "ping" });
  const requests: [string, string, RequestInit][] = [
    ["bad JSON", "/mcp", { method: "POST", headers, body: `{"cookie": "${SENTINEL_COOKIE}"` }],
    ["no session", "/mcp", { method: "GET", headers: { ...AUTHORIZATION } }],
    ["unknown session", "/mcp", {
      method: "POST",
      headers: { ...headers, "mcp-session-id": JWT },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    }],
    ["foreign origin", "/mcp", {
      method: "POST",
      headers: { ...headers, origin: "http://evil.example" },
      body: ping,
    }],
    ["no bearer", "/mcp", {
      method: "POST",
      headers: { ...headers, authorization: "" },
      body: ping,
    }],
    ["wrong bearer", "/mcp", {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${BEARER}x` },
      body: ping,
    }],
    ["unknown path", `/not-here?token=${JWT}`, { method: "GET", headers: { ...AUTHORIZATION } }],
    ["legacy SSE unknown session", `/messages?sessionId=${JWT}`, {
      method: "POST",
      headers,
      body: ping,
    }],
    ["/health", "/health", {}],
    ["/ready", "/ready", {}],
    ["/metrics", "/metrics", { headers: { ...AUTHORIZATION } }],
  ];
  for (const [label, path, init] of requests) {
    const response = await fetch(new URL(path, base), init);
    const body = await response.text();
    // Only the bearer rows are refused for the token, so the others reach what they test.
    assert.equal(response.status === 401, label.includes("bearer"), `${label}: ${response.status}`);
    exposure.add(`HTTP ${label} ${response.status}`, body);
  }
}

async function runServer(
  upstream: HostileUpstream,
  exercise: (server: ServerProcess, exposure: Exposure) => Promise<void>,
  credentials: Record<string, string> = CREDENTIALS["one cookie"]!,
): Promise<Exposure> {
  const exposure = new Exposure();
  const server = await startServer(upstream.args, {
    ...credentials,
    ...PROXY_ENV,
    MCP_AUTH_TOKEN: BEARER,
  });
  try {
    await exercise(server, exposure);
  } finally {
    await server.stop();
    await upstream.close();
  }
  const { stdout, stderr } = server.output();
  exposure.add("stdout", stdout);
  exposure.add("stderr", stderr);
  return exposure;
}

for (const [setup, credentials] of Object.entries(CREDENTIALS)) {
  Deno.test(`no sentinel leaks from any tool, transport, region fault, HTTP error or DEBUG log line (${setup})`, async () => {
    const exposure = await runServer(serveHostileUpstream(), async (server, exposure) => {
      await callEveryToolOver("streamable HTTP", server, exposure);
      await callEveryToolOver("legacy SSE", server, exposure);
      await callEveryToolPlainly(server, exposure);
      await collectHttpErrors(server, exposure);
    }, credentials);
    const stderr = exposure.texts.find((t) => t.startsWith("stderr:")) ?? "";
    assert.match(stderr, /\[DBG\]/, "DEBUG logging was on");
    for (const transport of ["streamable HTTP", "legacy SSE"]) {
      assert.ok(
        exposure.texts.some((t) => t.startsWith(`${transport} log notification`)),
        `failed regions reached the ${transport} client as log notifications`,
      );
    }
    assert.ok(
      exposure.texts.some((t) => t.includes("Found oec.affiliate.monitor in")),
      "the regions answered through the proxy bypass, so the faults were reached",
    );
    exposure.assertNoSentinel();
  });
}

for (const [name, fault] of Object.entries(AUTH_FAULTS)) {
  Deno.test(`no sentinel leaks when the auth service fails (${name})`, async () => {
    const upstream = serveHostileUpstream({ authFault: fault });
    const exposure = await runServer(upstream, async (server, exposure) => {
      await callEveryToolOver("streamable HTTP", server, exposure);
      exposure.add("/health", await (await fetch(new URL("/health", server.url))).text());
    }, CREDENTIALS["a cookie for cn, a service account for us"]);
    exposure.assertNoSentinel();
  });
}

Deno.test("no sentinel leaks over stdio, on stdout or stderr, from any tool or region fault", async () => {
  const upstream = serveHostileUpstream();
  const exposure = new Exposure();
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: serverArgs(["--stdio", ...upstream.args]),
    env: cleanEnv({ CAS_SESSION: SENTINEL_COOKIE }),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "sentinel-stdio", version: "0" });
  client.setNotificationHandler(
    LoggingMessageNotificationSchema,
    (notification) => void exposure.add("log notification", notification.params),
  );
  try {
    await client.connect(transport);
    await client.setLoggingLevel("debug");
    await callEveryTool(client, exposure);
  } finally {
    await client.close();
    await upstream.close();
  }
  exposure.add("stderr", stderr);
  assert.match(stderr, /\[DBG\]/, "DEBUG logging was on");
  exposure.assertNoSentinel();
});

// `doctor` asks every auth service and region once, with the probe keyword: us fails each way.
const DOCTOR_FAULTS: [string, HostileFaults][] = [
  ...Object.entries(REGION_FAULTS).filter(([name]) => name !== "timeout").map((
    [name, usFault],
  ): [string, HostileFaults] => [name, { usFault }]),
  ...Object.entries(AUTH_FAULTS).map(([name, authFault]): [string, HostileFaults] => [
    name,
    { authFault },
  ]),
];

for (const [index, [name, faults]] of DOCTOR_FAULTS.entries()) {
  // Text and --json take turns, so both formats meet region and auth faults.
  const json = index % 2 === 0;
  Deno.test(`no sentinel leaks from doctor${json ? " --json" : ""} when ${name} fails`, async () => {
    const upstream = serveHostileUpstream(faults);
    let result;
    try {
      result = await runProcess(["doctor", ...(json ? ["--json"] : []), ...upstream.args], {
        ...CREDENTIALS["a cookie for cn, a service account for us"],
        ...PROXY_ENV,
      });
    } finally {
      await upstream.close();
    }
    const exposure = new Exposure();
    exposure.add("doctor stdout", result.stdout);
    exposure.add("doctor stderr", result.stderr);
    assert.equal(result.code, 1, `doctor reports the failure:\n${result.stdout}`);
    assert.match(result.stdout, /proxy-user|127\.0\.0\.1:9/, "the proxy is described");
    exposure.assertNoSentinel();
  });
}
