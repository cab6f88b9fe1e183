/**
 * A map that keeps at most a given number of entries, dropping the least
 * recently used: the cache of answers, the formatted results and the PSMs
 * seen recently share it.
 *
 * @module
 */

/** A bounded map; reading or writing a key makes it the most recently used. */
export class LruMap<K, V> {
  // A Map keeps insertion order: re-inserting on each use makes its first key the least recently used.
  readonly #map = new Map<K, V>();
  readonly #max: number;

  /** Creates an empty map that holds at most `max` entries (at least one). */
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Returns the value of `key`, now the most recently used, or `undefined`. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Sets `key`, now the most recently used, and drops the least recently used past the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as K);
  }

  /** Removes `key`. */
  delete(key: K): void {
    this.#map.delete(key);
  }

  /** The keys, least recently used first. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }
}
