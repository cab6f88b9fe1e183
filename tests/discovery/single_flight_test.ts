import assert from "node:assert/strict";
import { CN, searchAnswer, searchUrl, settle, US } from "../fake_upstream.ts";
import { discoveryOver } from "./harness.ts";

const PSM = "oec.live.room";

/** Regions whose registries hold every answer until `held` opens. */
function heldRegions(held: Promise<void>) {
  const respond = async () => {
    await held;
    return searchAnswer([{ psm: PSM }]);
  };
  return [{ url: searchUrl(CN), respond }, { url: searchUrl(US), respond }];
}

Deno.test("100 concurrent identical searches send one request per region", async () => {
  const held = Promise.withResolvers<void>();
  const { discovery, upstream } = discoveryOver(heldRegions(held.promise), { cacheTtlMs: 0 });

  const searches = Array.from(
    { length: 100 },
    () => discovery.search(PSM, { waitAllRegions: true }),
  );
  await settle();
  held.resolve();
  const results = await Promise.all(searches);

  assert.equal(upstream.count(searchUrl(CN)), 1);
  assert.equal(upstream.count(searchUrl(US)), 1);
  assert.ok(results.every((r) => r.status === "found" && r.services[0]!.regions.length === 2));
  upstream.assertNoUnexpected();
});

Deno.test("a shared request does not follow the first caller's cancellation: the others get the answer", async () => {
  const held = Promise.withResolvers<void>();
  const { discovery, upstream } = discoveryOver(heldRegions(held.promise), {
    regions: [CN],
    cacheTtlMs: 0,
  });
  const first = new AbortController();
  const reason = new Error("The first caller cancelled");

  const cancelled = discovery.search(PSM, { signal: first.signal });
  const second = discovery.search(PSM);
  await settle();
  first.abort(reason);
  await assert.rejects(cancelled, (error) => error === reason);
  const [request] = upstream.requests.filter((r) => r.url.startsWith(searchUrl(CN)));
  assert.equal(request!.signal.aborted, false, "the shared request goes on");
  held.resolve();

  assert.equal((await second).status, "found");
  assert.equal(upstream.count(searchUrl(CN)), 1);
});

Deno.test("the last caller's cancellation aborts the shared request, and a new search asks afresh", async () => {
  const held = Promise.withResolvers<void>();
  const { discovery, upstream } = discoveryOver(heldRegions(held.promise), {
    regions: [CN],
    cacheTtlMs: 0,
  });
  const callers = [new AbortController(), new AbortController()];

  const searches = callers.map((c) => discovery.search(PSM, { signal: c.signal }));
  await settle();
  const [request] = upstream.requests.filter((r) => r.url.startsWith(searchUrl(CN)));
  callers[0]!.abort(new Error("first left"));
  assert.equal(request!.signal.aborted, false, "one caller is still waiting");
  callers[1]!.abort(new Error("last left"));
  assert.equal(request!.signal.aborted, true, "no caller is left");
  await Promise.allSettled(searches);

  held.resolve();
  assert.equal((await discovery.search(PSM)).status, "found");
  assert.equal(upstream.count(searchUrl(CN)), 2, "the aborted request was not joined");
});

Deno.test("different keywords or regions are not shared", async () => {
  const { discovery, upstream } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ], { cacheTtlMs: 0 });

  await Promise.all([discovery.search("a.b.c"), discovery.search("a.b.d")]);

  assert.equal(upstream.count(searchUrl(CN)), 2);
  assert.equal(upstream.count(searchUrl(US)), 2);
});
