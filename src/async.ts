/** Bounded waits, and cancellation followed without leaving a listener or a timer.
 * @module */

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
export async function abortableSleep(
  ms: number,
  { signal }: { signal?: AbortSignal } = {},
): Promise<void> {
  const slept = Promise.withResolvers<void>();
  const timer = setTimeout(slept.resolve, ms);
  try {
    await (signal ? untilAborted(slept.promise, signal) : slept.promise);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles as `work` does, or rejects once `signal` aborts; `work` then goes on unobserved. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const aborted = Promise.withResolvers<never>();
  const onAbort = () => aborted.reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([work, aborted.promise])
    .finally(() => signal.removeEventListener("abort", onAbort));
}

/** A signal that follows `signal` until unlinked: Deno.serve aborts one even after an answer. */
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

/**
 * A signal that aborts with `options.reason()` after `ms` (then `timedOut`) or with the caller's.
 * A timer cleared at the end, not AbortSignal.timeout: that keeps memory alive until it fires.
 */
export function startDeadline(
  ms: number,
  options: { reason: () => unknown; signal?: AbortSignal },
): { readonly signal: AbortSignal; readonly timedOut: boolean; clear(): void } {
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
