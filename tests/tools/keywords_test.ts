import assert from "node:assert/strict";
import { splitKeywords, toSearchTerm } from "../../src/tools/search_result.ts";

Deno.test("keywords split on commas, semicolons, new lines and spaces, once each, in order", () => {
  assert.deepEqual(splitKeywords(" a.b.c,\n d.e.f ;g.h.i\t a.b.c ,, "), [
    "a.b.c",
    "d.e.f",
    "g.h.i",
  ]);
  assert.deepEqual(splitKeywords(["a.b.c", " d.e.f; g.h.i", ""]), ["a.b.c", "d.e.f", "g.h.i"]);
});

Deno.test("a JSON array in a string is read as its items; a broken one as text", () => {
  assert.deepEqual(splitKeywords('["a.b.c", "d.e.f"]'), ["a.b.c", "d.e.f"]);
  assert.deepEqual(splitKeywords('["a.b.c", "d.e.f"'), ["a.b.c", "d.e.f"]);
});

Deno.test("a keyword holding a separator is a list; one PSM is not", () => {
  assert.equal(splitKeywords("a.b.c, d.e.f").length, 2);
  assert.equal(splitKeywords("a.b.c d.e.f").length, 2);
  assert.equal(splitKeywords(" a.b.c ").length, 1);
});

Deno.test("a pattern is searched as the longest plain text it holds, and the note says so", () => {
  const cases: [string, string][] = [
    ["oec.live.*", "oec.live"],
    ["oec.live*", "oec.live"],
    ["^oec\\.live\\.room$", "oec.live.room"],
    ["%promotion%", "promotion"],
    ["oec.*.order", "order"],
  ];
  for (const [pattern, keyword] of cases) {
    assert.deepEqual(toSearchTerm(pattern), {
      keyword,
      note:
        `Search is by substring, not by pattern: "${pattern}" was searched as "${keyword}", which finds every PSM containing it.`,
    }, pattern);
  }
  assert.deepEqual(toSearchTerm("oec.live.room"), { keyword: "oec.live.room" });
});
