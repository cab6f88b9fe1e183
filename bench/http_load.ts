/**
 * A plain HTTP load loop for MCP servers: each client opens a session with
 * one `initialize` (or none, when the server is stateless), then posts one
 * pre-built `tools/call` body again and again, as fast as the server answers.
 *
 * @module
 */

import { INITIALIZE_REQUEST } from "../tests/harness.ts";

/** A `tools/call` to repeat: the tool's name and arguments. */
export interface ToolCall {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** When a load run stops: after `calls` calls in all, or after `durationMs`. */
export type LoadLimit = { readonly calls: number } | { readonly durationMs: number };

/** What a load run did. */
export interface LoadResult {
  readonly calls: number;
  /** Calls answered with an HTTP error, a JSON-RPC error or an `isError` result. */
  readonly failures: number;
  readonly elapsedMs: number;
  readonly callsPerSecond: number;
}

/** Options for {@linkcode runLoad}. */
export interface LoadOptions {
  /** Concurrent clients, each with its own session. */
  readonly clients: number;
  readonly limit: LoadLimit;
}

const ACCEPT = "application/json, text/event-stream";

/** Posts `call` to the MCP endpoint at `url` from `clients` sessions until `limit`, and counts. */
export async function runLoad(
  url: string,
  call: ToolCall,
  { clients, limit }: LoadOptions,
): Promise<LoadResult> {
  const sessions = await Promise.all(Array.from({ length: clients }, () => openSession(url)));
  const body = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: call });
  let started = 0;
  let failures = 0;
  const begin = performance.now();
  const more = "calls" in limit
    ? () => started < limit.calls
    : () => performance.now() - begin < limit.durationMs;
  async function loop(headers: Headers) {
    while (more()) {
      started++;
      const response = await fetch(url, { method: "POST", headers, body });
      const text = await response.text();
      if (!response.ok || !text.includes('"result"') || text.includes('"isError":true')) failures++;
    }
  }
  let elapsedMs: number;
  try {
    await Promise.all(sessions.map(loop));
  } finally {
    elapsedMs = performance.now() - begin;
    await Promise.all(sessions.map((headers) => closeSession(url, headers)));
  }
  return { calls: started, failures, elapsedMs, callsPerSecond: started / (elapsedMs / 1000) };
}

/**
 * Initializes a session and returns the headers every later request of it
 * carries; a stateless server answers without a session id, and none is sent.
 */
async function openSession(url: string): Promise<Headers> {
  const headers = new Headers({ "content-type": "application/json", accept: ACCEPT });
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify(INITIALIZE_REQUEST),
  });
  await response.body?.cancel();
  const sessionId = response.headers.get("mcp-session-id");
  if (!response.ok) throw new Error(`initialize at ${url} answered HTTP ${response.status}`);
  if (sessionId) headers.set("mcp-session-id", sessionId);
  headers.set("mcp-protocol-version", INITIALIZE_REQUEST.params.protocolVersion);
  const initialized = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await initialized.body?.cancel();
  return headers;
}

async function closeSession(url: string, headers: Headers): Promise<void> {
  if (!headers.has("mcp-session-id")) return;
  const response = await fetch(url, { method: "DELETE", headers });
  await response.body?.cancel();
}
