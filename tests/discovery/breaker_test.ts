import assert from "node:assert/strict";
import { AuthError } from "../../src/auth.ts";
import { createCircuitBreaker, withBreaker } from "../../src/discovery/breaker.ts";
import type { RegionOutcome } from "../../src/discovery/mod.ts";
import {
  CN,
  errorAnswer,
  fakeClock,
  never,
  searchAnswer,
  searchUrl,
  US,
} from "../fake_upstream.ts";
import { answered, errorOf, failed, fakeSearch, timedOut } from "./fake_search.ts";
import { discoveryOver } from "./harness.ts";

/** A breaker over a fake inner search answering `respond`, with a clock at 2026-01-01T00:00Z. */
function breakerOver(
  respond: (n: number, region: string) => RegionOutcome | Promise<RegionOutcome>,
) {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now });
  const inner = fakeSearch((n, call) => respond(n, call.region));
  return { clock, breaker, inner, search: withBreaker(breaker)(inner.search) };
}

async function searchTimes(search: ReturnType<typeof breakerOver>["search"], times: number) {
  const outcomes: RegionOutcome[] = [];
  for (let i = 0; i < times; i++) outcomes.push(await search(CN, `k${i}`));
  return outcomes;
}

Deno.test("the breaker skips a region after 5 failures in a row and says until when", async () => {
  const { inner, search, clock } = breakerOver(() => timedOut("cn"));

  const outcomes = await searchTimes(search, 5);
  clock.advance(1_000);
  const skipped = await search(CN, "k5");

  assert.equal(inner.calls.length, 5, "the 6th search did not reach the region");
  assert.ok(outcomes.every((o) => !errorOf(o).skipped));
  const error = errorOf(skipped);
  assert.equal(error.skipped, true);
  assert.equal(error.kind, "timeout");
  assert.equal(skipped.region, "cn");
  assert.equal(
    error.message,
    "skipped until 00:00:30 UTC: failed 5 times in a row (last: did not answer within 10000 ms)",
  );
  assert.deepEqual(error.retryAt, new Date(Date.UTC(2026, 0, 1, 0, 0, 30)));
  assert.equal(error.cause, errorOf(outcomes[4]));
});

const counted: [string, () => RegionOutcome][] = [
  ["timeouts", () => timedOut("cn")],
  ["network errors", () => failed("cn", "could not be reached", { kind: "network" })],
  ["HTTP 5xx", () => failed("cn", "answered HTTP 502", { kind: "http_status", status: 502 })],
];

for (const [name, failure] of counted) {
  Deno.test(`the breaker counts ${name} against a region`, async () => {
    const { inner, search } = breakerOver(failure);

    await searchTimes(search, 7);

    assert.equal(inner.calls.length, 5);
  });
}

const notCounted: [string, () => RegionOutcome][] = [
  ["an HTTP 404", () => failed("cn", "answered HTTP 404", { kind: "http_status", status: 404 })],
  ["an error_code", () => failed("cn", "answered error_code 7", { kind: "upstream_error" })],
  ["an invalid body", () => failed("cn", "answered with a body", { kind: "invalid_body" })],
  ["a redirect", () => failed("cn", "redirected to https://sso.test", { kind: "redirect" })],
  ["an unexpected exception", () => failed("cn", "failed unexpectedly", { kind: "internal" })],
  [
    "a token the auth service would not give",
    () =>
      failed("cn", "CAS_SESSION is expired", {
        kind: "auth",
        cause: new AuthError("session_expired", "CAS_SESSION is expired"),
      }),
  ],
];

for (const [name, failure] of notCounted) {
  Deno.test(`the breaker never skips a region for ${name}`, async () => {
    const { inner, search, breaker } = breakerOver(failure);

    await searchTimes(search, 8);

    assert.equal(inner.calls.length, 8);
    assert.equal(breaker.health("cn").state, "closed");
  });
}

Deno.test("an answer, even an error of the region's own, resets the count of failures in a row", async () => {
  const { inner, search } = breakerOver((n) =>
    n === 5
      ? failed("cn", "answered HTTP 404", { kind: "http_status", status: 404 })
      : timedOut("cn")
  );

  await searchTimes(search, 9);

  assert.equal(inner.calls.length, 9, "4 failures, an answer, 4 failures: never 5 in a row");
});

Deno.test("a region that refuses a freshly issued JWT is skipped at once", async () => {
  const refusal = "rejected a freshly issued JWT: your account may have no access to this registry";
  const { inner, search } = breakerOver(() => failed("cn", refusal, { kind: "auth" }));

  await search(CN, "k1");
  const skipped = await search(CN, "k2");

  assert.equal(inner.calls.length, 1);
  assert.equal(errorOf(skipped).message, `skipped until 00:00:30 UTC: ${refusal}`);
  assert.equal(errorOf(skipped).kind, "auth");
});

Deno.test("after 30 s one search probes the region while the others still skip it; an answer closes it", async () => {
  let healthy = false;
  const probeHeld = Promise.withResolvers<void>();
  const { inner, search, clock, breaker } = breakerOver(async () => {
    if (!healthy) return timedOut("cn");
    await probeHeld.promise;
    return answered("cn", ["a.b.c"]);
  });
  await searchTimes(search, 5);
  clock.advance(30_000);
  healthy = true;

  const probe = search(CN, "probe");
  const other = await search(CN, "other");
  assert.equal(breaker.health("cn").state, "half_open");
  probeHeld.resolve();
  const probed = await probe;
  const after = await search(CN, "after");

  assert.equal(inner.calls.length, 7, "5 failures, the probe, then the search after it");
  assert.deepEqual(inner.calls.slice(5).map((c) => c.keyword), ["probe", "after"]);
  assert.equal(
    errorOf(other).message,
    "skipped while another search tries it again: failed 5 times in a row (last: did not answer within 10000 ms)",
  );
  assert.equal(errorOf(other).retryAt, undefined);
  assert.equal(probed.ok, true);
  assert.equal(after.ok, true);
  assert.equal(breaker.health("cn").state, "closed");
});

Deno.test("a failed probe skips the region for another 30 s", async () => {
  const { inner, search, clock } = breakerOver(() => timedOut("cn"));
  await searchTimes(search, 5);
  clock.advance(30_000);

  await search(CN, "probe");
  clock.advance(29_000);
  const skipped = await search(CN, "later");

  assert.equal(inner.calls.length, 6);
  assert.equal(
    errorOf(skipped).message,
    "skipped until 00:01:00 UTC: failed 6 times in a row (last: did not answer within 10000 ms)",
  );
});

Deno.test("a cancelled probe lets the next search probe instead", async () => {
  const reason = new Error("cancelled");
  const { inner, search, clock } = breakerOver((n) => {
    if (n <= 5) return timedOut("cn");
    if (n === 6) throw reason;
    return answered("cn");
  });
  await searchTimes(search, 5);
  clock.advance(30_000);

  await assert.rejects(search(CN, "cancelled"), (e) => e === reason);
  const next = await search(CN, "next");

  assert.equal(inner.calls.length, 7);
  assert.equal(next.ok, true);
});

Deno.test("each region has its own circuit", async () => {
  const { inner, search } = breakerOver((_, region) =>
    region === "cn" ? timedOut("cn") : answered("us")
  );

  for (let i = 0; i < 6; i++) {
    await search(CN, `k${i}`);
    await search(US, `k${i}`);
  }

  assert.equal(inner.calls.filter((c) => c.region === "cn").length, 5);
  assert.equal(inner.calls.filter((c) => c.region === "us").length, 6);
});

Deno.test("health tells each region's state, open-until and last outcome", async () => {
  const { search, clock, breaker } = breakerOver((n) =>
    n === 1
      ? answered("cn")
      : failed("cn", "answered HTTP 503", { kind: "http_status", status: 503 })
  );

  assert.deepEqual(breaker.health("cn"), { name: "cn", state: "closed" });
  await search(CN, "k0");
  assert.deepEqual(breaker.health("cn"), {
    name: "cn",
    state: "closed",
    openUntil: undefined,
    lastOutcome: "ok",
    lastError: undefined,
    lastLatencyMs: 0,
    lastCheckedAt: new Date(Date.UTC(2026, 0, 1)),
  });
  clock.advance(1_000);
  await searchTimes(search, 5);
  assert.deepEqual(breaker.health("cn"), {
    name: "cn",
    state: "open",
    openUntil: new Date(Date.UTC(2026, 0, 1, 0, 0, 31)),
    lastOutcome: "http_status",
    lastError: "answered HTTP 503",
    lastLatencyMs: 0,
    lastCheckedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
  });
  clock.advance(30_000);
  assert.equal(breaker.health("cn").state, "half_open");
  assert.equal(breaker.health("us").state, "closed");
});

Deno.test("health measures the latency of the last search with the injected clock", async () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now });
  const search = withBreaker(breaker)(() => {
    clock.advance(1_234);
    return Promise.resolve(answered("cn"));
  });

  await search(CN, "k");

  assert.equal(breaker.health("cn").lastLatencyMs, 1_234);
});

Deno.test("a batch of 100 keywords against a region that never answers costs at most 8 timeouts", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: never },
  ], { timeoutMs: 20, concurrency: 4 });
  const keywords = Array.from({ length: 100 }, (_, i) => `k${i}`);

  const results = await discovery.searchMany(keywords);

  upstream.assertNoUnexpected();
  // Two rounds of 4 keywords in flight together: the 5th timeout opens the circuit, and the
  // 3 requests already in flight beside it run out their time limit.
  assert.equal(upstream.count(searchUrl(US)), 8, "asked until its circuit opened");
  assert.equal(upstream.count(searchUrl(CN)), 100, "the healthy region was asked every time");
  const usErrors = results.map((r) => errorOf(r.outcomes[1]));
  assert.equal(usErrors.filter((e) => !e.skipped).length, 8);
  assert.ok(usErrors.slice(0, 8).every((e) => e.message === "did not answer within 20 ms"));
  for (const error of usErrors.slice(8)) {
    assert.equal(error.kind, "timeout");
    assert.equal(error.skipped, true);
    assert.match(
      error.message,
      /^skipped until 00:00:30 UTC: failed [5-8] times in a row \(last: did not answer within 20 ms\)$/,
    );
  }
  assert.ok(results.every((r) => r.status === "not_found"));
  const [cn, us] = discovery.health();
  assert.deepEqual([cn!.name, cn!.state, us!.name, us!.state], ["cn", "closed", "us", "open"]);
  const after = await discovery.search("k100");
  assert.match(errorOf(after.outcomes[1]).message, /failed 8 times in a row/, "all 8 counted");
  assert.deepEqual(us!.openUntil, new Date(Date.UTC(2026, 0, 1, 0, 0, 30)));
  assert.equal(us!.lastOutcome, "timeout");
});

Deno.test("searchMany keeps asking a region that answers with errors that are not outages", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => errorAnswer(404, "no such index", 404) },
  ], { concurrency: 1 });

  await discovery.searchMany(["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);

  assert.equal(upstream.count(searchUrl(US)), 7);
  assert.equal(discovery.health()[1]!.state, "closed");
});
