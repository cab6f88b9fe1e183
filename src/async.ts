/**
 * Waiting with a bound, and following a caller's cancellation without leaving a listener or a
 * timer behind.
 * @module
 */

/** Waits for `promise` to settle or `ms` to pass, whichever comes first. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` milliseconds, or rejects with `signal`'s reason as soon as it aborts. */
export function abortableSleep(
  ms: number,
  { signal }: { signal?: AbortSignal } = {},
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles as `work` does, or rejects with `signal`'s reason once it aborts first; `work` then
 * goes on unobserved (a shared request keeps going for its other callers).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const unlisten = () => signal.removeEventListener("abort", onAbort);
    work.then((value) => {
      unlisten();
      resolve(value);
    }, (error) => {
      unlisten();
      reject(error);
    });
  });
}

/**
 * Returns a signal that aborts with `signal` (or `abort`) until unlinked, so that no listener
 * outlives the call (Deno.serve, for one, also aborts a request's signal after a normal answer).
 */
export function linkAbort(
  signal: AbortSignal | undefined,
): { readonly signal: AbortSignal; abort(reason?: unknown): void; unlink(): void } {
  const controller = new AbortController();
  const follow = () => controller.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener("abort", follow, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    unlink: () => signal?.removeEventListener("abort", follow),
  };
}

/** A signal with a time limit; see {@linkcode startDeadline}. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether the time ran out (rather than the followed signal aborting). */
  readonly timedOut: boolean;
  /** Clears the timer and stops following the caller's signal, once the work is done. */
  clear(): void;
}

/**
 * Returns a signal that aborts with `options.reason()` after `ms` milliseconds, or with the
 * caller's signal. A timer cleared at the end, not AbortSignal.timeout (nor AbortSignal.any
 * with it): that one keeps a few hundred bytes per request alive until it would have fired.
 */
export function startDeadline(
  ms: number,
  options: { reason: () => unknown; signal?: AbortSignal },
): Deadline {
  const link = linkAbort(options.signal);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    link.abort(options.reason());
  }, ms);
  return {
    signal: link.signal,
    get timedOut() {
      return timedOut;
    },
    clear() {
      clearTimeout(timer);
      link.unlink();
    },
  };
}
