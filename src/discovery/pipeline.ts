/**
 * The one place where a region search is assembled from its layers, listed outermost first:
 * search -> cache -> single flight -> breaker -> retry -> limiter -> fetch (the order's reasons
 * are in docs/design.md).
 *
 * @module
 */

import { type CircuitBreaker, withBreaker } from "./breaker.ts";
import { withCache } from "./cache.ts";
import { withLimiter } from "./limiter.ts";
import { createRegionSearch, type RegionSearchDeps } from "./region_search.ts";
import { type RetryOptions, withRetry } from "./retry.ts";
import { withSingleFlight } from "./single_flight.ts";
import type { RegionSearch, RegionSearchWrapper } from "./types.ts";

/** Options for {@linkcode buildRegionSearch}. */
export interface PipelineOptions extends RegionSearchDeps, RetryOptions {
  breaker: CircuitBreaker;
  now: () => number;
  /** 0 disables the cache. */
  cacheTtlMs: number;
  cacheMaxBytes?: number;
  /** Registry requests in flight per region, across every call. */
  concurrency: number;
  observe?: PipelineObservers;
}

/** Layers that watch searches without changing them, such as metrics. */
export interface PipelineObservers {
  /** Outermost: each region search as discovery asks it, a cache hit included. */
  searches?: RegionSearchWrapper;
  /** Innermost: each request to the registry, a retry counted again. */
  requests?: RegionSearchWrapper;
}

/**
 * Returns the region search that discovery uses. Build it once per process: the cache, the
 * searches in flight and the per-region limits live in it.
 */
export function buildRegionSearch(options: PipelineOptions): RegionSearch {
  const { searches, requests } = options.observe ?? {};
  const layers: RegionSearchWrapper[] = [
    ...(searches ? [searches] : []),
    withCache({ now: options.now, ttlMs: options.cacheTtlMs, maxBytes: options.cacheMaxBytes }),
    withSingleFlight(),
    withBreaker(options.breaker),
    withRetry(options),
    withLimiter({ concurrency: options.concurrency }),
    ...(requests ? [requests] : []),
  ];
  return layers.reduceRight((inner, wrap) => wrap(inner), createRegionSearch(options));
}
