import assert from "node:assert/strict";
import { CN, gate, never, searchAnswer, searchUrl, settle, US } from "../fake_upstream.ts";
import { discoveryOver, type HarnessOptions } from "./harness.ts";

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
  const usHeld = gate();
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
  const { discovery, upstream, usHeld } = cnAtOnceUsHeld(() => searchAnswer([{ psm: PSM }]), {
    cacheTtlMs: 60_000,
  });

  const result = await discovery.search(PSM);

  assert.equal(result.status, "found");
  assert.deepEqual(result.services[0].regions, ["cn"]);
  assert.deepEqual(result.outcomes.map((o) => o.region), ["cn"]);
  assert.deepEqual(result.pending, ["us"]);
  usHeld.open();
  await discovery.settled();
  upstream.assertNoUnexpected();
});

Deno.test("a region not awaited goes on in the background and fills the cache", async () => {
  const { discovery, upstream, usHeld } = cnAtOnceUsHeld(() => searchAnswer([{ psm: PSM }]), {
    cacheTtlMs: 60_000,
  });

  const early = await discovery.search(PSM);
  usHeld.open();
  await discovery.settled();
  const later = await discovery.search(PSM);

  assert.deepEqual(early.pending, ["us"]);
  assert.deepEqual(later.pending, []);
  assert.deepEqual(later.services[0].regions, ["cn", "us"]);
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
  usHeld.open();
  const result = await searching;

  assert.deepEqual(result.pending, []);
  assert.deepEqual(result.services[0].regions, ["cn", "us"]);
});

Deno.test("fuzzy candidates alone do not answer early: every region is awaited", async () => {
  const usHeld = gate();
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
  usHeld.open();
  const result = await searching;

  assert.equal(result.status, "found");
  assert.deepEqual(result.pending, []);
  assert.deepEqual(result.services[0].regions, ["us"]);
});

Deno.test("a region failing in the background after an early answer is logged, never an unhandled rejection", async () => {
  await withoutUnhandledRejections(async () => {
    const { discovery, logger, usHeld } = cnAtOnceUsHeld(() => {
      throw new TypeError("connection reset by peer");
    });

    const result = await discovery.search(PSM);
    usHeld.open();
    await discovery.settled();

    assert.deepEqual(result.pending, ["us"]);
    assert.ok(
      logger.lines.some((line) => line.startsWith(`warn Region us failed for ${PSM}`)),
      logger.lines.join("\n"),
    );
  });
});

Deno.test("cancelling a search while every region is pending rejects with the reason and leaves no unhandled rejection", async () => {
  await withoutUnhandledRejections(async () => {
    const asked = gate();
    const { discovery, upstream } = discoveryOver([
      {
        url: searchUrl(CN),
        respond: () => {
          asked.open();
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
    await discovery.settled();
    const searches = upstream.requests.filter((r) => r.url.startsWith(searchUrl(CN)));
    assert.ok(searches.length === 1 && searches[0].signal.aborted, "the request was aborted");
  });
});

Deno.test("cancelling the caller after an early answer does not abort the regions left in the background", async () => {
  const { discovery, upstream, usHeld } = cnAtOnceUsHeld(() => searchAnswer([]));
  const controller = new AbortController();

  await discovery.search(PSM, { signal: controller.signal });
  controller.abort(new Error("The client went away"));
  const [usRequest] = upstream.requests.filter((r) => r.url.startsWith(searchUrl(US)));
  assert.equal(usRequest.signal.aborted, false);
  usHeld.open();
  await discovery.settled();
});
