/**
 * Waiting with a bound, for shutdown and the last log lines.
 *
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
