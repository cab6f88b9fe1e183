/**
 * How large a tool result may grow, whatever a registry sends: each field is cut to a
 * documented length with a marker saying so, and a whole result to {@linkcode MAX_RESULT_BYTES}.
 *
 * @module
 */

import { cut } from "../text.ts";

/** The most bytes a tool result takes as JSON, text and structured content together. */
export const MAX_RESULT_BYTES = 64 * 1024;

/**
 * The most characters of a field in a result, before its marker, and the most owners. Why a
 * region was not searched gets 600: our own advice must arrive whole, plus what the region said.
 */
export const FIELD_LIMITS = {
  description: 1_000,
  psm: 256,
  reason: 600,
  text: 200,
  owners: 20,
} as const;

/** Returns the first {@linkcode FIELD_LIMITS.owners} owners, each cut, then `… [cut: N owners]`. */
export function cutOwners(owners: readonly string[]): string[] {
  const kept = owners.slice(0, FIELD_LIMITS.owners).map((owner) => cut(owner, FIELD_LIMITS.text));
  return owners.length > FIELD_LIMITS.owners ? [...kept, `… [cut: ${owners.length} owners]`] : kept;
}

/** The size of `value` as UTF-8 JSON, in bytes. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}
