/**
 * The one place where a region search is assembled from its layers. Each
 * layer is a {@linkcode RegionSearchWrapper} in a module of its own; they are
 * listed here outermost first, so the order in which a search meets them reads
 * top to bottom: search -> cache -> single flight -> breaker -> retry -> fetch.
 *
 * @module
 */

import type { CircuitBreaker } from "./breaker.ts";
import { createRegionSearch, type RegionSearchDeps } from "./region_search.ts";
import { type RetryOptions, withRetry } from "./retry.ts";
import type { RegionSearch, RegionSearchWrapper } from "./types.ts";

/** Options for {@linkcode buildRegionSearch}. */
export interface PipelineOptions extends RegionSearchDeps, RetryOptions {
  /** Created once per process, so that each region's circuit lasts across calls. */
  breaker: CircuitBreaker;
}

/** Returns the region search that discovery uses: the registry request inside every layer. */
export function buildRegionSearch(options: PipelineOptions): RegionSearch {
  const layers: RegionSearchWrapper[] = [
    options.breaker.wrap,
    withRetry(options),
  ];
  return compose(createRegionSearch(options), layers);
}

/** Wraps `core` in `layers`, the first of them outermost. */
export function compose(core: RegionSearch, layers: readonly RegionSearchWrapper[]): RegionSearch {
  return layers.reduceRight((inner, wrap) => wrap(inner), core);
}
