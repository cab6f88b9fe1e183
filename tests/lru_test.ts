import assert from "node:assert/strict";
import { LruMap } from "../src/lru.ts";

/** A map bounded to `maxSize`, each value weighing its own number. */
function weighedMap(maxSize: number, maxEntries = 1_000) {
  return new LruMap<string, number>(maxEntries, { maxSize, sizeOf: (_, weight) => weight });
}

function total(map: LruMap<string, number>): number {
  let sum = 0;
  for (const key of [...map.keys()]) sum += map.get(key)!;
  return sum;
}

Deno.test("a sized LruMap never holds more than its limit", () => {
  const map = weighedMap(1_000);
  let seed = 7;
  for (let i = 0; i < 2_000; i++) {
    seed = (seed * 48_271) % 2_147_483_647;
    const key = `k${seed % 50}`;
    map.set(key, seed % 400);
    assert.ok(total(map) <= 1_000, `size ${total(map)} after ${i + 1} sets`);
  }
});

Deno.test("a sized LruMap drops the least recently used first to make room", () => {
  const map = weighedMap(100);
  map.set("a", 40);
  map.set("b", 40);
  map.get("a"); // b is now the least recently used
  map.set("c", 40);
  assert.deepEqual([...map.keys()], ["a", "c"]);
  assert.equal(total(map), 80);
});

Deno.test("a value larger than the whole limit is not kept, and its key's earlier value is gone", () => {
  const map = weighedMap(100);
  map.set("a", 30);
  map.set("b", 30);
  map.set("b", 101);
  assert.deepEqual([...map.keys()], ["a"], "a stays; b's earlier value is not served");
  assert.equal(total(map), 30);
  map.set("c", 100);
  assert.deepEqual([...map.keys()], ["c"], "exactly the limit fits");
});

Deno.test("an LruMap without a size limit is bounded by its count alone", () => {
  const map = new LruMap<string, number>(2);
  map.set("a", 1);
  map.set("b", 2);
  map.set("c", 3);
  assert.deepEqual([...map.keys()], ["b", "c"]);
});
