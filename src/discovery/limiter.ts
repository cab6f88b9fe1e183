/**
 * The per-region limiter: at most a few registry requests in flight per region, across every
 * call and session of the process. Searches beyond the limit wait in line, first come first
 * served; one cancelled while waiting leaves the line.
 *
 * @module
 */

import type { RegionSearchWrapper } from "./types.ts";

/** Registry requests in flight per region unless configured otherwise. */
export const DEFAULT_CONCURRENCY = 8;

/** Returns the limiter layer, with one {@linkcode Semaphore} per region. */
export function withLimiter({ concurrency }: { concurrency: number }): RegionSearchWrapper {
  const semaphores = new Map<string, Semaphore>();
  return (next) => async (region, keyword, options = {}) => {
    let semaphore = semaphores.get(region.name);
    if (!semaphore) semaphores.set(region.name, semaphore = new Semaphore(concurrency));
    await semaphore.acquire(options.signal);
    try {
      return await next(region, keyword, options);
    } finally {
      semaphore.release();
    }
  };
}

/** Counts permits: {@linkcode Semaphore.acquire} waits in line when none is free. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Permits in use. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once a permit is held; rejects with the reason of `signal`, leaving the line. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  /** Gives a permit back, handing it to the first caller in line, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
