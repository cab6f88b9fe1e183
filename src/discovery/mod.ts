/** The Neptune client: every region searched concurrently through `pipeline.ts`, answers ranked.
 * @module */

import { linkAbort } from "../async.ts";
import type { Region } from "../config/mod.ts";
import { createCircuitBreaker, type RegionHealth } from "./breaker.ts";
import { buildRegionSearch, type PipelineOptions } from "./pipeline.ts";
import { type RecentPsms, selectMatches, withSuggestions } from "./ranking.ts";
import type { RegionOutcome, RegionSearchOptions, SearchResult } from "./types.ts";

export * from "./types.ts";
export type { RegionHealth } from "./breaker.ts";
export { createRecentPsms, type RecentPsms, selectMatches } from "./ranking.ts";

export interface Discovery {
  readonly regions: readonly Region[];
  /** Only cancellation rejects; answers when a region has the exact PSM unless `waitAllRegions`. */
  search(keyword: string, options?: SearchOptions): Promise<SearchResult>;
  /** Searches each keyword (duplicates once), several at a time; results in the order given. */
  searchMany(
    keywords: readonly string[],
    options?: SearchOptions & { onProgress?: (done: number, total: number) => void },
  ): Promise<SearchResult[]>;
  /** Each region's circuit breaker and last outcome, in configuration order; asks no region. */
  health(): RegionHealth[];
}

export interface SearchOptions extends RegionSearchOptions {
  waitAllRegions?: boolean;
  /** Unknown names are ignored. */
  regions?: readonly string[];
  /** One session's memory of PSMs: fed by the answer, drawn on for "did you mean". */
  recentPsms?: RecentPsms;
}

export type DiscoveryOptions = PipelineOptions & { regions: readonly Region[] };

/** Creates a {@linkcode Discovery} over `options.regions`; build one per process. */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { regions, logger, now, concurrency } = options;
  const breaker = createCircuitBreaker({ now });
  const searchRegion = buildRegionSearch(options, breaker);

  async function search(keyword: string, options: SearchOptions = {}): Promise<SearchResult> {
    const { signal, refresh, waitAllRegions = false, recentPsms } = options;
    const chosen = regions.filter((region) => options.regions?.includes(region.name) ?? true);
    // The regions' searches follow the caller's cancellation only until the answer: those left
    // running after an early answer go on to fill the cache.
    const link = linkAbort(signal);
    const settled = new Array<RegionOutcome | undefined>(chosen.length);
    const exact = Promise.withResolvers<void>();
    const searches = chosen.map(async (region, index) => {
      const outcome = await searchRegion(region, keyword, { signal: link.signal, refresh });
      settled[index] = outcome;
      if (!outcome.ok) {
        logger[outcome.error.skipped ? "debug" : "warn"](
          "Region {region} failed for {keyword}: {reason}",
          { region: outcome.region, keyword, reason: outcome.error.message },
        );
      } else if (!waitAllRegions && outcome.services.some((service) => service.psm === keyword)) {
        exact.resolve();
      }
      return outcome;
    });
    const all = Promise.all(searches);
    try {
      await Promise.race([all, exact.promise]);
    } finally {
      link.unlink();
    }
    const outcomes = settled.filter((outcome) => outcome !== undefined);
    const pending = chosen.filter((_, index) => !settled[index]).map((region) => region.name);
    // Only a layer's bug rejects: after an early answer it would otherwise go unseen.
    all.catch((error) =>
      logger.debug("A background search for {keyword} failed: {error}", { keyword, error })
    );
    const answered = outcomes.flatMap((o) => o.ok ? o.services.map((service) => service.psm) : []);
    recentPsms?.add(answered);
    const result = { ...selectMatches(keyword, outcomes), pending, searchedAt: now() };
    // Never the PSMs other sessions have seen: a suggestion would tell what they searched.
    return withSuggestions(result, () => [...answered, ...recentPsms?.list() ?? []]);
  }

  return {
    regions,
    search,
    async searchMany(keywords, { onProgress, ...options } = {}) {
      const unique = [...new Set(keywords)];
      const results = new Array<SearchResult>(unique.length);
      const queue = unique.entries(); // shared by the workers: each keyword is taken once
      let done = 0;
      async function worker() {
        for (const [index, keyword] of queue) {
          results[index] = await search(keyword, options);
          onProgress?.(++done, unique.length);
        }
      }
      // As many keywords as the limiter lets through keep it busy; more would only wait there,
      // all past the circuit breaker before it could open for a region that stopped answering.
      const workers = Math.min(Math.max(1, concurrency), unique.length);
      await Promise.all(Array.from({ length: workers }, worker));
      return results;
    },
    health: () => regions.map((region) => breaker.health(region.name)),
  };
}
