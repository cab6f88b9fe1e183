import assert from "node:assert/strict";
import { withLimiter } from "../../src/discovery/limiter.ts";
import { CN, searchAnswer, searchUrl, settle, US } from "../fake_upstream.ts";
import { answered, fakeSearch } from "./fake_search.ts";
import { discoveryOver, inFlightCounter } from "./harness.ts";

const keywords = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** Registries that count requests in flight per region and answer after a short pause. */
function countingRegions() {
  const counters = { cn: inFlightCounter(), us: inFlightCounter() };
  const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
  const routes = [
    {
      url: searchUrl(CN),
      respond: () => counters.cn.track(() => pause().then(() => searchAnswer([]))),
    },
    {
      url: searchUrl(US),
      respond: () => counters.us.track(() => pause().then(() => searchAnswer([]))),
    },
  ];
  return { counters, routes };
}

Deno.test("at most 8 registry requests are in flight per region across concurrent batches", async () => {
  const { counters, routes } = countingRegions();
  const { discovery, upstream } = discoveryOver(routes, { cacheTtlMs: 0 });

  const results = await Promise.all([
    discovery.searchMany(keywords("a", 30)),
    discovery.searchMany(keywords("b", 30)),
    discovery.search("c0"),
  ]);

  assert.equal(counters.cn.max, 8);
  assert.equal(counters.us.max, 8);
  assert.equal(upstream.count(searchUrl(CN)), 61);
  assert.equal(results[0].length + results[1].length, 60);
  upstream.assertNoUnexpected();
});

Deno.test("the per-region limit follows the concurrency option", async () => {
  const { counters, routes } = countingRegions();
  const { discovery } = discoveryOver(routes, { cacheTtlMs: 0, concurrency: 3 });

  await Promise.all([
    discovery.searchMany(keywords("a", 10)),
    discovery.searchMany(keywords("b", 10)),
  ]);

  assert.equal(counters.cn.max, 3);
  assert.equal(counters.us.max, 3);
});

Deno.test("one batch keeps as many keywords in flight as the per-region limit", async () => {
  const { counters, routes } = countingRegions();
  const { discovery } = discoveryOver(routes, { cacheTtlMs: 0 });

  const results = await discovery.searchMany(keywords("k", 40));

  assert.equal(counters.cn.max, 8);
  assert.deepEqual(results.map((r) => r.keyword), keywords("k", 40));
});

Deno.test("a batch searches duplicates once, answers in input order and reports progress", async () => {
  const { routes } = countingRegions();
  const { discovery, upstream } = discoveryOver(routes, { cacheTtlMs: 0 });
  const progress: number[] = [];

  const results = await discovery.searchMany(["c", "a", "c", "b", "a"], {
    onProgress: (done, total) => progress.push(done / total),
  });

  assert.deepEqual(results.map((r) => r.keyword), ["c", "a", "b"]);
  assert.equal(upstream.count(searchUrl(CN)), 3);
  assert.deepEqual(progress, [1 / 3, 2 / 3, 1]);
});

Deno.test("searches beyond the limit wait in line and go through in order", async () => {
  let inFlight = 0;
  let most = 0;
  const inner = fakeSearch(async (_, call) => {
    most = Math.max(most, ++inFlight);
    await settle();
    inFlight--;
    return answered("cn", [call.keyword]);
  });
  const search = withLimiter({ concurrency: 1 })(inner.search);

  await Promise.all(["a", "b", "c"].map((keyword) => search(CN, keyword)));

  assert.deepEqual(inner.calls.map((call) => call.keyword), ["a", "b", "c"]);
  assert.equal(most, 1);
});

Deno.test("a search cancelled while waiting leaves the line and its turn goes to the next", async () => {
  const held = Promise.withResolvers<void>();
  const inner = fakeSearch(async (n, call) => {
    if (n === 1) await held.promise;
    return answered("cn", [call.keyword]);
  });
  const search = withLimiter({ concurrency: 1 })(inner.search);
  const controller = new AbortController();
  const reason = new Error("cancelled while waiting");

  const first = search(CN, "a");
  const cancelled = search(CN, "b", { signal: controller.signal });
  const next = search(CN, "c");
  controller.abort(reason);
  await assert.rejects(cancelled, (error) => error === reason);
  held.resolve();
  await Promise.all([first, next]);
  await search(CN, "d");

  assert.deepEqual(inner.calls.map((call) => call.keyword), ["a", "c", "d"]);
});

Deno.test("searches cancelled while they wait for the limiter send no more requests", async () => {
  const held = Promise.withResolvers<void>();
  const { discovery, upstream } = discoveryOver([
    { url: searchUrl(CN), respond: () => held.promise.then(() => searchAnswer([])) },
    { url: searchUrl(US), respond: () => held.promise.then(() => searchAnswer([])) },
  ], { cacheTtlMs: 0, concurrency: 2 });
  const controller = new AbortController();
  const reason = new Error("The client cancelled the batch");
  const { signal } = controller;

  const batch = Promise.all(keywords("k", 10).map((k) => discovery.search(k, { signal })));
  await settle();
  assert.equal(upstream.count(searchUrl(CN)), 2, "two in flight, eight in line");
  controller.abort(reason);
  await assert.rejects(batch, (error) => error === reason);
  held.resolve();
  await settle();

  assert.equal(upstream.count(searchUrl(CN)), 2, "none of those in line was sent");
});
