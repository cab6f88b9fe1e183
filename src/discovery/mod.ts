/**
 * The Neptune client: searches every region concurrently (each through the layers of
 * `pipeline.ts`) and selects what to show: the exact PSM when there is one, else ranked
 * fuzzy candidates.
 *
 * @module
 */

import { linkAbort } from "../async.ts";
import type { TokenProvider } from "../auth.ts";
import type { Region } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import type { Fetch } from "../upstream.ts";
import { createCircuitBreaker, type RegionHealth } from "./breaker.ts";
import { DEFAULT_CONCURRENCY } from "./limiter.ts";
import { buildRegionSearch, type PipelineObservers } from "./pipeline.ts";
import { selectMatches } from "./ranking.ts";
import type { RecentPsms } from "./recent_psms.ts";
import type { Sleep } from "./retry.ts";
import { withSuggestions } from "./suggest.ts";
import type { RegionOutcome, SearchResult } from "./types.ts";

export * from "./types.ts";
export type { CircuitState, RegionHealth } from "./breaker.ts";
export type { PipelineObservers } from "./pipeline.ts";
export { selectMatches } from "./ranking.ts";
export type { Sleep } from "./retry.ts";
export { createRecentPsms, type RecentPsms, type RecentPsmsOptions } from "./recent_psms.ts";

/** Searches the configured regions. */
export interface Discovery {
  readonly regions: readonly Region[];
  /**
   * Searches every region for `keyword`; never rejects but for cancellation. Answers as soon
   * as one region has the exact PSM, unless `waitAllRegions`.
   */
  search(keyword: string, options?: SearchOptions): Promise<SearchResult>;
  /** Searches each keyword (duplicates once), several at a time; results in the order given. */
  searchMany(keywords: readonly string[], options?: SearchManyOptions): Promise<SearchResult[]>;
  /** Each region's circuit breaker and last outcome, in configuration order; asks no region. */
  health(): RegionHealth[];
  /** Resolves once the regions left searching in the background by early answers have settled. */
  settled(): Promise<void>;
}

/** Options for {@linkcode Discovery.search}. */
export interface SearchOptions {
  signal?: AbortSignal;
  /** Ask every region again instead of answering from the cache. */
  refresh?: boolean;
  /** Wait for every region even when one already has the exact PSM. */
  waitAllRegions?: boolean;
  /** Search only the regions of these names; unknown names are ignored. */
  regions?: readonly string[];
  /** One session's memory of PSMs: fed by the answer, drawn on for "did you mean". */
  recentPsms?: RecentPsms;
}

/** Options for {@linkcode Discovery.searchMany}. */
export interface SearchManyOptions extends SearchOptions {
  onProgress?: (done: number, total: number) => void;
}

/** Options for {@linkcode createDiscovery}. */
export interface DiscoveryOptions {
  regions: readonly Region[];
  /** Several regions may share one token provider. */
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
  /** Fuzzy candidates shown at most. Default 20. */
  maxCandidates?: number;
  /** How long an answer is served from the cache. Default 0: no cache. */
  cacheTtlMs?: number;
  /** The estimated heap the cache may hold, stale answers included. Default 64 MiB. */
  cacheMaxBytes?: number;
  /** Registry requests in flight per region, across every call. Default 8. */
  concurrency?: number;
  /** Keywords of one batch searched at the same time. Default `concurrency`. */
  batchConcurrency?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Spreads out retries; a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  sleep?: Sleep;
  /** Layers that only watch (for metrics). */
  observe?: PipelineObservers;
}

/** Creates a {@linkcode Discovery} over `options.regions`; build one per process. */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { regions, logger, maxCandidates = 20 } = options;
  const { now = Date.now, concurrency = DEFAULT_CONCURRENCY } = options;
  // As many keywords as the limiter lets through per region keep it busy; more would only wait
  // there, all past the circuit breaker before it could open for a region that stopped answering.
  const { batchConcurrency = concurrency } = options;
  const breaker = createCircuitBreaker({ now });
  const searchRegion = buildRegionSearch({
    ...options,
    now,
    breaker,
    cacheTtlMs: options.cacheTtlMs ?? 0,
    concurrency,
    maxCandidates,
  });
  const background = new Set<Promise<unknown>>();

  async function search(keyword: string, options: SearchOptions = {}): Promise<SearchResult> {
    const { signal, refresh, waitAllRegions = false, recentPsms } = options;
    const chosen = options.regions
      ? regions.filter((region) => options.regions!.includes(region.name))
      : regions;
    // The regions' searches follow the caller's cancellation only until the answer: those left
    // running after an early answer go on to fill the cache.
    const link = linkAbort(signal);
    const settled = new Array<RegionOutcome | undefined>(chosen.length);
    const searches = chosen.map(async (region, index) => {
      const outcome = await searchRegion(region, keyword, { signal: link.signal, refresh });
      settled[index] = outcome;
      if (!outcome.ok) {
        logger[outcome.error.skipped ? "debug" : "warn"](
          "Region {region} failed for {keyword}: {reason}",
          { region: outcome.region, keyword, reason: outcome.error.message },
        );
      }
      return outcome;
    });
    try {
      await firstExactOrAll(searches, (outcome) => !waitAllRegions && hasExact(outcome, keyword));
    } finally {
      link.unlink();
    }
    const outcomes = settled.filter((outcome) => outcome !== undefined);
    const pending = chosen.filter((_, index) => !settled[index]).map((region) => region.name);
    if (pending.length > 0) keepInBackground(Promise.allSettled(searches), keyword);
    const answered = outcomes.flatMap((outcome) =>
      outcome.ok ? outcome.services.map((service) => service.psm) : []
    );
    recentPsms?.add(answered);
    const result = {
      ...selectMatches(keyword, outcomes, { maxCandidates }),
      pending,
      searchedAt: now(),
    };
    // Never the PSMs other sessions have seen: a suggestion would tell what they searched.
    return withSuggestions(result, () => [...answered, ...recentPsms?.list() ?? []]);
  }

  function keepInBackground(work: Promise<unknown>, keyword: string) {
    const tracked = work.catch((error) =>
      logger.debug("A background search for {keyword} failed: {error}", { keyword, error })
    ).finally(() => background.delete(tracked));
    background.add(tracked);
  }

  return {
    regions,
    search,
    async searchMany(keywords, { onProgress, ...options } = {}) {
      const unique = [...new Set(keywords)];
      const results = new Array<SearchResult>(unique.length);
      let next = 0;
      let done = 0;
      async function worker() {
        while (next < unique.length) {
          const index = next++;
          results[index] = await search(unique[index]!, options);
          onProgress?.(++done, unique.length);
        }
      }
      const workers = Math.min(Math.max(1, batchConcurrency), unique.length);
      await Promise.all(Array.from({ length: workers }, worker));
      return results;
    },
    health: () => regions.map((region) => breaker.health(region.name)),
    async settled() {
      while (background.size > 0) await Promise.all(background);
    },
  };
}

function hasExact(outcome: RegionOutcome, keyword: string): boolean {
  return outcome.ok && outcome.services.some((service) => service.psm === keyword);
}

// Resolves when one search settles with `enough`, or when all have; rejects with the first
// rejection. Every search gets a handler here, so none is left to reject unhandled.
function firstExactOrAll(
  searches: readonly Promise<RegionOutcome>[],
  enough: (outcome: RegionOutcome) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = searches.length;
    if (left === 0) resolve();
    for (const search of searches) {
      search.then((outcome) => {
        if (--left === 0 || enough(outcome)) resolve();
      }, reject);
    }
  });
}
