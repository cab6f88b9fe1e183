/**
 * Bounding text that comes from outside: {@linkcode cut} keeps a documented
 * length and says how long the whole was. Used by the tools' results and by
 * discovery, for what a registry sends.
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
