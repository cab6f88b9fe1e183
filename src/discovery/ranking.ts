/**
 * What to show for a keyword: the exact PSM with every region it is in, or the fuzzy candidates
 * of all regions merged by PSM and ranked.
 * @module
 */

import { type FoundService, matchCount, type RegionOutcome, type SearchResult } from "./types.ts";

const MAX_CANDIDATES = 20;

/**
 * Chooses the exact PSM when any region has it, else at most 20 ranked candidates. Answers hold
 * only their most relevant services, so `totalMatches` is a lower bound.
 */
export function selectMatches(
  keyword: string,
  outcomes: readonly RegionOutcome[],
): Omit<SearchResult, "pending" | "searchedAt"> {
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
  const exact = merged.get(keyword);
  const regionCounts = outcomes.map((outcome) => outcome.ok ? matchCount(outcome) : 0);
  const base = { keyword, totalMatches: Math.max(merged.size, ...regionCounts), outcomes };
  if (exact) return { ...base, status: "found", services: [exact] };
  if (merged.size > 0) {
    const order = byRelevanceTo(keyword);
    const ranked = [...merged.values()].sort((a, b) => order(a.psm, b.psm));
    return { ...base, status: "candidates", services: ranked.slice(0, MAX_CANDIDATES) };
  }
  const anyAnswered = outcomes.some((outcome) => outcome.ok);
  return { ...base, status: anyAnswered ? "not_found" : "failed", services: [] };
}

/**
 * Keeps the first item of each PSM, as many as {@linkcode selectMatches} shows in its order, and
 * counts the PSMs. Ranking is the same for every region, so the candidates merged from the kept
 * items are those merged from whole answers.
 */
export function mostRelevant<T>(
  keyword: string,
  items: Iterable<T>,
  psmOf: (item: T) => string | undefined,
): { kept: T[]; matches: number } {
  const order = byRelevanceTo(keyword);
  const seen = new Set<string>();
  const kept: { psm: string; item: T }[] = [];
  for (const item of items) {
    const psm = psmOf(item);
    if (psm === undefined || seen.has(psm)) continue;
    seen.add(psm);
    if (kept.length === MAX_CANDIDATES && order(psm, kept.at(-1)!.psm) >= 0) continue;
    let at = kept.length;
    while (at > 0 && order(psm, kept[at - 1]!.psm) < 0) at--;
    kept.splice(at, 0, { psm, item });
    if (kept.length > MAX_CANDIDATES) kept.pop();
  }
  return { kept: kept.map(({ item }) => item), matches: seen.size };
}

// The exact PSM, then prefix of the PSM, then prefix of a segment, then anywhere; then shorter,
// then alphabetical.
function byRelevanceTo(keyword: string) {
  const needle = keyword.toLowerCase();
  const tier = (psm: string) => {
    if (psm === keyword) return -1;
    const name = psm.toLowerCase();
    if (name.startsWith(needle)) return 0;
    if (name.split(".").some((segment) => segment.startsWith(needle))) return 1;
    return name.includes(needle) ? 2 : 3;
  };
  return (a: string, b: string) => tier(a) - tier(b) || a.length - b.length || a.localeCompare(b);
}
