/**
 * JSON-RPC over HTTP: the response shapes (an HTTP-level error is `{ "error": "..." }`, an
 * MCP-level one a JSON-RPC error, with the codes the SDK's own transport uses), what the routes
 * read from a body, and which requests are unanswered: the server pairs answers by id alone.
 * @module
 */

import { isRecord } from "../json.ts";
import type { JSONRPCMessage, RequestId } from "../mcp_sdk.ts";

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
}

/** A request the server cannot serve as sent (the SDK's generic server error). */
export const BAD_REQUEST = -32000;
/** An unknown or ended session. */
export const SESSION_NOT_FOUND = -32001;
/** A body that is not JSON. */
export const PARSE_ERROR = -32700;
/** A message that is not a request the server may serve, such as one whose id is taken. */
export const INVALID_REQUEST = -32600;

/** A JSON response with `status`. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

/** A JSON-RPC error answering no particular request (`id: null`); a string is a BAD_REQUEST. */
export function rpcError(
  status: number,
  error: RpcError | string,
  headers: HeadersInit = {},
): Response {
  if (typeof error === "string") error = { code: BAD_REQUEST, message: error };
  return json(status, { jsonrpc: "2.0", error, id: null }, headers);
}

/** The 409 to a request whose id a call in flight uses; `id: null`, not to pass for its answer. */
export function requestIdInUse(id: string | number): Response {
  return rpcError(409, {
    code: INVALID_REQUEST,
    message: `Request id ${
      JSON.stringify(id)
    } is in use by a call still in flight in this session: give each request its own id`,
  });
}

/** The JSON objects of a body: the body itself, or the members of a batch. */
export function messagesOf(body: unknown): Record<string, unknown>[] {
  return (Array.isArray(body) ? body : [body]).filter(isRecord);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || typeof value === "number";
}

/** The ids of the requests (messages with a method and an id) in a body, in order. */
export function requestIdsOf(body: unknown): RequestId[] {
  return messagesOf(body)
    .filter((m) => typeof m.method === "string" && isRequestId(m.id))
    .map((m) => m.id as RequestId);
}

/** The first request id that a batch repeats, or undefined. */
export function repeatedRequestId(body: unknown): RequestId | undefined {
  if (!Array.isArray(body)) return undefined;
  const seen = new Set<RequestId>();
  for (const id of requestIdsOf(body)) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

/** The ids of the requests that the `notifications/cancelled` messages of a body cancel. */
export function cancelledIdsOf(body: unknown): RequestId[] {
  return messagesOf(body)
    .filter((m) => m.method === "notifications/cancelled")
    .map((m) => (m.params as { requestId?: unknown } | undefined)?.requestId)
    .filter(isRequestId);
}

/** What a client sends to stop its request `requestId`. */
export function cancellation(requestId: RequestId, reason: string): JSONRPCMessage {
  return { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId, reason } };
}

/**
 * The requests a transport received and has not answered, counted per id: two requests that
 * share an id keep it unanswered until both end.
 */
export class Unanswered {
  readonly #counts = new Map<RequestId, number>();
  #drained = Promise.withResolvers<void>();

  constructor() {
    this.#drained.resolve();
  }

  get size(): number {
    return this.#counts.size;
  }

  has(id: RequestId): boolean {
    return this.#counts.has(id);
  }

  ids(): RequestId[] {
    return [...this.#counts.keys()];
  }

  /** Settles once every request received so far has been answered. */
  drained(): Promise<void> {
    return this.#drained.promise;
  }

  add(id: RequestId): void {
    if (this.#counts.size === 0) this.#drained = Promise.withResolvers<void>();
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
  }

  /** Counts one answer to `id`; with `all`, forgets every request of `id` (cancelled). */
  answered(id: RequestId, all = false): boolean {
    const count = this.#counts.get(id);
    if (count === undefined) return false;
    if (count > 1 && !all) this.#counts.set(id, count - 1);
    else this.#counts.delete(id);
    if (this.#counts.size === 0) this.#drained.resolve();
    return true;
  }

  clear(): void {
    this.#counts.clear();
    this.#drained.resolve();
  }
}
