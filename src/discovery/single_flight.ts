/**
 * Single flight, a {@linkcode RegionSearchWrapper}: identical searches (same
 * region, same keyword) in flight at once share one upstream request.
 *
 * The shared request runs under its own AbortController, never a caller's
 * signal: each caller stops waiting on its own cancellation, and the request
 * is aborted only when no caller is left waiting for it.
 *
 * @module
 */

import type { RegionOutcome, RegionSearchWrapper } from "./types.ts";

interface Flight {
  readonly outcome: Promise<RegionOutcome>;
  readonly controller: AbortController;
  waiting: number;
}

/** Returns the single-flight layer; it holds the searches in flight of one process. */
export function withSingleFlight(): RegionSearchWrapper {
  const flights = new Map<string, Flight>();

  return (next) => (region, keyword, options = {}) => {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = `${region.name}\n${keyword}`;
    let flight = flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const outcome = next(region, keyword, { ...options, signal: controller.signal });
      const started: Flight = { outcome, controller, waiting: 0 };
      const forget = () => {
        if (flights.get(key) === started) flights.delete(key);
      };
      outcome.then(forget, forget);
      flights.set(key, started);
      flight = started;
    }
    return wait(flight, signal, () => {
      if (flights.get(key) === flight) flights.delete(key);
    });
  };
}

// Resolves with the shared outcome, or rejects with the caller's reason when it cancels first;
// the last caller to cancel aborts the shared request.
function wait(
  flight: Flight,
  signal: AbortSignal | undefined,
  abandon: () => void,
): Promise<RegionOutcome> {
  flight.waiting++;
  return new Promise((resolve, reject) => {
    let waiting = true;
    const leave = () => {
      waiting = false;
      flight.waiting--;
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      leave();
      if (flight.waiting === 0) {
        abandon();
        flight.controller.abort(signal?.reason);
      }
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    flight.outcome.then(
      (outcome) => {
        if (!waiting) return;
        leave();
        resolve(outcome);
      },
      (error) => {
        if (!waiting) return;
        leave();
        reject(error);
      },
    );
  });
}
