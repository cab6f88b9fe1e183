/**
 * "Did you mean": the known PSMs nearest to a keyword that matched nothing exactly, and the
 * memory of PSMs seen, one per session: on a shared server, one client's memory would tell
 * another what it searched.
 * @module
 */

import { boundedEditDistance } from "../edit_distance.ts";
import { LruMap } from "../lru.ts";
import type { SearchResult, Suggestions } from "./types.ts";

/**
 * Returns the (at most 3) PSMs among `known` nearest to `keyword` by edit distance, within a
 * bound that grows with the keyword's length. A keyword with fewer segments than a PSM is
 * compared with that PSM's prefix of as many segments: `oec.afiliate` suggests `oec.affiliate`.
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
    const distance = candidate.toLowerCase() === lowerTarget
      ? 0
      : boundedEditDistance(lowerTarget, candidate.toLowerCase(), bound);
    if (distance <= bound) distances.set(candidate, distance);
  }
  const psms = [...distances]
    .sort(([a, da], [b, db]) => da - db || a.length - b.length || a.localeCompare(b))
    .slice(0, 3)
    .map(([psm]) => psm);
  return { psms, caseOnly: psms.length > 0 && psms[0]!.toLowerCase() === lowerTarget };
}

/**
 * Adds suggestions from `known()` to `result` when no PSM matched exactly and the keyword looks
 * mistyped rather than partial: no candidate contains it as written. `known` is called only then.
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

/** A bounded memory of PSMs, the least recently seen forgotten first. */
export interface RecentPsms {
  add(psms: Iterable<string>): void;
  /** Most recently seen first. */
  list(): string[];
  /**
   * Remembered PSMs that start with `prefix`, then those that contain it (ignoring case), most
   * recently seen first within each, at most `limit`.
   */
  complete(prefix: string, options?: { limit?: number }): string[];
}

export interface RecentPsmsOptions {
  /** PSMs remembered at most, on top of `initial`; 0 remembers none. Default 1000. */
  capacity?: number;
  /** PSMs known from the start, such as the demo catalogue. */
  initial?: Iterable<string>;
}

export function createRecentPsms(options: RecentPsmsOptions = {}): RecentPsms {
  const { capacity = 1000 } = options;
  const initial = [...options.initial ?? []];
  const seen = new LruMap<string, true>(Math.max(capacity, initial.length));
  for (const psm of initial) seen.set(psm, true);
  const list = () => [...seen.keys()].reverse();
  return {
    add(psms) {
      if (capacity === 0) return;
      for (const psm of psms) seen.set(psm, true);
    },
    list,
    complete(prefix, { limit = 100 } = {}) {
      const needle = prefix.trim().toLowerCase();
      const matching = list().filter((psm) => psm.toLowerCase().includes(needle));
      const tier = (psm: string) => psm.toLowerCase().startsWith(needle) ? 0 : 1;
      return matching.sort((a, b) => tier(a) - tier(b)).slice(0, limit);
    },
  };
}
