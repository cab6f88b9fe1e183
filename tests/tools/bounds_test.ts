import assert from "node:assert/strict";
import { cutOwners, FIELD_LIMITS, shrinkToFit } from "../../src/tools/bounds.ts";
import { cut } from "../../src/text.ts";

Deno.test("a field over its limit is cut and marked with its whole length", () => {
  assert.equal(cut("abc", 3), "abc");
  assert.equal(cut("abcdef", 3), "abc… [cut: 6 characters]");
  assert.equal(cut(undefined, 3), undefined);
});

Deno.test("owners beyond the limit are counted in a last entry", () => {
  const owners = Array.from({ length: 25 }, (_, i) => `o${i}`);
  const kept = cutOwners(owners);
  assert.equal(kept.length, FIELD_LIMITS.owners + 1);
  assert.equal(kept.at(-1), "… [cut: 25 owners]");
  assert.deepEqual(cutOwners(["a", "b"]), ["a", "b"]);
});

Deno.test("shrinkToFit halves the longest lists until the size fits, or says it cannot", () => {
  const lists = [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2]].map((items) => ({
    items,
    get length() {
      return this.items.length;
    },
    keep(count: number) {
      this.items = this.items.slice(0, count);
    },
  }));
  const size = () => lists.reduce((sum, list) => sum + list.length, 0);
  assert.equal(shrinkToFit(lists, 6, size), true);
  assert.deepEqual(lists.map((list) => list.length), [4, 2]);
  assert.equal(shrinkToFit(lists, -1, size), false);
  assert.deepEqual(lists.map((list) => list.length), [0, 0]);
});
