import assert from "node:assert/strict";
import {
  mostRelevant,
  parseSearchAnswer,
  type RegionOutcome,
  selectMatches,
  type Service,
} from "../../src/discovery/mod.ts";
import { searchAnswer, searchUrl, US } from "../fake_upstream.ts";
import { discoveryOver } from "./harness.ts";

const psmOf = (service: Service) => service.psm;

/** `count` services under `prefix`, numbered from 0, in a shuffled but fixed order. */
function servicesUnder(prefix: string, count: number, seed = 1): Service[] {
  const services = Array.from({ length: count }, (_, i) => ({ psm: `${prefix}${i}`, owners: [] }));
  let state = seed;
  for (let i = services.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [services[i], services[j]] = [services[j], services[i]];
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
  const { kept, matches } = mostRelevant("oec.live.promotion", items, {
    max: 2,
    psmOf: (item) => item.psm,
  });
  assert.deepEqual(kept.map((item) => item.psm), ["oec.live.promotion", "oec.live.promotion.a"]);
  assert.equal(matches, 5);
});

Deno.test("candidates merged from each region's most relevant services are those of whole answers", () => {
  const max = 7;
  for (let seed = 1; seed <= 20; seed++) {
    const cn = servicesUnder("oec.live.s", 60, seed).slice(0, 40);
    const us = servicesUnder("oec.live.s", 60, seed + 100).slice(0, 30);
    const whole: RegionOutcome[] = [
      { region: "cn", ok: true, services: cn },
      { region: "us", ok: true, services: us },
    ];
    const cut: RegionOutcome[] = whole.map((outcome) => {
      if (!outcome.ok) return outcome;
      const { kept, matches } = mostRelevant("oec.live.s1", outcome.services, { max, psmOf });
      return { ...outcome, services: kept, matches };
    });
    const expected = selectMatches("oec.live.s1", whole, { maxCandidates: max });
    const actual = selectMatches("oec.live.s1", cut, { maxCandidates: max });
    assert.equal(actual.status, expected.status);
    assert.deepEqual(actual.services, expected.services, `seed ${seed}`);
    assert.ok(actual.totalMatches <= expected.totalMatches, "a lower bound");
    assert.ok(actual.totalMatches >= Math.max(cn.length, us.length));
  }
});

Deno.test("parseSearchAnswer with keep makes objects of the most relevant services only, and counts the rest", () => {
  const data = servicesUnder("oec.big.s", 1_000).map(({ psm }) => ({ psm, owners: "a,b" }));
  const answer = parseSearchAnswer(
    { status: 200, text: JSON.stringify({ error_code: 0, data }) },
    { region: "cn", keep: { keyword: "oec.big.s7", max: 3 } },
  );
  assert.ok(answer !== "auth_rejected");
  assert.deepEqual(answer.services, [
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
  ], { regions: [US], cacheTtlMs: 60_000 }); // maxCandidates: the default, 20

  const live = await discovery.search(keyword);
  const cached = await discovery.search(keyword);

  upstream.assertNoUnexpected();
  assert.equal(upstream.count(searchUrl(US)), 1);
  for (const result of [live, cached]) {
    const [outcome] = result.outcomes;
    assert.ok(outcome.ok);
    assert.equal(outcome.services.length, 20);
    assert.equal(outcome.matches, 50_000);
    assert.equal(outcome.services[0].psm, keyword);
    assert.equal(result.status, "found");
  }
  const [cachedOutcome] = cached.outcomes;
  assert.ok(cachedOutcome.ok && cachedOutcome.fromCache);
  const candidates = await discovery.search("oec.big.s");
  assert.equal(candidates.status, "candidates");
  assert.equal(candidates.totalMatches, 50_000);
  assert.deepEqual(candidates.services.slice(0, 3).map((s) => s.psm), [
    "oec.big.s0",
    "oec.big.s1",
    "oec.big.s2",
  ]);
});
