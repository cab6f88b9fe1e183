/** Which requests of one connection are still owed an answer: every transport pairs answers by id
 * alone, so a request cut short must be cancelled and answered by id too.
 * @module */

import type { JSONRPCMessage, RequestId } from "./mcp_sdk.ts";

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
