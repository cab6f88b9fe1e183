/** One more try after ~200 ms for a network error or HTTP 5xx (why nothing else: docs/design.md).
 * @module */

import { abortableSleep } from "../async.ts";
import type { Logger } from "../log.ts";
import type { RegionSearchWrapper } from "./types.ts";

export interface RetryOptions {
  logger: Logger;
  /** In [0, 1), spreads retries out. */
  random?: () => number;
  sleep?: typeof abortableSleep;
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
    logger.debug(
      "Region {region} failed for {keyword} ({reason}): asking again in {ms} ms",
      { region: region.name, keyword, reason: first.error.message, ms: wait },
    );
    await sleep(wait, { signal: searchOptions.signal });
    return await next(region, keyword, searchOptions);
  };
}
