import assert from "node:assert/strict";
import {
  AUTH_URL,
  CN,
  fakeClock,
  fakeUpstream,
  never,
  recordingLogger,
  searchAnswer,
  searchUrl,
  settle,
  US,
} from "../fake_upstream.ts";
import { CAS_SESSION, discoveryOver, type HarnessOptions } from "./harness.ts";
import { createTokenProvider } from "../../src/auth.ts";
import { createDiscovery, type RegionSearchWrapper } from "../../src/discovery/mod.ts";
import { Secret } from "../../src/secret.ts";
import { errorOf } from "./fake_search.ts";

const PSM = "oec.live.room";

/** Collects unhandled rejections while `test` runs, and fails when there was any. */
async function withoutUnhandledRejections(test: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const record = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    unhandled.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", record);
  try {
    await test();
    await settle();
  } finally {
    globalThis.removeEventListener("unhandledrejection", record);
  }
  assert.deepEqual(unhandled, [], "no promise was left to reject unhandled");
}

/**
 * A discovery where cn answers `PSM` at once and us answers with `usAnswer`
 * only once the returned gate opens.
 */
function cnAtOnceUsHeld(
  usAnswer: () => Response | Promise<Response>,
  options: HarnessOptions = {},
) {
  const usHeld = Promise.withResolvers<void>();
  const harness = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: PSM }]) },
    {
      url: searchUrl(US),
      respond: async () => {
        await usHeld.promise;
        return await usAnswer();
      },
    },
  ], options);
  return { ...harness, usHeld };
}

Deno.test("search answers as soon as one region has the exact PSM and names the region not awaited", async () => {
  const { discovery, upstream, usHeld, settled } = cnAtOnceUsHeld(
    () => searchAnswer([{ psm: PSM }]),
    { cacheTtlMs: 60_000 },
  );

  const result = await discovery.search(PSM);

  assert.equal(result.status, "found");
  assert.deepEqual(result.services[0]!.regions, ["cn"]);
  assert.deepEqual(result.outcomes.map((o) => o.region), ["cn"]);
  assert.deepEqual(result.pending, ["us"]);
  usHeld.resolve();
  await settled();
  upstream.assertNoUnexpected();
});

Deno.test("a region not awaited goes on in the background and fills the cache", async () => {
  const { discovery, upstream, usHeld, settled } = cnAtOnceUsHeld(
    () => searchAnswer([{ psm: PSM }]),
    { cacheTtlMs: 60_000 },
  );

  const early = await discovery.search(PSM);
  usHeld.resolve();
  await settled();
  const later = await discovery.search(PSM);

  assert.deepEqual(early.pending, ["us"]);
  assert.deepEqual(later.pending, []);
  assert.deepEqual(later.services[0]!.regions, ["cn", "us"]);
  assert.ok(later.outcomes.every((o) => o.ok && o.fromCache));
  assert.equal(upstream.count(searchUrl(US)), 1, "the background answer was cached");
  upstream.assertNoUnexpected();
});

Deno.test("with waitAllRegions the search waits for every region despite an exact match", async () => {
  const { discovery, usHeld } = cnAtOnceUsHeld(() => searchAnswer([{ psm: PSM }]));

  let answered = false;
  const searching = discovery.search(PSM, { waitAllRegions: true }).finally(() => answered = true);
  await settle();
  assert.equal(answered, false, "the search waits for us");
  usHeld.resolve();
  const result = await searching;

  assert.deepEqual(result.pending, []);
  assert.deepEqual(result.services[0]!.regions, ["cn", "us"]);
});

Deno.test("fuzzy candidates alone do not answer early: every region is awaited", async () => {
  const usHeld = Promise.withResolvers<void>();
  const { discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: `${PSM}.extra` }]) },
    {
      url: searchUrl(US),
      respond: async () => {
        await usHeld.promise;
        return searchAnswer([{ psm: PSM }]);
      },
    },
  ]);

  const searching = discovery.search(PSM);
  await settle();
  usHeld.resolve();
  const result = await searching;

  assert.equal(result.status, "found");
  assert.deepEqual(result.pending, []);
  assert.deepEqual(result.services[0]!.regions, ["us"]);
});

Deno.test("a region failing in the background after an early answer is logged, never an unhandled rejection", async () => {
  await withoutUnhandledRejections(async () => {
    const { discovery, logger, usHeld, settled } = cnAtOnceUsHeld(() => {
      throw new TypeError("connection reset by peer");
    });

    const result = await discovery.search(PSM);
    usHeld.resolve();
    await settled();

    assert.deepEqual(result.pending, ["us"]);
    assert.ok(
      logger.lines.some((line) => line.startsWith(`warn Region us failed for ${PSM}`)),
      logger.lines.join("\n"),
    );
  });
});

Deno.test("a layer failing in the background after an early answer is logged at debug, never an unhandled rejection", async () => {
  await withoutUnhandledRejections(async () => {
    const requests: RegionSearchWrapper = (next) => async (region, ...rest) => {
      const outcome = await next(region, ...rest);
      if (region.name === US.name) throw new Error("a metrics hook broke");
      return outcome;
    };
    const { discovery, logger, usHeld, settled } = cnAtOnceUsHeld(
      () => searchAnswer([{ psm: PSM }]),
      { observe: { requests } },
    );

    const result = await discovery.search(PSM);
    usHeld.resolve();
    await settled();

    assert.deepEqual(result.pending, ["us"]);
    assert.ok(
      logger.lines.some((line) =>
        line.startsWith(`debug A background search for ${PSM} failed: Error: a metrics hook broke`)
      ),
      logger.lines.join("\n"),
    );
  });
});

Deno.test("cancelling a search while every region is pending rejects with the reason and leaves no unhandled rejection", async () => {
  await withoutUnhandledRejections(async () => {
    const asked = Promise.withResolvers<void>();
    const { discovery, upstream, settled } = discoveryOver([
      {
        url: searchUrl(CN),
        respond: () => {
          asked.resolve();
          return never();
        },
      },
      { url: searchUrl(US), respond: never },
    ]);
    const controller = new AbortController();
    const reason = new Error("The client cancelled the request");

    const searching = discovery.search(PSM, { signal: controller.signal });
    await asked.promise;
    controller.abort(reason);

    await assert.rejects(searching, (error) => error === reason);
    await settled();
    const searches = upstream.requests.filter((r) => r.url.startsWith(searchUrl(CN)));
    assert.ok(searches.length === 1 && searches[0]!.signal.aborted, "the request was aborted");
  });
});

Deno.test("cancelling the caller after an early answer does not abort the regions left in the background", async () => {
  const { discovery, upstream, usHeld, settled } = cnAtOnceUsHeld(() => searchAnswer([]));
  const controller = new AbortController();

  await discovery.search(PSM, { signal: controller.signal });
  controller.abort(new Error("The client went away"));
  const [usRequest] = upstream.requests.filter((r) => r.url.startsWith(searchUrl(US)));
  assert.equal(usRequest!.signal.aborted, false);
  usHeld.resolve();
  await settled();
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("search queries both regions concurrently", async () => {
  const bothArrived = Promise.withResolvers<void>();
  let arrived = 0;
  const waitForBoth = async (psm: string) => {
    if (++arrived === 2) bothArrived.resolve();
    await bothArrived.promise;
    return searchAnswer([{ psm }]);
  };
  // Were the regions searched one after the other, the first would time out.
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => waitForBoth("oec.cn.only") },
    { url: searchUrl(US), respond: () => waitForBoth("oec.us.only") },
  ], { timeoutMs: 1_000 });

  const result = await discovery.search("oec");

  upstream.assertNoUnexpected();
  assert.equal(arrived, 2);
  assert.deepEqual(result.outcomes.map((o) => o.ok), [true, true]);
  assert.deepEqual(result.services.map((s) => s.psm).sort(), ["oec.cn.only", "oec.us.only"]);
});

Deno.test("searchMany searches duplicates once and returns the results in the order given", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: (request) => {
        const keyword = new URL(request.url).searchParams.get("keyword") ?? "";
        return searchAnswer(keyword === "b.b.b" ? [{ psm: "b.b.b" }] : []);
      },
    },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  const results = await discovery.searchMany(["c.c.c", "b.b.b", "c.c.c", "a.a.a", "b.b.b"]);

  upstream.assertNoUnexpected();
  assert.deepEqual(results.map((r) => r.keyword), ["c.c.c", "b.b.b", "a.a.a"]);
  assert.deepEqual(results.map((r) => r.status), ["not_found", "found", "not_found"]);
  assert.equal(upstream.count(searchUrl(CN)), 3);
  assert.equal(upstream.count(searchUrl(US)), 3);
  assert.equal(upstream.count(AUTH_URL), 1);
});

Deno.test("searchMany reports progress once per distinct keyword with done and total", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);
  const progress: [number, number][] = [];

  await discovery.searchMany(["a", "b", "a", "c"], {
    onProgress: (done, total) => progress.push([done, total]),
  });

  upstream.assertNoUnexpected();
  assert.deepEqual(progress, [[1, 3], [2, 3], [3, 3]]);
});

Deno.test("searchMany searches at most concurrency keywords at a time", async () => {
  const inFlight = new Map<string, number>();
  let maxInFlight = 0;
  const respond = async (request: Request) => {
    const keyword = new URL(request.url).searchParams.get("keyword") ?? "";
    inFlight.set(keyword, (inFlight.get(keyword) ?? 0) + 1);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    await delay(5);
    const left = (inFlight.get(keyword) ?? 1) - 1;
    if (left === 0) inFlight.delete(keyword);
    else inFlight.set(keyword, left);
    return searchAnswer([]);
  };
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond },
    { url: searchUrl(US), respond },
  ], { concurrency: 2 });
  const keywords = ["k1", "k2", "k3", "k4", "k5", "k6"];

  const results = await discovery.searchMany(keywords);

  upstream.assertNoUnexpected();
  assert.deepEqual(results.map((r) => r.keyword), keywords);
  assert.equal(maxInFlight, 2);
  assert.equal(upstream.count(searchUrl(CN)), 6);
});

Deno.test("searchMany still searches every keyword when concurrency is below one", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ], { concurrency: 0 });

  const results = await discovery.searchMany(["k1", "k2"]);

  assert.deepEqual(results.map((r) => [r.keyword, r.status]), [
    ["k1", "not_found"],
    ["k2", "not_found"],
  ]);
  assert.equal(upstream.count(searchUrl(CN)), 2);
});

Deno.test("searchMany rejects with the abort reason when its signal is aborted mid-search", async () => {
  const arrived = Promise.withResolvers<void>();
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () => {
        arrived.resolve();
        return never();
      },
    },
    { url: searchUrl(US), respond: never },
  ]);
  const controller = new AbortController();
  const reason = new Error("The client cancelled the request");

  const searching = discovery.searchMany(["a.b.c", "d.e.f"], { signal: controller.signal });
  await arrived.promise;
  controller.abort(reason);

  await assert.rejects(searching, (error) => error === reason);
  upstream.assertNoUnexpected();
});

Deno.test("searchMany rejects with the abort reason and sends no search when the signal is already aborted", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);
  const reason = new Error("Cancelled before it started");

  await assert.rejects(
    discovery.searchMany(["a.b.c"], { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(upstream.count(searchUrl(CN)) + upstream.count(searchUrl(US)), 0);
  upstream.assertNoUnexpected();
});

Deno.test("a batch against an auth service that does not answer costs one auth request", async () => {
  const clock = fakeClock();
  const logger = recordingLogger();
  const upstream = fakeUpstream([{ url: AUTH_URL, respond: never }]);
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret(CAS_SESSION) },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 20,
    logger,
  });
  const discovery = createDiscovery({
    regions: [CN, US],
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 20,
    cacheTtlMs: 0,
    cacheMaxBytes: 1024,
    concurrency: 2,
    logger,
  });

  const results = await discovery.searchMany(Array.from({ length: 10 }, (_, i) => `k${i}`));

  upstream.assertNoUnexpected();
  assert.equal(upstream.count(AUTH_URL), 1);
  assert.ok(results.every((r) => r.status === "failed"));
  assert.match(errorOf(results[9]!.outcomes[0]).message, /did not answer within 20 ms/);
});
