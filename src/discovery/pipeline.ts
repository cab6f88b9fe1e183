/** Assembles a region search from its layers, outermost first (why this order: docs/design.md).
 * @module */

import { type CircuitBreaker, withBreaker } from "./breaker.ts";
import { type CacheOptions, withCache } from "./cache.ts";
import { withLimiter } from "./limiter.ts";
import { createRegionSearch, type RegionSearchDeps } from "./region_search.ts";
import { type RetryOptions, withRetry } from "./retry.ts";
import { withSingleFlight } from "./single_flight.ts";
import type { RegionSearch, RegionSearchWrapper } from "./types.ts";

export interface PipelineOptions extends RegionSearchDeps, RetryOptions, CacheOptions {
  /** Registry requests in flight per region at most. */
  concurrency: number;
  /** Watching layers: `searches` outermost (cache hits too), `requests` innermost (retries too). */
  observe?: { searches?: RegionSearchWrapper; requests?: RegionSearchWrapper };
}

/** Returns discovery's region search, holding the cache, flights and limits: one per process. */
export function buildRegionSearch(options: PipelineOptions, breaker: CircuitBreaker): RegionSearch {
  const { searches, requests } = options.observe ?? {};
  const layers: RegionSearchWrapper[] = [
    ...(searches ? [searches] : []),
    withCache(options),
    withSingleFlight(),
    withBreaker(breaker),
    withRetry(options),
    withLimiter({ concurrency: options.concurrency }),
    ...(requests ? [requests] : []),
  ];
  return layers.reduceRight((inner, wrap) => wrap(inner), createRegionSearch(options));
}
