import assert from "node:assert/strict";
import { estimateHeapBytes } from "../../src/discovery/heap_size.ts";

Deno.test("the heap estimate counts two bytes per character, a header per string, object and array", () => {
  assert.equal(estimateHeapBytes("abcd"), 24 + 8);
  assert.equal(estimateHeapBytes(["ab"]), 32 + 8 + (24 + 4));
  assert.equal(estimateHeapBytes({ psm: "a.b", level: undefined, n: 3 }), 32 + 3 * 8 + 30 + 16);
});

Deno.test("the heap estimate grows with every character of a service, so a long field weighs in full", () => {
  const service = { psm: "a.b.c", owners: ["x"], description: "d" };
  const long = { ...service, description: "d".repeat(1_000_000) };
  assert.ok(estimateHeapBytes(long) - estimateHeapBytes(service) >= 2 * 999_999);
});
