/** Cutting text from outside to a bounded length, with a marker that says so.
 * @module */

/** Returns `text`, or its first `limit` characters and `… [cut: N characters]` past `limit`. */
export function cut(text: string, limit: number): string;
export function cut(text: string | undefined, limit: number): string | undefined;
export function cut(text: string | undefined, limit: number): string | undefined {
  if (text === undefined || text.length <= limit) return text;
  return `${text.slice(0, limit)}… [cut: ${text.length} characters]`;
}

/**
 * Controls, and what breaks or reorders a line on screen (bidi marks, overrides and isolates, line
 * and paragraph separators, U+FEFF); other format characters, like the joiner inside emoji, are not.
 */
// Global, for replace: with test() its lastIndex would skip matches; use search() instead.
export const CONTROL_CHARACTERS =
  /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
