import assert from "node:assert/strict";
import type { RegionAnswer, RegionOutcome } from "../../src/discovery/mod.ts";
import { estimateHeapBytes } from "../../src/discovery/cache.ts";
import { CN, type Route, searchAnswer, searchUrl } from "../fake_upstream.ts";
import { discoveryOver, keywordOf } from "./harness.ts";

const PSM = "oec.live.room";
const MINUTE_MS = 60_000;
const TTL_MS = MINUTE_MS;

function answer(outcome: RegionOutcome | undefined): RegionAnswer {
  assert.ok(outcome?.ok, `expected an answer, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** A cn registry that knows `PSM` and fails while `state.down` is set. */
function flakyCn(state: { down: boolean }): Route {
  return {
    url: searchUrl(CN),
    respond: (request) => {
      if (state.down) return new Response("", { status: 502 });
      return searchAnswer(keywordOf(request) === PSM ? [{ psm: PSM }] : []);
    },
  };
}

Deno.test("a search within the TTL is answered from the cache with when it was fetched", async () => {
  const { discovery, upstream, clock } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });
  const firstAt = clock.now();

  const first = answer((await discovery.search(PSM)).outcomes[0]);
  clock.advance(TTL_MS - 1);
  const second = answer((await discovery.search(PSM)).outcomes[0]);

  assert.equal(upstream.count(searchUrl(CN)), 1);
  assert.deepEqual([first.fromCache, first.fetchedAt], [false, firstAt]);
  assert.deepEqual([second.fromCache, second.fetchedAt], [true, firstAt]);
  assert.deepEqual(second.services.map((s) => s.psm), [PSM]);
  upstream.assertNoUnexpected();
});

Deno.test("once the TTL has passed the registry is asked again", async () => {
  const { discovery, upstream, clock } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  await discovery.search(PSM);
  clock.advance(TTL_MS);
  const again = answer((await discovery.search(PSM)).outcomes[0]);

  assert.equal(upstream.count(searchUrl(CN)), 2);
  assert.equal(again.fromCache, false);
  assert.equal(again.fetchedAt, clock.now());
});

Deno.test("an empty answer is cached for 15 s only, and never longer than the TTL", async () => {
  const { discovery, upstream, clock } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  await discovery.search("no.such.psm");
  clock.advance(14_999);
  await discovery.search("no.such.psm");
  assert.equal(upstream.count(searchUrl(CN)), 1, "within 15 s from the cache");
  clock.advance(1);
  await discovery.search("no.such.psm");
  assert.equal(upstream.count(searchUrl(CN)), 2, "after 15 s asked again");

  const short = discoveryOver([flakyCn({ down: false })], { regions: [CN], cacheTtlMs: 5_000 });
  await short.discovery.search("no.such.psm");
  short.clock.advance(5_000);
  await short.discovery.search("no.such.psm");
  assert.equal(short.upstream.count(searchUrl(CN)), 2, "a TTL below 15 s bounds it");
});

Deno.test("a failure is never cached: the next search asks the registry again", async () => {
  const state = { down: true };
  const { discovery, upstream } = discoveryOver([flakyCn(state)], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  const failed = await discovery.search(PSM);
  const askedWhileDown = upstream.count(searchUrl(CN));
  state.down = false;
  const found = await discovery.search(PSM);

  assert.equal(failed.status, "failed");
  assert.equal(found.status, "found");
  assert.equal(upstream.count(searchUrl(CN)), askedWhileDown + 1);
});

Deno.test("refresh asks the registry despite a fresh entry and caches the new answer", async () => {
  const { discovery, upstream, clock } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  await discovery.search(PSM);
  clock.advance(1_000);
  const refreshed = answer((await discovery.search(PSM, { refresh: true })).outcomes[0]);
  const cached = answer((await discovery.search(PSM)).outcomes[0]);

  assert.equal(upstream.count(searchUrl(CN)), 2);
  assert.equal(refreshed.fromCache, false);
  assert.deepEqual([cached.fromCache, cached.fetchedAt], [true, refreshed.fetchedAt]);
});

Deno.test("a TTL of 0 disables the cache: every search asks, answers still say when", async () => {
  const { discovery, upstream, clock } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: 0,
  });

  await discovery.search(PSM);
  const second = answer((await discovery.search(PSM)).outcomes[0]);

  assert.equal(upstream.count(searchUrl(CN)), 2);
  assert.deepEqual([second.fromCache, second.fetchedAt], [false, clock.now()]);
});

Deno.test("the cache keeps at most 1000 entries, dropping the least recently used", async () => {
  const { discovery, upstream } = discoveryOver([flakyCn({ down: false })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });
  const keywords = Array.from({ length: 1_000 }, (_, i) => `k${i}`);

  await discovery.searchMany(keywords);
  await discovery.search("k0"); // k0 is now the most recently used, k1 the least
  await discovery.search("k1000"); // one entry too many: k1 goes
  const before = upstream.count(searchUrl(CN));
  await discovery.search("k0");
  assert.equal(upstream.count(searchUrl(CN)), before, "k0 was kept");
  await discovery.search("k1");
  assert.equal(upstream.count(searchUrl(CN)), before + 1, "k1 was dropped");
});

/** A cn registry that answers each keyword with one service whose description is `size[keyword]` long. */
function sizedCn(sizes: Record<string, number>): Route {
  return {
    url: searchUrl(CN),
    respond: (request) => {
      const keyword = keywordOf(request);
      return searchAnswer([{ psm: keyword, description: "d".repeat(sizes[keyword]!) }]);
    },
  };
}

Deno.test("the cache holds at most its size limit, dropping the least recently used answers first", async () => {
  // Each answer is estimated at a little over 2 * 20 000 bytes: two fit in 100 000, not three.
  const sizes = { "a.a.a": 20_000, "b.b.b": 20_000, "c.c.c": 20_000 };
  const { discovery, upstream } = discoveryOver([sizedCn(sizes)], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
    cacheMaxBytes: 100_000,
  });
  const asked = () => upstream.count(searchUrl(CN));

  await discovery.search("a.a.a");
  await discovery.search("b.b.b");
  await discovery.search("a.a.a"); // a hit: b.b.b is now the least recently used
  assert.equal(asked(), 2);
  await discovery.search("c.c.c"); // no room for three: b.b.b goes
  await discovery.search("a.a.a");
  assert.equal(asked(), 3, "a.a.a was kept");
  await discovery.search("b.b.b");
  assert.equal(asked(), 4, "b.b.b was dropped");
});

Deno.test("an answer larger than the whole cache limit is not cached", async () => {
  const { discovery, upstream } = discoveryOver([sizedCn({ "big.one": 60_000, "a.a.a": 10 })], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
    cacheMaxBytes: 100_000,
  });

  await discovery.search("a.a.a");
  const first = answer((await discovery.search("big.one")).outcomes[0]);
  const second = answer((await discovery.search("big.one")).outcomes[0]);
  await discovery.search("a.a.a");

  assert.deepEqual([first.fromCache, second.fromCache], [false, false]);
  assert.equal(upstream.count(searchUrl(CN)), 3, "big.one asked twice, a.a.a kept");
});

Deno.test("when a region fails, its expired answer stands in, labelled stale with the failure", async () => {
  const state = { down: false };
  const { discovery, clock } = discoveryOver([flakyCn(state)], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });
  const fetchedAt = clock.now();

  await discovery.search(PSM);
  clock.advance(7 * MINUTE_MS);
  state.down = true;
  const result = await discovery.search(PSM);

  assert.equal(result.status, "found");
  const stale = answer(result.outcomes[0]);
  assert.deepEqual([stale.fromCache, stale.fetchedAt], [true, fetchedAt]);
  assert.equal(stale.staleReason?.message, "answered HTTP 502");
  assert.equal(stale.region, "cn");
});

Deno.test("an answer older than 24 h is not served stale: the failure shows", async () => {
  const state = { down: false };
  const { discovery, clock } = discoveryOver([flakyCn(state)], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  await discovery.search(PSM);
  clock.advance(24 * 60 * MINUTE_MS + 1);
  state.down = true;
  const result = await discovery.search(PSM);

  assert.equal(result.status, "failed");
});

Deno.test("a keyword never answered is still a failure when its region fails", async () => {
  const state = { down: false };
  const { discovery, clock } = discoveryOver([flakyCn(state)], {
    regions: [CN],
    cacheTtlMs: TTL_MS,
  });

  await discovery.search(PSM);
  clock.advance(2 * TTL_MS);
  state.down = true;
  const other = await discovery.search("oec.other.service");

  assert.equal(other.status, "failed");
  assert.equal(other.outcomes[0]!.ok, false);
});

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
