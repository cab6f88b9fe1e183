/** A map bounded in entries and optionally in size: the least recently used go first.
 * @module */

/** A bounded map; reading or writing a key makes it the most recently used. */
export class LruMap<K, V> {
  // A Map keeps insertion order: re-inserted on each use, its first key is the least recent.
  readonly #map = new Map<K, { value: V; size: number }>();
  readonly #max: number;
  readonly #maxSize: number;
  readonly #sizeOf?: (key: K, value: V) => number;
  #size = 0;

  /** Holds at most `max` entries (at least one) weighing at most `maxSize` as `sizeOf` says. */
  constructor(
    max: number,
    options: { maxSize?: number; sizeOf?: (key: K, value: V) => number } = {},
  ) {
    this.#max = Math.max(1, max);
    this.#maxSize = options.maxSize ?? Infinity;
    this.#sizeOf = options.sizeOf;
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, entry);
    }
    return entry?.value;
  }

  /** A value that alone weighs more than `maxSize` is not kept (and the earlier one is gone). */
  set(key: K, value: V): void {
    this.delete(key);
    const size = this.#sizeOf?.(key, value) ?? 0;
    if (size > this.#maxSize) return;
    this.#map.set(key, { value, size });
    this.#size += size;
    while (this.#map.size > this.#max || this.#size > this.#maxSize) {
      this.delete(this.#map.keys().next().value as K);
    }
  }

  delete(key: K): void {
    const entry = this.#map.get(key);
    if (entry === undefined) return;
    this.#map.delete(key);
    this.#size -= entry.size;
  }

  /** Least recently used first. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }
}
