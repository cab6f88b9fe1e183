import assert from "node:assert/strict";
import type { RegionError, RegionOutcome, Service } from "../../src/discovery/mod.ts";
import {
  createRecentPsms,
  mostRelevant,
  selectMatches,
  suggestPsms,
} from "../../src/discovery/ranking.ts";
import { boundedEditDistance } from "../../src/edit_distance.ts";
import { demoFetchFor, testConfig, textOf, withConnection } from "../harness.ts";
import { parseSearchAnswer } from "../../src/discovery/region_search.ts";
import { CN, errorAnswer, searchAnswer, searchUrl, US } from "../fake_upstream.ts";
import { errorOf } from "./fake_search.ts";
import { discoveryOver } from "./harness.ts";

const psmOf = (service: Service) => service.psm;

/** `count` services under `prefix`, numbered from 0, in a shuffled but fixed order. */
function servicesUnder(prefix: string, count: number, seed = 1): Service[] {
  const services = Array.from({ length: count }, (_, i) => ({ psm: `${prefix}${i}`, owners: [] }));
  let state = seed;
  for (let i = services.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [services[i], services[j]] = [services[j]!, services[i]!];
  }
  return services;
}

Deno.test("mostRelevant keeps the most relevant PSMs in rank order, the exact one first, and counts each PSM once", () => {
  const items = [
    { psm: "x.live.promotion_job" },
    { psm: "oec.live.promotion_admin" },
    { psm: "oec.live.promotion" },
    { psm: "oec.live.promotion_admin" },
    { psm: undefined },
    { psm: "oec.live.promotion.a" },
    { psm: "live.promotion" },
  ];
  const many = servicesUnder("x.oec.live.promotion", 30).map(({ psm }) => ({ psm }));
  const { kept, matches } = mostRelevant(
    "oec.live.promotion",
    [...items, ...many],
    (item) => item.psm,
  );
  assert.deepEqual(kept.slice(0, 3).map((item) => item.psm), [
    "oec.live.promotion",
    "oec.live.promotion.a",
    "oec.live.promotion_admin",
  ]);
  assert.equal(kept.length, 20, "as many as a result shows");
  const cut = ["live.promotion", "x.live.promotion_job"];
  assert.ok(!kept.some((item) => cut.includes(item.psm!)), "the least relevant are cut");
  assert.equal(matches, 35);
});

Deno.test("candidates merged from each region's most relevant services are those of whole answers", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const cn = servicesUnder("oec.live.s", 60, seed).slice(0, 40);
    const us = servicesUnder("oec.live.s", 60, seed + 100).slice(0, 30);
    const whole: RegionOutcome[] = [
      { region: "cn", ok: true, services: cn, matches: cn.length },
      { region: "us", ok: true, services: us, matches: us.length },
    ];
    const cut: RegionOutcome[] = whole.map((outcome) => {
      if (!outcome.ok) return outcome;
      const { kept, matches } = mostRelevant("oec.live.s1", outcome.services, psmOf);
      return { ...outcome, services: kept, matches };
    });
    const expected = selectMatches("oec.live.s1", whole);
    const actual = selectMatches("oec.live.s1", cut);
    assert.equal(actual.status, expected.status);
    assert.deepEqual(actual.services, expected.services, `seed ${seed}`);
    assert.ok(actual.totalMatches <= expected.totalMatches, "a lower bound");
    assert.ok(actual.totalMatches >= Math.max(cn.length, us.length));
  }
});

Deno.test("parseSearchAnswer makes objects of the most relevant services only, and counts the rest", () => {
  const data = servicesUnder("oec.big.s", 1_000).map(({ psm }) => ({ psm, owners: "a,b" }));
  const answer = parseSearchAnswer(
    { status: 200, text: JSON.stringify({ error_code: 0, data }) },
    { keyword: "oec.big.s7" },
  );
  assert.ok(answer !== "auth_rejected");
  assert.equal(answer.services.length, 20);
  assert.deepEqual(answer.services.slice(0, 3), [
    { psm: "oec.big.s7", owners: ["a", "b"], ...absentFields() },
    { psm: "oec.big.s70", owners: ["a", "b"], ...absentFields() },
    { psm: "oec.big.s71", owners: ["a", "b"], ...absentFields() },
  ]);
  assert.equal(answer.matches, 1_000);
});

function absentFields() {
  return {
    description: undefined,
    chineseName: undefined,
    framework: undefined,
    type: undefined,
    deploymentPlatform: undefined,
    level: undefined,
    updatedAt: undefined,
  };
}

Deno.test("an answer of 50 000 services is cut to what a result can show before the cache keeps it", async () => {
  const keyword = "oec.big.s49999";
  const services = servicesUnder("oec.big.s", 50_000).map(({ psm }) => ({ psm }));
  const { discovery, upstream } = discoveryOver([
    { url: searchUrl(US), respond: () => searchAnswer(services) },
  ], { regions: [US], cacheTtlMs: 60_000 });

  const live = await discovery.search(keyword);
  const cached = await discovery.search(keyword);

  upstream.assertNoUnexpected();
  assert.equal(upstream.count(searchUrl(US)), 1);
  for (const result of [live, cached]) {
    const [outcome] = result.outcomes;
    assert.ok(outcome!.ok);
    assert.equal(outcome!.services.length, 20);
    assert.equal(outcome!.matches, 50_000);
    assert.equal(outcome!.services[0]!.psm, keyword);
    assert.equal(result.status, "found");
  }
  const [cachedOutcome] = cached.outcomes;
  assert.ok(cachedOutcome!.ok && cachedOutcome!.fromCache);
  const candidates = await discovery.search("oec.big.s");
  assert.equal(candidates.status, "candidates");
  assert.equal(candidates.totalMatches, 50_000);
  assert.deepEqual(candidates.services.slice(0, 3).map((s) => s.psm), [
    "oec.big.s0",
    "oec.big.s1",
    "oec.big.s2",
  ]);
});

Deno.test("search prefers an exact PSM match over fuzzy candidates and lists every region it is in", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () =>
        searchAnswer([
          { psm: "oec.live.promotion_admin" },
          { psm: "oec.live.promotion", owners: "zhang.wei", level: "P0" },
          { psm: "oec.live.promotion_job" },
        ]),
    },
    {
      url: searchUrl(US),
      respond: () => searchAnswer([{ psm: "oec.live.promotion" }, { psm: "oec.live.promotions" }]),
    },
  ]);

  const result = await discovery.search("oec.live.promotion");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  assert.equal(result.keyword, "oec.live.promotion");
  assert.equal(result.services.length, 1);
  const [service] = result.services;
  assert.equal(service!.psm, "oec.live.promotion");
  assert.deepEqual(service!.regions, ["cn", "us"]);
  assert.deepEqual(service!.owners, ["zhang.wei"]);
  assert.equal(service!.level, "P0");
  assert.equal(result.totalMatches, 4);
});

Deno.test("search reports an exact match found in one region only with that region alone", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "oec.trade.order_v2" }]) },
    { url: searchUrl(US), respond: () => searchAnswer([{ psm: "oec.trade.order" }]) },
  ]);

  const result = await discovery.search("oec.trade.order");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  assert.deepEqual(result.services.map((s) => [s.psm, s.regions]), [["oec.trade.order", ["us"]]]);
});

Deno.test("search merges fuzzy candidates from both regions by PSM with the regions of each", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () =>
        searchAnswer([
          { psm: "oec.affiliate.api", description: "cn description" },
          { psm: "oec.affiliate.commission" },
          { psm: "oec.affiliate.api" },
        ]),
    },
    {
      url: searchUrl(US),
      respond: () =>
        searchAnswer([{ psm: "oec.affiliate.settlement" }, { psm: "oec.affiliate.api" }]),
    },
  ]);

  const result = await discovery.search("oec.affiliate");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "candidates");
  assert.equal(result.totalMatches, 3);
  assert.deepEqual(result.services.map((s) => [s.psm, s.regions]), [
    ["oec.affiliate.api", ["cn", "us"]],
    ["oec.affiliate.commission", ["cn"]],
    ["oec.affiliate.settlement", ["us"]],
  ]);
  assert.equal(result.services[0]!.description, "cn description");
});

Deno.test("candidates that start with the keyword come first, then shorter PSMs, then alphabetical order", () => {
  const outcomes: RegionOutcome[] = [
    {
      region: "cn",
      ok: true,
      services: [
        { psm: "x.live.bb", owners: [] },
        { psm: "live.promotion.center", owners: [] },
        { psm: "a.live.long_name", owners: [] },
        { psm: "x.live.aa", owners: [] },
      ],
      matches: 4,
    },
    {
      region: "us",
      ok: true,
      services: [{ psm: "live.a.b", owners: [] }, { psm: "y.live.a", owners: [] }],
      matches: 2,
    },
  ];

  const result = selectMatches("live", outcomes);

  assert.equal(result.status, "candidates");
  assert.deepEqual(result.services.map((s) => s.psm), [
    "live.a.b",
    "live.promotion.center",
    "y.live.a",
    "x.live.aa",
    "x.live.bb",
    "a.live.long_name",
  ]);
});

Deno.test("candidates with a segment starting with the keyword rank before those merely containing it", () => {
  const outcomes: RegionOutcome[] = [{
    region: "cn",
    ok: true,
    services: [
      { psm: "a.xpromo.b", owners: [] },
      { psm: "ad.promotion.delivery", owners: [] },
      { psm: "PROMO.upper.case", owners: [] },
    ],
    matches: 3,
  }];

  const result = selectMatches("promo", outcomes);

  assert.deepEqual(result.services.map((s) => s.psm), [
    "PROMO.upper.case",
    "ad.promotion.delivery",
    "a.xpromo.b",
  ]);
});

Deno.test("search shows at most 20 candidates by default and counts every distinct match", async () => {
  const psm = (i: number) => `svc.match.n${String(i).padStart(2, "0")}`;
  const range = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => ({ psm: psm(from + k) }));
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer(range(0, 15)) },
    { url: searchUrl(US), respond: () => searchAnswer(range(10, 25)) },
  ]);

  const result = await discovery.search("svc.match");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "candidates");
  assert.equal(result.totalMatches, 25);
  assert.equal(result.services.length, 20);
  assert.deepEqual(result.services.map((s) => s.psm), range(0, 20).map((s) => s.psm));
  assert.deepEqual(result.services[0]!.regions, ["cn"]);
  assert.deepEqual(result.services[12]!.regions, ["cn", "us"]);
  assert.deepEqual(result.services[19]!.regions, ["us"]);
});

Deno.test("search counts the matches of an answer cut to 20 as a lower bound", async () => {
  const psm = (i: number) => ({ psm: `a.b.c${String(i).padStart(2, "0")}` });
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () => searchAnswer(Array.from({ length: 25 }, (_, i) => psm(i))),
    },
    { url: searchUrl(US), respond: () => searchAnswer([psm(30)]) },
  ]);

  const result = await discovery.search("a.b");

  upstream.assertNoUnexpected();
  assert.equal(result.services.length, 20);
  assert.equal(result.services[19]!.psm, "a.b.c19");
  // cn's answer was cut to its first 20 PSMs: any of the 5 cut might have been us's a.b.c30, so
  // 25 is what is known (a lower bound); each region's own count is whole.
  assert.equal(result.totalMatches, 25);
  assert.deepEqual(result.outcomes.map((outcome) => outcome.ok && outcome.matches), [25, 1]);
});

Deno.test("search reports not_found when one region finds nothing and the other fails", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => new Response("down", { status: 503 }) },
  ]);

  const result = await discovery.search("no.such.psm");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "not_found");
  assert.equal(errorOf(result.outcomes[1]).kind, "http_status");
});

Deno.test("search reports failed when every region fails", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => new Response("oops", { status: 500 }) },
    { url: searchUrl(US), respond: () => errorAnswer(500, "database unavailable") },
  ]);

  const result = await discovery.search("oec.live.room");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "failed");
  assert.deepEqual(result.services, []);
  assert.equal(result.totalMatches, 0);
  assert.deepEqual(result.outcomes.map((o) => errorOf(o).kind), ["http_status", "upstream_error"]);
});

Deno.test("selectMatches reports failed only when no region answered", () => {
  const error = (region: string) =>
    ({ region, ok: false, error: new Error("x") as RegionError }) as const;

  assert.equal(
    selectMatches("a", [error("cn"), error("us")]).status,
    "failed",
  );
  assert.equal(
    selectMatches("a", [error("cn"), { region: "us", ok: true, services: [], matches: 0 }]).status,
    "not_found",
  );
  assert.equal(selectMatches("a", []).status, "failed");
});

const KNOWN = ["oec.affiliate.monitor", "oec.affiliate.api", "oec.live.promotion", "oec.live.room"];

Deno.test("edit distance counts an adjacent transposition as one edit and stops past the bound", () => {
  assert.equal(boundedEditDistance("monitor", "monitor", 2), 0);
  assert.equal(boundedEditDistance("afiliate", "affiliate", 2), 1);
  assert.equal(boundedEditDistance("monitro", "monitor", 2), 1);
  assert.equal(boundedEditDistance("kitten", "sitting", 5), 3);
  assert.equal(boundedEditDistance("abcdefgh", "zyxwvuts", 2), 3, "bound + 1 once exceeded");
  assert.equal(boundedEditDistance("a", "abcdefgh", 2), 3, "lengths alone exceed the bound");
});

Deno.test("a typo suggests the nearest known PSM, closest first", () => {
  assert.deepEqual(suggestPsms("oec.afiliate.monitor", KNOWN), {
    psms: ["oec.affiliate.monitor"],
    caseOnly: false,
  });
  assert.deepEqual(suggestPsms("oec.live.rooom", KNOWN).psms, ["oec.live.room"]);
});

Deno.test("a partial keyword with a typo suggests the PSM prefix of as many segments", () => {
  assert.deepEqual(suggestPsms("oec.afiliate", KNOWN).psms, ["oec.affiliate"]);
});

Deno.test("a keyword differing only in case is reported as such", () => {
  assert.deepEqual(suggestPsms("OEC.LIVE.PROMOTION", KNOWN), {
    psms: ["oec.live.promotion"],
    caseOnly: true,
  });
});

Deno.test("a keyword far from every known PSM gets no suggestion", () => {
  assert.deepEqual(suggestPsms("no.such.service", KNOWN).psms, []);
  assert.deepEqual(suggestPsms("oec.affiliate.monitor", KNOWN).psms, [], "not itself");
});

Deno.test("recent PSMs are kept most recent first, bounded, and completed by prefix then substring", () => {
  const recent = createRecentPsms({ capacity: 3, initial: ["a.one", "b.two"] });
  recent.add(["c.three", "a.one", "d.four"]);
  assert.deepEqual(recent.list(), ["d.four", "a.one", "c.three"], "b.two was forgotten first");
  recent.add(["x.one.api"]);
  assert.deepEqual(recent.complete("ONE"), ["x.one.api", "a.one"], "case ignored, recent first");
  assert.deepEqual(recent.complete("a"), ["a.one", "x.one.api"], "prefix before substring");
  const many = createRecentPsms({ initial: Array.from({ length: 150 }, (_, i) => `p.${i}`) });
  assert.equal(many.complete("").length, 100, "at most 100");
});

Deno.test("search_psm_service suggests a PSM seen in an earlier answer for a typo the registry does not know", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const before = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.afiliate.monitor" },
    });
    assert.match(textOf(before), /check the PSM's spelling/, "nothing seen yet");
    assert.equal((before.structuredContent as { suggestions?: string[] }).suggestions, undefined);

    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.affiliate" } });
    const after = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.afiliate.monitor" },
    });
    assert.match(
      textOf(after),
      /No service matches "oec\.afiliate\.monitor" in cn, us\. Did you mean oec\.affiliate\.monitor\?/,
    );
    const structured = after.structuredContent as { status: string; suggestions?: string[] };
    assert.equal(structured.status, "not_found");
    assert.deepEqual(structured.suggestions, ["oec.affiliate.monitor"]);
  });
});

Deno.test("in demo mode the catalogue counts as seen: a first typo already gets a suggestion", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "oec.afiliate.monitor" },
    });
    assert.match(textOf(result), /Did you mean oec\.affiliate\.monitor\?/);
  });
});

Deno.test("search_psm_service says PSMs are case-sensitive when only the case differs", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "OEC.LIVE.PROMOTION" },
    });
    assert.match(
      textOf(result),
      /PSMs are case-sensitive: did you mean oec\.live\.promotion\?/,
    );
    assert.deepEqual(
      (result.structuredContent as { suggestions?: string[] }).suggestions?.[0],
      "oec.live.promotion",
    );
  });
});

Deno.test("a partial keyword that candidates contain gets candidates, not suggestions", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promo" },
    });
    assert.equal((result.structuredContent as { status: string }).status, "candidates");
    assert.equal((result.structuredContent as { suggestions?: string[] }).suggestions, undefined);
  });
});
