/**
 * One more try, after a jittered wait of about 200 ms, for a region search that failed in a way
 * that is often gone a moment later: a network error or an HTTP 5xx (searches are idempotent
 * GETs). Nothing else is retried: a 4xx, an error_code, an invalid body or a redirect would come
 * back the same; auth has its own retry with a fresh JWT; a timeout has already made the caller
 * wait the whole limit, and repeated timeouts are the circuit breaker's business.
 *
 * @module
 */

import { abortableSleep } from "../async.ts";
import type { Logger } from "../log.ts";
import type { RegionSearchWrapper } from "./types.ts";

/** Waits `ms` milliseconds; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, options?: { signal?: AbortSignal }) => Promise<void>;

/** Options for {@linkcode withRetry}. */
export interface RetryOptions {
  logger: Logger;
  /** A number in [0, 1) that spreads retries out. Default `Math.random`. */
  random?: () => number;
  /** Default {@linkcode abortableSleep}. */
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
