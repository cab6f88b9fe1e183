/**
 * One more try, after a jittered wait of about 200 ms, for a search that failed with a network
 * error or an HTTP 5xx: anything else would come back the same, auth has its own retry, and a
 * timeout has already made the caller wait the whole limit (repeated ones are the breaker's).
 * @module
 */

import { abortableSleep } from "../async.ts";
import type { Logger } from "../log.ts";
import type { RegionSearchWrapper } from "./types.ts";

/** Waits `ms` milliseconds; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, options?: { signal?: AbortSignal }) => Promise<void>;

export interface RetryOptions {
  logger: Logger;
  /** A number in [0, 1) that spreads retries out. Default `Math.random`. */
  random?: () => number;
  sleep?: Sleep;
}

/** Returns the retry layer; its wait ends early with the caller's cancellation. */
export function withRetry(options: RetryOptions): RegionSearchWrapper {
  const { logger, random = Math.random, sleep = abortableSleep } = options;
  return (next) => async (region, keyword, searchOptions = {}) => {
    const first = await next(region, keyword, searchOptions);
    if (first.ok || first.error.skipped) return first;
    // Deno's fetch already retries a request that failed on a reused keep-alive connection, so
    // one network error here may be two attempts.
    const { kind, status = 0 } = first.error;
    if (kind !== "network" && !(kind === "http_status" && status >= 500)) return first;
    const wait = Math.round(200 * (0.5 + random()));
    logger.debug("Region {region} failed for {keyword} ({reason}): asking again in {ms} ms", {
      region: region.name,
      keyword,
      reason: first.error.message,
      ms: wait,
    });
    await sleep(wait, { signal: searchOptions.signal });
    return await next(region, keyword, searchOptions);
  };
}
