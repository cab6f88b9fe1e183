/**
 * How large a tool result may grow, whatever a registry sends: each field is
 * cut to a documented length with a marker saying so, and a whole result
 * (text and structured content) stays under {@linkcode MAX_RESULT_BYTES}.
 *
 * @module
 */

import { cut } from "../text.ts";

/** The most bytes a tool result takes as JSON, text and structured content together. */
export const MAX_RESULT_BYTES = 64 * 1024;

/**
 * The most characters of a field in a result, before its marker: a
 * description 1 000, a PSM 256, why a region was not searched 600 (our own
 * advice, which must arrive whole, plus what the region said), any other
 * text 200; at most 20 owners.
 */
export const FIELD_LIMITS = {
  description: 1_000,
  psm: 256,
  reason: 600,
  text: 200,
  owners: 20,
} as const;

/**
 * Returns at most {@linkcode FIELD_LIMITS.owners} owners, each cut, and a last
 * entry `… [cut: N owners]` when there were more.
 */
export function cutOwners(owners: readonly string[]): string[] {
  const kept = owners.slice(0, FIELD_LIMITS.owners).map((owner) => cut(owner, FIELD_LIMITS.text));
  return owners.length > FIELD_LIMITS.owners ? [...kept, `… [cut: ${owners.length} owners]`] : kept;
}

/** The size of `value` as UTF-8 JSON, in bytes. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** A list that {@linkcode shrinkToFit} may shorten, and how to say it was. */
export interface Shrinkable {
  /** How many items there are now. */
  readonly length: number;
  /** Keeps the first `count` items. */
  keep(count: number): void;
}

/**
 * Halves the longest of `lists` (all those as long) until `size()` is at most
 * `budget` bytes or every list is empty; returns whether it fits.
 */
export function shrinkToFit(
  lists: readonly Shrinkable[],
  budget: number,
  size: () => number,
): boolean {
  while (size() > budget) {
    const longest = Math.max(0, ...lists.map((list) => list.length));
    if (longest === 0) return false;
    const cap = Math.floor(longest / 2);
    for (const list of lists) if (list.length > cap) list.keep(cap);
  }
  return true;
}
