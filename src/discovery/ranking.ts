/** The exact PSM, else ranked fuzzy candidates, and "did you mean" drawn from PSMs seen.
 * @module */

import { boundedEditDistance } from "../edit_distance.ts";
import { LruMap } from "../lru.ts";
import type { FoundService, RegionOutcome, SearchResult, Suggestions } from "./types.ts";

const MAX_CANDIDATES = 20;

/** Answers hold only their most relevant services, so `totalMatches` is a lower bound. */
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
      const regions = [...seen?.regions ?? [], outcome.region];
      merged.set(service.psm, { ...seen ?? service, regions });
    }
  }
  const exact = merged.get(keyword);
  const regionCounts = outcomes.map((outcome) => outcome.ok ? outcome.matches : 0);
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
 * Keeps the first item of each PSM, as many as {@linkcode selectMatches} shows, and counts PSMs;
 * ranking is the same in every region, so merging kept items equals merging whole answers.
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

/**
 * At most 3 nearest by edit distance. A keyword with fewer segments than a PSM is compared with
 * that PSM's prefix of as many segments: `oec.afiliate` suggests `oec.affiliate`.
 */
export function suggestPsms(keyword: string, known: Iterable<string>): Suggestions {
  const target = keyword.trim();
  const lowerTarget = target.toLowerCase();
  const segments = target.split(".").length;
  // One typo per short keyword, more for long ones; beyond that a "suggestion" is noise.
  const bound = target.length <= 4 ? 1 : target.length <= 12 ? 2 : 3;
  const distances = new Map<string, number>();
  for (const psm of known) {
    const candidate = psm.split(".").slice(0, segments).join(".");
    if (candidate === target || distances.has(candidate)) continue;
    // Letter case is compared apart: a case-only difference is the nearest of all.
    const distance = boundedEditDistance(lowerTarget, candidate.toLowerCase(), bound);
    if (distance <= bound) distances.set(candidate, distance);
  }
  const psms = [...distances]
    .sort(([a, da], [b, db]) => da - db || a.length - b.length || a.localeCompare(b))
    .slice(0, 3)
    .map(([psm]) => psm);
  return { psms, caseOnly: psms.length > 0 && psms[0]!.toLowerCase() === lowerTarget };
}

/** Only when the keyword looks mistyped: no exact PSM, and no candidate contains it as written. */
export function withSuggestions(result: SearchResult, known: () => Iterable<string>): SearchResult {
  const { keyword, status, services } = result;
  if (status !== "not_found" && status !== "candidates") return result;
  if (services.some((service) => service.psm.includes(keyword))) return result;
  const suggestions = suggestPsms(keyword, known());
  return suggestions.psms.length > 0 ? { ...result, suggestions } : result;
}

/** A bounded memory of PSMs, the least recently seen forgotten first. */
export type RecentPsms = ReturnType<typeof createRecentPsms>;

/** Knows `initial`, and remembers `capacity` more (0: none). */
export function createRecentPsms(
  { initial = [], capacity = 1000 }: { initial?: Iterable<string>; capacity?: number } = {},
) {
  const known = [...initial];
  const seen = new LruMap<string, true>(Math.max(capacity, known.length));
  for (const psm of known) seen.set(psm, true);
  const list = () => [...seen.keys()].reverse();
  return {
    add(psms: Iterable<string>) {
      if (capacity === 0) return;
      for (const psm of psms) seen.set(psm, true);
    },
    list,
    // Starting with `prefix`, then containing it (any case), most recent first.
    complete(prefix: string) {
      const needle = prefix.trim().toLowerCase();
      const matching = list().filter((psm) => psm.toLowerCase().includes(needle));
      const tier = (psm: string) => psm.toLowerCase().startsWith(needle) ? 0 : 1;
      return matching.sort((a, b) => tier(a) - tier(b)).slice(0, 100);
    },
  };
}
