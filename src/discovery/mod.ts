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

import { AuthError, type TokenProvider } from "../auth.ts";
import type { Region } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Fetch } from "../upstream.ts";
import { mapConcurrently } from "./concurrency.ts";
import { buildRegionSearch } from "./pipeline.ts";
import { selectMatches } from "./ranking.ts";
import type { RecentPsms } from "./recent_psms.ts";
import { psmsIn, withSuggestions } from "./suggest.ts";
import { RegionError, type RegionOutcome, type SearchResult } from "./types.ts";

export * from "./types.ts";
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
}

/** Creates a {@linkcode Discovery} over `options.regions`. */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { regions, logger, maxCandidates = 20, batchConcurrency = 4, recentPsms } = options;
  const searchRegion = buildRegionSearch(options);

  async function search(
    keyword: string,
    { signal, down }: { signal?: AbortSignal; down?: Map<string, RegionError> } = {},
  ) {
    const outcomes = await Promise.all(regions.map((region) => {
      const earlier = down?.get(region.name);
      return earlier ? skipped(earlier) : searchRegion(region, keyword, { signal });
    }));
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
      // A region that timed out, was unreachable or refused a fresh JWT will not do better for
      // the next keyword of the same batch: it is not asked again.
      const down = new Map<string, RegionError>();
      let done = 0;
      return await mapConcurrently(unique, batchConcurrency, async (keyword) => {
        const result = await search(keyword, { signal, down });
        for (const outcome of result.outcomes) {
          if (!outcome.ok && skipsRestOfBatch(outcome.error)) {
            down.set(outcome.region, outcome.error);
          }
        }
        onProgress?.(++done, unique.length);
        return result;
      });
    },
  };
}

// A failure to get a token is not among them: the token provider already answers those at
// once for a while, and its message is the one the user needs on every keyword.
function skipsRestOfBatch(error: RegionError): boolean {
  if (error.skipped || error.cause instanceof AuthError) return false;
  return error.kind === "timeout" || error.kind === "network" || error.kind === "auth";
}

function skipped(earlier: RegionError): Promise<RegionOutcome> {
  const error = new RegionError(
    `skipped: ${earlier.message} for an earlier keyword of this batch`,
    {
      region: earlier.region,
      kind: earlier.kind,
      skipped: true,
      cause: earlier,
    },
  );
  return Promise.resolve({ region: earlier.region, ok: false, error });
}
