import assert from "node:assert/strict";
import {
  RegionError,
  type RegionOutcome,
  type SearchResult,
  selectMatches,
  type Service,
} from "../../src/discovery/mod.ts";
import { createSearchFormatter } from "../../src/tools/format_cache.ts";
import { formatSearchText, toStructured } from "../../src/tools/search_result.ts";

const FETCHED_AT = Date.UTC(2026, 0, 1);

// The service lists as the cache keeps them: the same arrays for every hit.
const CN: readonly Service[] = [{ psm: "oec.live.room", owners: ["zhang.wei"] }];
const US: readonly Service[] = [
  { psm: "oec.live.room", owners: ["zhang.wei"] },
  { psm: "oec.live.roomx", owners: ["li.na"] },
];

function cached(services: readonly Service[], region: string): RegionOutcome {
  const matches = services.length;
  return { region, ok: true, services, matches, fetchedAt: FETCHED_AT, fromCache: true };
}

function resultOf(
  keyword: string,
  outcomes: RegionOutcome[],
  searchedAt = FETCHED_AT + 5_000,
): SearchResult {
  return { ...selectMatches(keyword, outcomes), pending: [], searchedAt };
}

function assertFormattedAsIs(
  formatted: { text: string; structured: unknown },
  result: SearchResult,
) {
  assert.equal(formatted.text, formatSearchText(result, { detail: "full" }));
  assert.deepEqual(formatted.structured, toStructured(result, { detail: "full" }));
}

Deno.test("a result made of the same cached answers is formatted once, and as formatSearchText would", () => {
  const formatter = createSearchFormatter();
  const first = resultOf("oec.live.room", [cached(CN, "cn"), cached(US, "us")]);
  const again = resultOf("oec.live.room", [cached(CN, "cn"), cached(US, "us")]);
  const formatted = formatter.format(first, "full");
  assertFormattedAsIs(formatted, first);
  assert.equal(formatter.format(again, "full"), formatted, "the second hit reused the first");
});

function stale(services: readonly Service[], region: string): RegionOutcome {
  const staleReason = new RegionError("answered HTTP 502", { kind: "http_status" });
  const matches = services.length;
  return {
    region,
    ok: true,
    services,
    matches,
    fetchedAt: FETCHED_AT,
    fromCache: true,
    staleReason,
  };
}

Deno.test("a cached answer's age changes nothing shown; a stale answer's age is shown again", () => {
  const formatter = createSearchFormatter();
  const formatted = formatter.format(resultOf("oec.live", [cached(CN, "cn")]), "full");
  const later = resultOf("oec.live", [cached(CN, "cn")], FETCHED_AT + 65_000);
  assert.equal(formatter.format(later, "full"), formatted, "a minute later, reused");
  formatter.format(resultOf("oec.live", [stale(CN, "cn")]), "full");
  const staleLater = resultOf("oec.live", [stale(CN, "cn")], FETCHED_AT + 65_000);
  assert.match(formatter.format(staleLater, "full").text, /stale, fetched 1 min ago/);
});

Deno.test("anything that changes the answer formats it again: detail, a new answer, a failure", () => {
  const formatter = createSearchFormatter();
  const base = resultOf("oec.live", [cached(CN, "cn"), cached(US, "us")]);
  const formatted = formatter.format(base, "full");
  const changed: [string, SearchResult, "full" | "concise"][] = [
    ["concise", base, "concise"],
    ["a live answer", resultOf("oec.live", [cached(CN, "cn"), cached([...US], "us")]), "full"],
    [
      "a failed region",
      resultOf("oec.live", [cached(CN, "cn"), {
        region: "us",
        ok: false,
        error: new RegionError("did not answer within 10000 ms", { kind: "timeout" }),
      }]),
      "full",
    ],
    ["another keyword", resultOf("oec.live.roomx", [cached(CN, "cn"), cached(US, "us")]), "full"],
  ];
  for (const [what, result, detail] of changed) {
    const again = formatter.format(result, detail);
    assert.notEqual(again, formatted, what);
    assert.equal(again.text, formatSearchText(result, { detail }), what);
    assert.deepEqual(again.structured, toStructured(result, { detail }), what);
  }
});

Deno.test("the formatter keeps at most maxEntries results, dropping the least recently used", () => {
  const formatter = createSearchFormatter({ maxEntries: 2 });
  const [a, b, c] = ["oec.a", "oec.b", "oec.c"].map((keyword) =>
    resultOf(keyword, [cached(CN, "cn")])
  ) as [SearchResult, SearchResult, SearchResult];
  const first = formatter.format(a, "full");
  formatter.format(b, "full");
  assert.equal(formatter.format(a, "full"), first, "a is kept and now the most recent");
  formatter.format(c, "full");
  assert.equal(formatter.format(a, "full"), first, "b was dropped, not a");
  const bAgain = formatter.format(b, "full");
  assertFormattedAsIs(bAgain, b);
});
