/**
 * "Did you mean": the known PSMs nearest to a keyword that matched nothing
 * exactly, by edit distance, and whether the keyword differs from one of them
 * only in case.
 *
 * @module
 */

import { boundedEditDistance } from "../edit_distance.ts";
import type { RegionOutcome, SearchResult, Suggestions } from "./types.ts";

export { boundedEditDistance };

/** Options for {@linkcode suggestPsms}. */
export interface SuggestOptions {
  /** Suggestions returned at most. Default 3. */
  limit?: number;
}

/**
 * Returns the PSMs among `known` nearest to `keyword` by edit distance
 * (adjacent transpositions count as one edit), within a bound that grows with
 * the keyword's length. A keyword with fewer segments than a PSM is compared
 * with that PSM's prefix of as many segments, so `oec.afiliate` suggests
 * `oec.affiliate`.
 */
export function suggestPsms(
  keyword: string,
  known: Iterable<string>,
  { limit = 3 }: SuggestOptions = {},
): Suggestions {
  const target = keyword.trim();
  const lowerTarget = target.toLowerCase();
  const segments = target.split(".").length;
  const bound = maxEditsFor(target);
  const distances = new Map<string, number>();
  for (const psm of known) {
    const candidate = psm.split(".").slice(0, segments).join(".");
    if (candidate === target || distances.has(candidate)) continue;
    // Letter case is compared apart: a case-only difference is the nearest of all.
    const distance = candidate.toLowerCase() === lowerTarget
      ? 0
      : boundedEditDistance(lowerTarget, candidate.toLowerCase(), bound);
    if (distance <= bound) distances.set(candidate, distance);
  }
  const psms = [...distances]
    .sort(([a, da], [b, db]) => da - db || a.length - b.length || a.localeCompare(b))
    .slice(0, limit)
    .map(([psm]) => psm);
  return { psms, caseOnly: psms.length > 0 && psms[0]!.toLowerCase() === lowerTarget };
}

// One typo per short keyword, more for long ones; beyond that a "suggestion" is noise.
function maxEditsFor(keyword: string): number {
  if (keyword.length <= 4) return 1;
  return keyword.length <= 12 ? 2 : 3;
}

/**
 * Adds {@linkcode Suggestions} from the PSMs `known` returns to `result` when
 * no PSM matched exactly and the keyword looks mistyped rather than partial:
 * nothing matched, or no candidate contains the keyword as written. `known`
 * is only called then, so a search that found its PSM lists nothing.
 */
export function withSuggestions(
  result: SearchResult,
  known: () => Iterable<string>,
): SearchResult {
  const { keyword, status, services } = result;
  if (status !== "not_found" && status !== "candidates") return result;
  if (services.some((service) => service.psm.includes(keyword))) return result;
  const suggestions = suggestPsms(keyword, known());
  return suggestions.psms.length > 0 ? { ...result, suggestions } : result;
}

/** The PSMs of every region that answered. */
export function psmsIn(outcomes: readonly RegionOutcome[]): string[] {
  return outcomes.flatMap((outcome) => outcome.ok ? outcome.services.map((s) => s.psm) : []);
}
