/**
 * What the routes read from a JSON-RPC body before the server sees it, and which requests are
 * still unanswered: the server pairs answers with requests by id alone.
 * @module
 */

import { isRecord } from "../json.ts";
import type { RequestId } from "../mcp_sdk.ts";

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
