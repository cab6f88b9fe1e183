/**
 * Cutting text from outside to a bounded length, with a marker that says so: tool results and
 * upstream error messages share it.
 *
 * @module
 */

/**
 * Returns `text` whole when it has at most `limit` characters, else its first
 * `limit` followed by `… [cut: N characters]`, N being the whole length.
 */
export function cut(text: string, limit: number): string;
export function cut(text: string | undefined, limit: number): string | undefined;
export function cut(text: string | undefined, limit: number): string | undefined {
  if (text === undefined || text.length <= limit) return text;
  return `${text.slice(0, limit)}… [cut: ${text.length} characters]`;
}
