/** Cutting text from outside to a bounded length, with a marker that says so.
 * @module */

/** Returns `text`, or its first `limit` characters and `… [cut: N characters]` past `limit`. */
export function cut(text: string, limit: number): string;
export function cut(text: string | undefined, limit: number): string | undefined;
export function cut(text: string | undefined, limit: number): string | undefined {
  if (text === undefined || text.length <= limit) return text;
  return `${text.slice(0, limit)}… [cut: ${text.length} characters]`;
}
