/**
 * The HTTP application over the demo catalogue, as the HTTP tests build it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createHttpApp,
  type HttpApp,
  type HttpAppOptions,
  type ServeInfo,
} from "../src/http/mod.ts";
import type { Config } from "../src/config/mod.ts";
import { createInstruments } from "../src/instruments.ts";
import { createDependencies } from "../src/dependencies.ts";
import { checkReadiness, describeHealth } from "../src/health.ts";
import { createServer } from "../src/server.ts";
import type { Fetch } from "../src/upstream.ts";
import { recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "./harness.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";

/** Options for {@linkcode createTestApp}: the app's own, and the upstream. */
export interface TestAppOptions extends Partial<HttpAppOptions> {
  /** The upstream; the demo catalogue by default. */
  fetch?: Fetch;
  /** The configuration; the test upstreams in demo mode by default. */
  config?: Config;
  /** Milliseconds since the epoch, for the server's parts (the breakers, the cache). */
  clock?: () => number;
}

/** An HTTP app bound (in name) to `host`, serving the demo catalogue. */
export function createTestApp(
  host = "localhost",
  { fetch, config = testConfig(["--demo"]), clock = Date.now, ...options }: TestAppOptions = {},
): HttpApp {
  const deps = createDependencies(config, {
    fetch: fetch ?? demoFetchFor(config),
    now: clock,
    logger: () => recordingLogger(),
    instruments: options.metrics && createInstruments(options.metrics),
  });
  const startedAt = Date.now() - 5_000;
  return createHttpApp({
    createServer: () => createServer(deps),
    createSharedServer: () => createServer(deps, { shared: true }),
    health: () => describeHealth(deps, { startedAt, now: Date.now }),
    ready: () => checkReadiness(deps),
    host,
    logger: recordingLogger(),
    ...options,
  });
}

/** An upstream whose searches never answer until aborted; auth is the demo's. */
export function hangingUpstream() {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const aborted: string[] = [];
  const started = Promise.withResolvers<void>();
  const fetch: Fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(config.authUrl)) return demo(input, init);
    started.resolve();
    return new Promise((_, reject) => {
      request.signal.addEventListener("abort", () => {
        aborted.push(request.url);
        reject(request.signal.reason);
      }, { once: true });
    });
  };
  return { fetch, aborted, started: started.promise };
}

/** A raw `tools/call` of search_psm_service, id 7. */
export const SEARCH_CALL = {
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "search_psm_service", arguments: { keyword: "oec.live.promotion" } },
};

/** The headers of a client's POST to /mcp. */
export const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/** POSTs one JSON-RPC `message` to /mcp, as a client would, with `headers` on top. */
export function postMcp(
  app: HttpApp,
  message: object,
  headers: Record<string, string> = {},
  info?: ServeInfo,
) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers },
      body: JSON.stringify(message),
    }),
    info,
  );
}

/** POSTs a plain JSON call (`{"tool", "arguments"}`) to /mcp, as curl sends it. */
export function postPlainCall(app: HttpApp, call: object) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(call),
    }),
  );
}

/** Sends `initialize` to /mcp and returns the id of the session it opened. */
export async function initializeRaw(app: HttpApp): Promise<string> {
  const response = await postMcp(app, INITIALIZE_REQUEST);
  await response.text();
  const sessionId = response.headers.get("mcp-session-id");
  assert.ok(sessionId, "initialize opened a session");
  return sessionId;
}

/** Connects an SDK client to `app` over streamable HTTP at `url`, with `headers` on every request. */
export async function connectClient(
  app: HttpApp,
  url = "http://localhost/mcp",
  headers: Record<string, string> = {},
) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => app.handle(new Request(input, init)),
    requestInit: { headers },
  });
  const client = new Client({ name: "http-test", version: "0" });
  await client.connect(transport);
  return { client, transport };
}

/** Opens a session on /mcp and returns the headers that address it. */
export async function openSession(app: HttpApp): Promise<Record<string, string>> {
  const sessionId = await initializeRaw(app);
  const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };
  await (await postMcp(app, { jsonrpc: "2.0", method: "notifications/initialized" }, headers))
    .body?.cancel();
  return headers;
}

/**
 * A call asking for progress is answered on an event stream, any other in JSON: both must end
 * the same ways.
 */
export const ANSWER_KINDS = [
  { kind: "JSON answer", call: SEARCH_CALL },
  {
    kind: "event stream",
    call: { ...SEARCH_CALL, params: { ...SEARCH_CALL.params, _meta: { progressToken: "p7" } } },
  },
] as const;

/** The one JSON-RPC message of a response body, whether JSON or an event stream. */
export function messageIn(body: string): { id?: unknown; error?: unknown; result?: unknown } {
  const data = body.split("\n").find((line) => line.startsWith("data: "));
  return JSON.parse(data ? data.slice("data: ".length) : body);
}
