/**
 * Recent formatted results: the same cached region answers are not formatted again (bench P5).
 * @module
 */

import { LruMap } from "../lru.ts";
import type { SearchResult } from "../discovery/mod.ts";
import {
  describeSources,
  type Detail,
  fitStructured,
  formatSearchText,
  type StructuredSearchResult,
  toStructured,
} from "./search_result.ts";

// Room for the notes a tool adds (a pattern searched as text, a list given for one keyword).
const NOTES_RESERVE = 8 * 1024;

export type SearchFormatter = ReturnType<typeof createSearchFormatter>;

/** Formats search results under 64 KiB less room for a few notes, reusing recent work. */
export function createSearchFormatter({ maxEntries = 128 } = {}) {
  const recent = new LruMap<string, { text: string; structured: StructuredSearchResult }>(
    maxEntries,
  );
  // The cache's service lists, named by identity: a result made of them has the same matches.
  const ids = new WeakMap<object, number>();
  let lastId = 0;
  const idOf = (services: object) => {
    let id = ids.get(services);
    if (id === undefined) ids.set(services, id = ++lastId);
    return id;
  };
  return {
    format(result: SearchResult, detail: Detail, { scope }: { scope?: readonly string[] } = {}) {
      // The time of the search shows only in the source lines ("stale, fetched 7 min ago").
      const key = JSON.stringify([
        detail,
        scope,
        result.keyword,
        result.pending,
        result.suggestions,
        describeSources(result),
        result.outcomes.map((o) =>
          o.ok
            ? [o.region, idOf(o.services), o.fetchedAt, o.fromCache, o.staleReason?.message]
            : [o.region, o.error.kind, o.error.message]
        ),
      ]);
      const known = recent.get(key);
      if (known) return known;
      const text = formatSearchText(result, { detail, scope });
      const whole = toStructured(result, { detail, scope });
      const structured =
        fitStructured(text, [whole], { wrap: ([one]) => one, reserve: NOTES_RESERVE }) ??
          { ...whole, services: [], omitted: whole.total_matches };
      const formatted = { text, structured };
      recent.set(key, formatted);
      return formatted;
    },
  };
}
