/**
 * The text and structured content of recent search results, so that a result made of the
 * same cached region answers is not formatted again on every call (bench/RESULTS.md, P5).
 *
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

/** A search result as a tool answers it. */
export interface FormattedSearch {
  readonly text: string;
  readonly structured: StructuredSearchResult;
}

// Room a tool keeps for the notes it adds to a result (a pattern searched as text, a list
// given for one keyword), each quoting a keyword of at most 256 characters, in text and message.
const NOTES_RESERVE = 8 * 1024;

/** Formats search results under 64 KiB less room for a few notes, reusing recent work. */
export interface SearchFormatter {
  format(
    result: SearchResult,
    detail: Detail,
    options?: { scope?: readonly string[] },
  ): FormattedSearch;
}

/** Creates a {@linkcode SearchFormatter} keeping `maxEntries` results; one per process. */
export function createSearchFormatter({ maxEntries = 128 } = {}): SearchFormatter {
  const ids = new WeakMap<object, number>();
  let lastId = 0;
  const idOf = (value: object) => {
    let id = ids.get(value);
    if (id === undefined) ids.set(value, id = ++lastId);
    return id;
  };
  const recent = new LruMap<string, FormattedSearch>(maxEntries);
  return {
    format(result, detail, { scope } = {}) {
      const key = contentKey(result, detail, scope, idOf);
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

// Everything the text and structured content are made of. Status, services and match counts
// follow from the keyword and the regions' outcomes, whose service lists are the cache's own
// arrays (named by identity); the time of the search shows only in the source lines ("stale,
// fetched 7 min ago"), which are part of the key, as are the regions configured.
function contentKey(
  result: SearchResult,
  detail: Detail,
  scope: readonly string[] | undefined,
  idOf: (value: object) => number,
) {
  const parts = [
    detail,
    result.keyword,
    result.pending.join(","),
    scope?.join(",") ?? "",
    ...describeSources(result),
    ...result.outcomes.map((outcome) =>
      outcome.ok
        ? `${outcome.region}:${idOf(outcome.services)}:${outcome.fetchedAt}:${outcome.fromCache}:${
          outcome.staleReason?.message ?? ""
        }`
        : `${outcome.region}!${outcome.error.kind}:${outcome.error.message}`
    ),
  ];
  const { suggestions } = result;
  if (suggestions) parts.push(`${suggestions.caseOnly}:${suggestions.psms.join(",")}`);
  return parts.join("\n");
}
