/**
 * The Neptune client: searches every region concurrently, turns each region's
 * answer into one {@linkcode RegionOutcome}, and selects what to show: the
 * exact PSM when there is one, else ranked fuzzy candidates.
 *
 * One region's search is built in `pipeline.ts` from the registry request and
 * the layers around it; this module fans it out over the regions and batches.
 *
 * @module
 */

import type { TokenProvider } from "../auth.ts";
import type { Region } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Fetch } from "../upstream.ts";
import { createCircuitBreaker, type RegionHealth } from "./breaker.ts";
import { mapConcurrently } from "./concurrency.ts";
import { buildRegionSearch } from "./pipeline.ts";
import { selectMatches } from "./ranking.ts";
import type { RecentPsms } from "./recent_psms.ts";
import type { Sleep } from "./retry.ts";
import { psmsIn, withSuggestions } from "./suggest.ts";
import type { SearchResult } from "./types.ts";

export * from "./types.ts";
export type { CircuitState, RegionHealth } from "./breaker.ts";
export type { Sleep } from "./retry.ts";
export { parseSearchAnswer, type ParseSearchAnswerOptions, searchRegion } from "./region_search.ts";
export type { SearchRegionOptions } from "./region_search.ts";
export { selectMatches, type SelectMatchesOptions } from "./ranking.ts";
export { createRecentPsms, type RecentPsms, type RecentPsmsOptions } from "./recent_psms.ts";
export type { Suggestions } from "./suggest.ts";

/** Searches the configured regions. */
export interface Discovery {
  readonly regions: readonly Region[];
  /** Searches every region for `keyword`; never rejects but for cancellation. */
  search(keyword: string, options?: { signal?: AbortSignal }): Promise<SearchResult>;
  /**
   * Searches each keyword (duplicates once), a few at a time, and returns the
   * results in the order given. `onProgress` is told after each keyword.
   */
  searchMany(keywords: readonly string[], options?: SearchManyOptions): Promise<SearchResult[]>;
  /** Each region's circuit breaker and last outcome, in configuration order; asks no region. */
  health(): RegionHealth[];
}

/** Options for {@linkcode Discovery.searchMany}. */
export interface SearchManyOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Options for {@linkcode createDiscovery}. */
export interface DiscoveryOptions {
  regions: readonly Region[];
  /** The token source of a region; several regions may share one. */
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
  /** Fuzzy candidates shown at most. Default 20. */
  maxCandidates?: number;
  /** Keywords of one batch searched at the same time. Default 4. */
  batchConcurrency?: number;
  /** Remembers the PSMs of every answer; "did you mean" draws on it too. */
  recentPsms?: RecentPsms;
  /** Milliseconds since the epoch, for the circuit breakers. Default `Date.now`. */
  now?: () => number;
  /** Spreads out retries; a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** The wait before a retry. Default a timer. */
  sleep?: Sleep;
}

/** Creates a {@linkcode Discovery} over `options.regions`. */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { regions, logger, maxCandidates = 20, batchConcurrency = 4, recentPsms } = options;
  const breaker = createCircuitBreaker({ now: options.now ?? Date.now });
  const searchRegion = buildRegionSearch({ ...options, breaker });

  async function search(keyword: string, { signal }: { signal?: AbortSignal } = {}) {
    const outcomes = await Promise.all(
      regions.map((region) => searchRegion(region, keyword, { signal })),
    );
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      logger[outcome.error.skipped ? "debug" : "warn"](
        "Region {region} failed for {keyword}: {reason}",
        {
          region: outcome.region,
          keyword,
          reason: outcome.error.message,
        },
      );
    }
    const answered = psmsIn(outcomes);
    recentPsms?.add(answered);
    const result = selectMatches(keyword, outcomes, { maxCandidates });
    return withSuggestions(result, recentPsms?.list() ?? answered);
  }

  return {
    regions,
    search,
    async searchMany(keywords, { signal, onProgress } = {}) {
      const unique = [...new Set(keywords)];
      let done = 0;
      return await mapConcurrently(unique, batchConcurrency, async (keyword) => {
        const result = await search(keyword, { signal });
        onProgress?.(++done, unique.length);
        return result;
      });
    },
    health: () => regions.map((region) => breaker.health(region.name)),
  };
}
