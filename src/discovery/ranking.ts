/**
 * What to show for a keyword: the exact PSM with every region it is in, or
 * the fuzzy candidates of all regions merged by PSM and ranked.
 *
 * @module
 */

import type { FoundService, RegionOutcome, SearchResult } from "./types.ts";

/** What {@linkcode selectMatches} decides: a search result but for its timing and pending regions. */
export type Matches = Omit<SearchResult, "pending" | "searchedAt">;

/** Options for {@linkcode selectMatches}. */
export interface SelectMatchesOptions {
  maxCandidates: number;
}

/**
 * Chooses what to show for `keyword` from every region's outcome: the exact
 * PSM (with every region it is in) when any region has it, else the fuzzy
 * candidates merged by PSM and ranked, at most `maxCandidates`.
 */
export function selectMatches(
  keyword: string,
  outcomes: readonly RegionOutcome[],
  { maxCandidates }: SelectMatchesOptions,
): Matches {
  const merged = mergeByPsm(outcomes);
  const exact = merged.get(keyword);
  const base = { keyword, totalMatches: merged.size, outcomes };
  if (exact) return { ...base, status: "found", services: [exact] };
  if (merged.size > 0) {
    const ranked = [...merged.values()].sort(byRelevanceTo(keyword));
    return { ...base, status: "candidates", services: ranked.slice(0, maxCandidates) };
  }
  const anyAnswered = outcomes.some((outcome) => outcome.ok);
  return { ...base, status: anyAnswered ? "not_found" : "failed", services: [] };
}

function mergeByPsm(outcomes: readonly RegionOutcome[]): Map<string, FoundService> {
  const merged = new Map<string, FoundService>();
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    for (const service of outcome.services) {
      const seen = merged.get(service.psm);
      if (seen?.regions.includes(outcome.region)) continue;
      merged.set(
        service.psm,
        seen
          ? { ...seen, regions: [...seen.regions, outcome.region] }
          : { ...service, regions: [outcome.region] },
      );
    }
  }
  return merged;
}

// Prefix of the PSM, then prefix of a segment, then anywhere; then shorter, then alphabetical.
function byRelevanceTo(keyword: string) {
  const needle = keyword.toLowerCase();
  const tier = (psm: string) => {
    const name = psm.toLowerCase();
    if (name.startsWith(needle)) return 0;
    if (name.split(".").some((segment) => segment.startsWith(needle))) return 1;
    return name.includes(needle) ? 2 : 3;
  };
  return (a: FoundService, b: FoundService) =>
    tier(a.psm) - tier(b.psm) || a.psm.length - b.psm.length || a.psm.localeCompare(b.psm);
}
