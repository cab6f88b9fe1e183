/** JSON-RPC over HTTP: the error responses (with the SDK transport's codes), what the routes read
 * from a body, and which requests are unanswered: the server pairs answers by id alone.
 * @module */

import { isRecord } from "../json.ts";
import type { JSONRPCMessage, RequestId } from "../mcp_sdk.ts";

export interface RpcError {
  code: number;
  message: string;
}

/** A request the server cannot serve as sent (the SDK's generic server error). */
export const BAD_REQUEST = -32000;
export const SESSION_NOT_FOUND = -32001;
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

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

/** The body itself, or the members of a batch, if objects. */
export function messagesOf(body: unknown): Record<string, unknown>[] {
  return (Array.isArray(body) ? body : [body]).filter(isRecord);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || typeof value === "number";
}

export function requestIdsOf(body: unknown): RequestId[] {
  return messagesOf(body)
    .filter((m) => typeof m.method === "string" && isRequestId(m.id))
    .map((m) => m.id as RequestId);
}

export function repeatedRequestId(body: unknown): RequestId | undefined {
  const ids = requestIdsOf(body);
  return ids.find((id, index) => ids.indexOf(id) !== index);
}

export function cancelledIdsOf(body: unknown): RequestId[] {
  return messagesOf(body)
    .filter((m) => m.method === "notifications/cancelled")
    .map((m) => (m.params as { requestId?: unknown } | undefined)?.requestId)
    .filter(isRequestId);
}

export function cancellation(requestId: RequestId, reason: string): JSONRPCMessage {
  return { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId, reason } };
}

/** Unanswered requests counted per id: two that share an id keep it unanswered until both end. */
export class Unanswered {
  readonly #counts = new Map<RequestId, number>();
  #drained: PromiseWithResolvers<void> | undefined;

  get size(): number {
    return this.#counts.size;
  }

  has(id: RequestId): boolean {
    return this.#counts.has(id);
  }

  ids(): RequestId[] {
    return [...this.#counts.keys()];
  }

  drained(): Promise<void> {
    return this.#drained?.promise ?? Promise.resolve();
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
    if (this.#counts.size === 0) this.#drained?.resolve();
    return true;
  }

  clear(): void {
    this.#counts.clear();
    this.#drained?.resolve();
  }
}
