/** Answers fresh, then stale for a failing region; not `lru-cache`, which reads TTLs off its clock.
 * @module */

import { LruMap } from "../lru.ts";
import type { RegionAnswer, RegionSearchWrapper } from "./types.ts";

const MAX_ENTRIES = 1_000;
// A Map entry (key, value and the table's links) and the entry object's other fields.
const ENTRY_OVERHEAD_BYTES = 96;
const NOT_FOUND_TTL_MS = 15_000;
const STALE_KEEP_MS = 24 * 60 * 60 * 1000;

export interface CacheOptions {
  now: () => number;
  /** 0 disables the cache. */
  cacheTtlMs: number;
  /** An answer estimated larger alone is not cached. */
  cacheMaxBytes: number;
}

type Entry = { answer: RegionAnswer; fetchedAt: number; freshUntil: number };

/** Returns the cache layer; every answer passing it is stamped, also when the cache is disabled. */
export function withCache({ now, cacheTtlMs, cacheMaxBytes }: CacheOptions): RegionSearchWrapper {
  const entries = new LruMap<string, Entry>(MAX_ENTRIES, {
    maxSize: cacheMaxBytes,
    sizeOf: (key, entry) =>
      ENTRY_OVERHEAD_BYTES + estimateHeapBytes(key) + estimateHeapBytes(entry.answer.services),
  });

  return (next) => async (region, keyword, options = {}) => {
    const key = `${region.name}\n${keyword}`;
    const entry = entries.get(key);
    if (entry && now() - entry.fetchedAt > STALE_KEEP_MS) entries.delete(key);
    else if (entry && now() < entry.freshUntil && !options.refresh) return entry.answer;
    const outcome = await next(region, keyword, options);
    if (!outcome.ok) {
      const kept = entries.get(key);
      return kept ? { ...kept.answer, staleReason: outcome.error } : outcome;
    }
    const fetchedAt = now();
    if (cacheTtlMs > 0) {
      const empty = outcome.services.length === 0;
      const ttl = empty ? Math.min(NOT_FOUND_TTL_MS, cacheTtlMs) : cacheTtlMs;
      const answer = { ...outcome, fetchedAt, fromCache: true };
      entries.set(key, { answer, fetchedAt, freshUntil: fetchedAt + ttl });
    }
    return { ...outcome, fetchedAt, fromCache: false };
  };
}

/** Upper estimate of the heap bytes a JSON-like `value` holds in 64-bit V8, numbers boxed. */
export function estimateHeapBytes(value: unknown): number {
  if (typeof value === "string") return 24 + 2 * value.length;
  if (typeof value === "number") return 16;
  if (typeof value !== "object" || value === null) return 0; // pointers to shared values
  let bytes = 32; // the object's or array's header
  for (const field of Object.values(value)) bytes += 8 + estimateHeapBytes(field);
  return bytes;
}
