/**
 * The result cache, a {@linkcode RegionSearchWrapper}: one region's answer to
 * one keyword is served fresh for a while, kept longer to stand in (labelled
 * stale) when the region later fails, and never holds a failure. It is
 * bounded by count and by an estimate of the heap its entries hold, stale ones
 * included (see `heap_size.ts`); an answer is already cut to what a result can
 * show (`mostRelevant`) before it reaches the cache.
 *
 * A small Map-based LRU of our own rather than `lru-cache`: expiry here is
 * read against the injected clock (fresh, stale, gone), which `lru-cache`'s
 * TTLs measure with their own clock, and twenty lines need no dependency.
 *
 * @module
 */

import { LruMap } from "../lru.ts";
import { estimateHeapBytes } from "./heap_size.ts";
import {
  matchCount,
  type RegionAnswer,
  type RegionOutcome,
  type RegionSearchWrapper,
  type Service,
} from "./types.ts";

/** Entries kept at most; the least recently used goes first. */
const DEFAULT_CACHE_ENTRIES = 1_000;
/** The estimated heap all entries may hold together: 64 MiB. */
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
// A Map entry (key, value and the table's links) and the entry object's other fields.
const ENTRY_OVERHEAD_BYTES = 96;
/** How long an empty answer (no service matched) is served, at most. */
const NOT_FOUND_TTL_MS = 15_000;
/** How long an answer is kept to stand in for a failing region. */
const STALE_KEEP_MS = 24 * 60 * 60 * 1000;

/** Options for {@linkcode withCache}. */
export interface CacheOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** How long an answer is served without asking the registry; 0 disables the cache. */
  ttlMs: number;
  /** Entries kept at most. Default 1,000. */
  maxEntries?: number;
  /**
   * The estimated heap all entries may hold together, stale ones included; an answer
   * estimated larger alone is not cached. Default 64 MiB.
   */
  maxBytes?: number;
}

interface Entry {
  readonly services: readonly Service[];
  readonly matches: number;
  readonly fetchedAt: number;
  readonly freshUntil: number;
}

/**
 * Returns the cache layer. Every answer that passes is stamped with
 * `fetchedAt` and `fromCache`, also when the cache is disabled.
 */
export function withCache(options: CacheOptions): RegionSearchWrapper {
  const { now, ttlMs, maxEntries = DEFAULT_CACHE_ENTRIES, maxBytes = DEFAULT_CACHE_BYTES } =
    options;
  const entries = new LruMap<string, Entry>(maxEntries, {
    maxSize: maxBytes,
    sizeOf: estimateEntryBytes,
  });
  const notFoundTtlMs = Math.min(NOT_FOUND_TTL_MS, ttlMs);

  return (next) => async (region, keyword, searchOptions = {}) => {
    if (ttlMs <= 0) return stamp(await next(region, keyword, searchOptions), now());
    const key = `${region.name}\n${keyword}`;
    const entry = entries.get(key);
    const time = now();
    if (entry && time - entry.fetchedAt > STALE_KEEP_MS) entries.delete(key);
    else if (entry && time < entry.freshUntil && !searchOptions.refresh) {
      return answerFrom(region.name, entry);
    }
    const outcome = await next(region, keyword, searchOptions);
    const fetchedAt = now();
    if (outcome.ok) {
      const ttl = outcome.services.length > 0 ? ttlMs : notFoundTtlMs;
      entries.set(key, {
        services: outcome.services,
        matches: matchCount(outcome),
        fetchedAt,
        freshUntil: fetchedAt + ttl,
      });
      return stamp(outcome, fetchedAt);
    }
    const kept = entries.get(key);
    return kept ? { ...answerFrom(region.name, kept), staleReason: outcome.error } : outcome;
  };
}

// The estimated heap one entry holds, its key included; the count is a number inside the entry.
function estimateEntryBytes(key: string, entry: Entry): number {
  return ENTRY_OVERHEAD_BYTES + estimateHeapBytes(key) + estimateHeapBytes(entry.services);
}

function stamp(outcome: RegionOutcome, fetchedAt: number): RegionOutcome {
  return outcome.ok ? { ...outcome, fetchedAt, fromCache: false } : outcome;
}

function answerFrom(region: string, entry: Entry): RegionAnswer {
  return {
    region,
    ok: true,
    services: entry.services,
    matches: entry.matches,
    fetchedAt: entry.fetchedAt,
    fromCache: true,
  };
}
