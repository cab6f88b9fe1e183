/** JSON-RPC over HTTP: the error responses (with the SDK transport's codes), and what the routes
 * read from a body.
 * @module */

import { isRecord } from "../json.ts";
import type { RequestId } from "../mcp_sdk.ts";

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
