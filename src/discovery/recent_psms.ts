/**
 * The PSMs one session has seen in registry answers, for "did you mean" and argument
 * completions. Each session keeps its own: on a shared server, one client's memory would tell
 * another what it searched.
 *
 * @module
 */

import { LruMap } from "../lru.ts";

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

/** Options for {@linkcode createRecentPsms}. */
export interface RecentPsmsOptions {
  /** PSMs remembered at most, on top of `initial`; 0 remembers none. Default 1000. */
  capacity?: number;
  /** PSMs known from the start, such as the demo catalogue. */
  initial?: Iterable<string>;
}

/** Creates a {@linkcode RecentPsms} holding `options.initial`. */
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
