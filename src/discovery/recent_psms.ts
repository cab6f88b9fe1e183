/**
 * The PSMs one session has seen in registry answers, most recent first and
 * bounded, for "did you mean" suggestions and argument completions. Each
 * session keeps its own: on a shared server, one client's memory would tell
 * another what it searched.
 *
 * @module
 */

import { LruMap } from "../lru.ts";

/** A bounded memory of PSMs, the least recently seen forgotten first. */
export interface RecentPsms {
  /** Remembers `psms` as the most recently seen. */
  add(psms: Iterable<string>): void;
  /** Every remembered PSM, most recently seen first. */
  list(): string[];
  /**
   * Remembered PSMs that start with `prefix`, then those that contain it
   * (ignoring case), most recently seen first within each, at most `limit`.
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

/** Creates an empty {@linkcode RecentPsms}, or one holding `options.initial`. */
export function createRecentPsms(options: RecentPsmsOptions = {}): RecentPsms {
  const { capacity = 1000 } = options;
  const initial = [...options.initial ?? []];
  const seen = new LruMap<string, true>(Math.max(capacity, initial.length));
  for (const psm of initial) seen.set(psm, true);
  function list() {
    return [...seen.keys()].reverse();
  }
  return {
    add(psms) {
      if (capacity === 0) return;
      for (const psm of psms) seen.set(psm, true);
    },
    list,
    complete(prefix, { limit = 100 } = {}) {
      const needle = prefix.trim().toLowerCase();
      const recent = list();
      const starting = recent.filter((psm) => psm.toLowerCase().startsWith(needle));
      const containing = recent.filter((psm) =>
        !psm.toLowerCase().startsWith(needle) && psm.toLowerCase().includes(needle)
      );
      return [...starting, ...containing].slice(0, limit);
    },
  };
}
