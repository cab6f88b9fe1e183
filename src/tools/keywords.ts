/**
 * Keywords the way models write them: lists, JSON arrays, patterns such as `oec.live.*`.
 * @module
 */

// PSMs hold no whitespace, so any run of it separates keywords as a comma does.
const SEPARATORS = /[,;\s]+/;
// Glob and regular-expression characters never found in a PSM.
const PATTERN_CHARS = /[*?%^$()[\]{}|+\\]/;

/** Returns the distinct keywords in `input`, a list or a JSON array of strings, in order. */
export function splitKeywords(input: string | readonly string[]): string[] {
  const parts = typeof input === "string" ? fromText(input) : input;
  return [...new Set(parts.flatMap((part) => part.split(SEPARATORS)).filter(Boolean))];
}

function fromText(text: string): readonly string[] {
  if (!text.trim().startsWith("[")) return [text];
  try {
    const parsed: unknown = JSON.parse(text.trim());
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
  } catch {
    // Not JSON after all: split it as text.
  }
  return [text.replace(/[[\]"']/g, " ")];
}

export interface SearchTerm {
  readonly keyword: string;
  readonly note?: string;
}

/** A pattern such as `oec.live.*`, `^oec\.live` or `%live%` becomes the longest text in it. */
export function toSearchTerm(keyword: string): SearchTerm {
  if (!PATTERN_CHARS.test(keyword)) return { keyword };
  const plain = keyword
    .replace(/\\\./g, ".")
    .replace(/\.[*+?]/g, " ")
    .split(/[\s*?%^$()[\]{}|+\\]+/)
    .map((part) => part.replace(/^\.+|\.+$/g, "").trim())
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)[0] ?? keyword;
  return {
    keyword: plain,
    note:
      `Search is by substring, not by pattern: "${keyword}" was searched as "${plain}", which finds every PSM containing it.`,
  };
}
