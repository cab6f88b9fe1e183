/**
 * One more try, after a short jittered wait, for a region search that failed
 * in a way that is often gone a moment later: a network error or an HTTP 5xx.
 * Searches are idempotent GETs, so asking twice is safe.
 *
 * Nothing else is retried: a 4xx, an error_code, an invalid body or a redirect
 * would come back the same; auth has its own retry with a fresh JWT; a timeout
 * has already made the caller wait the whole limit, and repeated timeouts are
 * the circuit breaker's business.
 *
 * @module
 */

import { abortableSleep } from "../async.ts";
import type { Logger } from "../log.ts";
import type { RegionError, RegionSearchWrapper } from "./types.ts";

/** Waits `ms` milliseconds; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, options?: { signal?: AbortSignal }) => Promise<void>;

/** Options for {@linkcode withRetry}. */
export interface RetryOptions {
  logger: Logger;
  /** A number in [0, 1) that spreads retries out; `Math.random` by default. */
  random?: () => number;
  /** {@linkcode abortableSleep} by default. */
  sleep?: Sleep;
  /** The middle of the wait before the retry, which falls between half and one and a half of it. Default 200 ms. */
  retryDelayMs?: number;
}

const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * Returns a layer that searches again once, after a jittered wait, when the
 * search failed with a network error or an HTTP 5xx. The wait ends early with
 * the caller's cancellation.
 */
export function withRetry(options: RetryOptions): RegionSearchWrapper {
  const { logger, random = Math.random, sleep = abortableSleep } = options;
  const delayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  return (next) => async (region, keyword, searchOptions = {}) => {
    const first = await next(region, keyword, searchOptions);
    if (first.ok || !isTransient(first.error)) return first;
    const wait = Math.round(delayMs * (0.5 + random()));
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

/**
 * Whether `error` is worth one more try: a network error or an HTTP 5xx.
 * (Deno's fetch itself already retries a request that failed on a reused
 * keep-alive connection, so one network error here may be two attempts.)
 */
function isTransient(error: RegionError): boolean {
  if (error.skipped) return false;
  if (error.kind === "network") return true;
  return error.kind === "http_status" && error.status !== undefined && error.status >= 500;
}
