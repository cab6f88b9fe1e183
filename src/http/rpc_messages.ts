/**
 * What the HTTP routes read from a JSON-RPC body before the server sees it:
 * its messages and the ids of its requests, so that every answer can be
 * paired with the one request that asked for it.
 *
 * @module
 */

import { isRecord } from "../json.ts";
import type { RequestId } from "../mcp_sdk.ts";

/** The JSON objects of a body: the body itself, or the members of a batch. */
export function messagesOf(body: unknown): Record<string, unknown>[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter(isRecord);
}

/** Whether `value` can be a JSON-RPC request id. */
function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || typeof value === "number";
}

/** The ids of the requests (messages with a method and an id) in a body, in order. */
export function requestIdsOf(body: unknown): RequestId[] {
  return messagesOf(body)
    .filter((m) => typeof m.method === "string" && isRequestId(m.id))
    .map((m) => m.id as RequestId);
}

/**
 * The first request id that a batch repeats, or undefined: its answers could
 * not be told apart, and the server would pair the first with either.
 */
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
