/** Identical searches in flight share one request, aborted when no caller is left waiting.
 * @module */

import { untilAborted } from "../async.ts";
import type { RegionOutcome, RegionSearchWrapper } from "./types.ts";

interface Flight {
  readonly outcome: Promise<RegionOutcome>;
  readonly controller: AbortController;
  waiting: number;
}

export function withSingleFlight(): RegionSearchWrapper {
  const flights = new Map<string, Flight>();
  const forget = (key: string, flight: Flight) => {
    if (flights.get(key) === flight) flights.delete(key);
  };

  return (next) => (region, keyword, options = {}) => {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = `${region.name}\n${keyword}`;
    let flight = flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const outcome = next(region, keyword, { ...options, signal: controller.signal });
      const started: Flight = { outcome, controller, waiting: 0 };
      outcome.then(() => forget(key, started), () => forget(key, started));
      flights.set(key, flight = started);
    }
    const shared = flight;
    shared.waiting++;
    if (!signal) return shared.outcome;
    const leave = () => {
      if (--shared.waiting > 0) return;
      forget(key, shared);
      shared.controller.abort(signal.reason);
    };
    signal.addEventListener("abort", leave, { once: true });
    const outcome = shared.outcome.finally(() => signal.removeEventListener("abort", leave));
    return untilAborted(outcome, signal);
  };
}
