import assert from "node:assert/strict";
import { cutOwners, FIELD_LIMITS, jsonBytes, MAX_RESULT_BYTES } from "../../src/tools/bounds.ts";
import { fitStructured, type StructuredSearchResult } from "../../src/tools/search_result.ts";
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

Deno.test("fitStructured halves the longest service lists until the result fits, or says it cannot", () => {
  const service = { psm: "p".repeat(1_000), owners: [], regions: [] };
  const resultOf = (count: number): StructuredSearchResult => ({
    keyword: "p",
    status: "candidates",
    services: Array.from({ length: count }, () => service),
    total_matches: count,
    omitted: 0,
    regions: [],
    message: "",
  });
  const servicesBytes = (count: number) => jsonBytes(resultOf(count).services) - 2;
  const reserve = MAX_RESULT_BYTES - 256 - jsonBytes(resultOf(0)) * 2 - servicesBytes(6) - 100;
  const fitted = fitStructured("", [resultOf(8), resultOf(2)], { wrap: (r) => r, reserve });
  assert.deepEqual(fitted?.map((r) => [r.services.length, r.omitted]), [[4, 4], [2, 0]]);
  assert.equal(
    fitStructured("x".repeat(MAX_RESULT_BYTES), [resultOf(8)], { wrap: (r) => r }),
    undefined,
  );
});
