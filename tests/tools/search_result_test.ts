import assert from "node:assert/strict";
import {
  RegionError,
  type RegionErrorOptions,
  type RegionOutcome,
  type SearchResult,
  selectMatches,
  type Service,
} from "../../src/discovery/mod.ts";
import {
  createSearchFormatter,
  FIELD_LIMITS,
  fitStructured,
  formatSearchText,
  MAX_RESULT_BYTES,
  type StructuredSearchResult,
  summarize,
  toSearchOptions,
  toStructured,
} from "../../src/tools/search_result.ts";
import { cut } from "../../src/text.ts";
import { textOf } from "../harness.ts";

function failedEverywhere(...failures: [string, string, RegionErrorOptions][]) {
  return {
    keyword: "oec.live.room",
    status: "failed",
    services: [],
    totalMatches: 0,
    outcomes: failures.map(([region, message, options]) => ({
      region,
      ok: false,
      error: new RegionError(message, options),
    })),
    pending: [],
    searchedAt: 0,
  } satisfies SearchResult;
}

Deno.test("a failed search over regions whose breaker is open says until when, and what to check", () => {
  const skipped =
    "skipped until 12:34:56 UTC: failed 5 times in a row (last: did not answer within 10000 ms)";
  const text = summarize(failedEverywhere(
    ["cn", skipped, { kind: "timeout", skipped: true }],
    ["us", skipped, { kind: "timeout", skipped: true }],
  ));

  assert.equal(
    text,
    `No region could be searched for "oec.live.room": cn, us: ${skipped}. Check your network or VPN connection and CAS_SESSION (check_jwt_status), then try again.`,
  );
});

Deno.test("a failed search ends with the reasons alone when they say what to do: redirect, internal, auth", () => {
  const text = summarize(failedEverywhere(
    ["cn", "redirected to https://sso.test: check the region's URL", { kind: "redirect" }],
    [
      "us",
      "failed unexpectedly: try again, and report it if it persists (details in the log at DEBUG)",
      {
        kind: "internal",
      },
    ],
    ["eu", "rejected a freshly issued JWT: your account may have no access to this registry", {
      kind: "auth",
    }],
  ));

  assert.equal(
    text,
    'No region could be searched for "oec.live.room": cn: redirected to https://sso.test: check the region\'s URL; us: failed unexpectedly: try again, and report it if it persists (details in the log at DEBUG); eu: rejected a freshly issued JWT: your account may have no access to this registry.',
  );
});

Deno.test("a stale and a pending region get a line after the summary; cached ones none", () => {
  const fetchedAt = Date.UTC(2026, 0, 1);
  const cached = (region: string) => ({
    region,
    ok: true as const,
    services: [{ psm: "oec.live.room", owners: [] }],
    matches: 1,
    fetchedAt,
    fromCache: true,
  });
  const result: SearchResult = {
    keyword: "oec.live.room",
    status: "found",
    services: [{ psm: "oec.live.room", owners: [], regions: ["cn", "us"] }],
    totalMatches: 1,
    outcomes: [cached("cn"), cached("us"), {
      ...cached("eu"),
      staleReason: new RegionError("answered HTTP 502", { kind: "http_status" }),
    }],
    pending: ["sg"],
    searchedAt: fetchedAt + 2 * 60 * 60_000 + 5 * 60_000,
  };

  assert.deepEqual(formatSearchText(result).split("\n").slice(0, 4), [
    "Found oec.live.room in cn, us.",
    "eu: stale, fetched 2 h 5 min ago; the region failed: answered HTTP 502",
    "sg: not awaited, the exact PSM was found first (pass wait_all_regions: true to wait)",
    "",
  ]);
});

Deno.test("why a region was not searched arrives whole up to 600 characters, then is cut and marked", () => {
  const advice = `not configured: ${"set CAS_SESSION_eu or add a credential; ".repeat(12)}`.trim();
  assert.ok(advice.length > 200 && advice.length <= 600);
  const whole = toStructured(failedEverywhere(["eu", advice, { kind: "auth" }]));
  assert.equal(whole.regions[0]!.error, advice);
  const huge = "x".repeat(5_000);
  const cutShort = toStructured(failedEverywhere(["eu", huge, { kind: "network" }]));
  assert.equal(cutShort.regions[0]!.error, `${"x".repeat(600)}… [cut: 5000 characters]`);
});

Deno.test("the text cuts each field where structuredContent does, with the same marker", () => {
  const service = {
    psm: `oec.${"p".repeat(296)}`,
    description: "d".repeat(900),
    framework: "f".repeat(250),
    owners: Array.from({ length: 22 }, (_, i) => `owner.${i}`),
    regions: ["cn"],
  };
  const result: SearchResult = {
    keyword: "oec",
    status: "candidates",
    services: [service],
    totalMatches: 1,
    outcomes: [],
    pending: [],
    searchedAt: 0,
  };
  const [structured] = toStructured(result).services as Record<string, unknown>[];
  for (const detail of ["full", "concise"] as const) {
    const text = formatSearchText(result, { detail });
    assert.ok(text.includes(String(structured!.psm)), `${detail}: the PSM as structured`);
  }
  const full = formatSearchText(result, { detail: "full" });
  assert.ok(full.includes(`Description: ${structured!.description}\n`));
  assert.ok(full.includes(`Framework: ${structured!.framework}\n`));
  assert.ok(full.includes(`Owners: ${(structured!.owners as string[]).join(", ")}\n`));
});

Deno.test("unknown regions are listed a few by name, the rest counted", () => {
  const regions = Array.from({ length: 10_000 }, (_, i) => `nowhere-${i}-${"x".repeat(300)}`);
  const resolved = toSearchOptions({ regions }, [{ name: "cn" }, { name: "us" }]);
  assert.ok("isError" in resolved, "unknown regions were accepted");
  const text = textOf(resolved);
  assert.match(
    text,
    /^Unknown regions "nowhere-0-x+… \[cut: 310 characters\]", .* and 9995 more: use any of cn, us, /,
  );
  assert.ok(text.length < 2_000, `${text.length} characters`);
});

Deno.test("a field over its limit is cut and marked with its whole length", () => {
  assert.equal(cut("abc", 3), "abc");
  assert.equal(cut("abcdef", 3), "abc… [cut: 6 characters]");
  assert.equal(cut(undefined, 3), undefined);
});

Deno.test("owners beyond the limit are counted in a last entry", () => {
  const ownersShown = (owners: string[]) =>
    toStructured({
      keyword: "oec",
      status: "candidates",
      services: [{ psm: "oec.live", owners, regions: ["cn"] }],
      totalMatches: 1,
      outcomes: [],
      pending: [],
      searchedAt: 0,
    }).services[0]!.owners;
  const kept = ownersShown(Array.from({ length: 25 }, (_, i) => `o${i}`));
  assert.equal(kept.length, FIELD_LIMITS.owners + 1);
  assert.equal(kept.at(-1), "… [cut: 25 owners]");
  assert.deepEqual(ownersShown(["a", "b"]), ["a", "b"]);
});

function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

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
