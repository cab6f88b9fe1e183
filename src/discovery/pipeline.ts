/**
 * The one place where a region search is assembled from its layers. Each
 * layer is a {@linkcode RegionSearchWrapper} made by a `withX(options)` of a
 * module of its own (`withCache`, `withRetry`, ...); they are
 * listed here outermost first, so the order in which a search meets them reads
 * top to bottom: search -> cache -> single flight -> breaker -> retry -> limiter -> fetch.
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
  /** Created once per process, so that each region's circuit lasts across calls. */
  breaker: CircuitBreaker;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** How long an answer is served from the cache; 0 disables the cache. */
  cacheTtlMs: number;
  /** The estimated heap the cache may hold, in bytes. Default 64 MiB. */
  cacheMaxBytes?: number;
  /** Registry requests in flight per region, across every call. */
  concurrency: number;
  /** Layers that only watch, such as metrics. */
  observe?: PipelineObservers;
}

/** Layers that watch searches without changing them. */
export interface PipelineObservers {
  /** Outermost: each region search as discovery asks it, a cache hit included. */
  searches?: RegionSearchWrapper;
  /** Innermost: each request to the registry, a retry counted again. */
  requests?: RegionSearchWrapper;
}

/**
 * Returns the region search that discovery uses: the registry request inside
 * every layer. Build it once per process: the cache, the searches in flight
 * and the per-region limits live in it.
 */
export function buildRegionSearch(options: PipelineOptions): RegionSearch {
  const { searches, requests } = options.observe ?? {};
  const layers: RegionSearchWrapper[] = [
    ...(searches ? [searches] : []),
    withCache({ now: options.now, ttlMs: options.cacheTtlMs, maxBytes: options.cacheMaxBytes }),
    withSingleFlight(),
    withBreaker(options.breaker),
    withRetry(options),
    // Innermost, so that shared searches take one slot and a retry waits for one.
    withLimiter({ concurrency: options.concurrency }),
    ...(requests ? [requests] : []),
  ];
  return layers.reduceRight((inner, wrap) => wrap(inner), createRegionSearch(options));
}
