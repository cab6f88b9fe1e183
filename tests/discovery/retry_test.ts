import assert from "node:assert/strict";
import type { RegionOutcome } from "../../src/discovery/mod.ts";
import { abortableSleep } from "../../src/async.ts";
import { withRetry } from "../../src/discovery/retry.ts";
import { CN, recordingLogger } from "../fake_upstream.ts";
import { answered, errorOf, failed, fakeSearch, timedOut } from "./fake_search.ts";

/** A sleep that returns at once and remembers how long it was asked to wait. */
function instantSleep(): { sleep: typeof abortableSleep; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

const transient: [string, RegionOutcome][] = [
  ["a network error", failed("cn", "could not be reached: connection reset", { kind: "network" })],
  ["an HTTP 500", failed("cn", "answered HTTP 500", { kind: "http_status", status: 500 })],
  ["an HTTP 503", failed("cn", "answered HTTP 503", { kind: "http_status", status: 503 })],
];

for (const [name, failure] of transient) {
  Deno.test(`retry asks once more after ${name} and returns the second answer`, async () => {
    const inner = fakeSearch((n) => n === 1 ? failure : answered("cn", ["a.b.c"]));
    const { sleep, waits } = instantSleep();
    const search = withRetry({ logger: recordingLogger(), sleep, random: () => 0.5 })(inner.search);

    const outcome = await search(CN, "a.b.c");

    assert.deepEqual(outcome, answered("cn", ["a.b.c"]));
    assert.equal(inner.calls.length, 2);
    assert.deepEqual(waits, [200]);
  });
}

Deno.test("retry asks at most twice and returns the second failure", async () => {
  const inner = fakeSearch((n) =>
    failed("cn", `answered HTTP 50${n}`, { kind: "http_status", status: 500 + n })
  );
  const { sleep } = instantSleep();
  const search = withRetry({ logger: recordingLogger(), sleep })(inner.search);

  const outcome = await search(CN, "a.b.c");

  assert.equal(inner.calls.length, 2);
  assert.equal(errorOf(outcome).message, "answered HTTP 502");
});

Deno.test("retry spreads its wait between half and one and a half times the delay", async () => {
  const waits: number[] = [];
  for (const random of [0, 0.25, 0.999]) {
    const inner = fakeSearch((n) => n === 1 ? transient[0]![1] : answered("cn"));
    const { sleep, waits: these } = instantSleep();
    const search = withRetry({ logger: recordingLogger(), sleep, random: () => random })(
      inner.search,
    );
    await search(CN, "a.b.c");
    waits.push(...these);
  }
  assert.deepEqual(waits, [100, 150, 300]);
});

const final: [string, RegionOutcome][] = [
  ["an HTTP 404", failed("cn", "answered HTTP 404", { kind: "http_status", status: 404 })],
  ["an HTTP 429", failed("cn", "answered HTTP 429", { kind: "http_status", status: 429 })],
  ["an error_code", failed("cn", "answered error_code 500", { kind: "upstream_error" })],
  ["an invalid body", failed("cn", "answered with a body that is not", { kind: "invalid_body" })],
  ["a refused JWT", failed("cn", "rejected a freshly issued JWT", { kind: "auth" })],
  ["a redirect", failed("cn", "redirected to https://sso.test", { kind: "redirect" })],
  ["a timeout, which already cost the whole time limit", timedOut("cn")],
  ["an unexpected exception", failed("cn", "failed unexpectedly", { kind: "internal" })],
  [
    "a region its circuit breaker skipped",
    failed("cn", "skipped until 00:00:30 UTC", { kind: "network", skipped: true }),
  ],
];

for (const [name, failure] of final) {
  Deno.test(`retry does not ask again after ${name}`, async () => {
    const inner = fakeSearch(() => failure);
    const { sleep, waits } = instantSleep();
    const search = withRetry({ logger: recordingLogger(), sleep })(inner.search);

    const outcome = await search(CN, "a.b.c");

    assert.equal(outcome, failure);
    assert.equal(inner.calls.length, 1);
    assert.deepEqual(waits, []);
  });
}

Deno.test("retry is logged at debug with the region, the keyword, the reason and the wait", async () => {
  const logger = recordingLogger();
  const inner = fakeSearch((n) => n === 1 ? transient[1]![1] : answered("cn"));
  const search = withRetry({ logger, sleep: instantSleep().sleep, random: () => 0 })(inner.search);

  await search(CN, "a.b.c");

  assert.deepEqual(logger.lines.map((line) => line.slice(0, line.indexOf(" {"))), [
    "debug Region cn failed for a.b.c (answered HTTP 500): asking again in 100 ms",
  ]);
});

Deno.test("the wait before a retry ends with the caller's cancellation, which rejects", async () => {
  const controller = new AbortController();
  const reason = new Error("The client cancelled the request");
  const inner = fakeSearch(() => {
    queueMicrotask(() => controller.abort(reason));
    return transient[0]![1];
  });
  // The real timer: a retry after it would resolve the search instead of rejecting.
  const search = withRetry({ logger: recordingLogger() })(inner.search);

  await assert.rejects(search(CN, "a.b.c", { signal: controller.signal }), (e) => e === reason);
  assert.equal(inner.calls.length, 1);
});

Deno.test("abortableSleep rejects at once with the reason of an already aborted signal", async () => {
  const reason = new Error("gone");
  await assert.rejects(
    abortableSleep(60_000, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
});

Deno.test("abortableSleep resolves after the wait when nothing aborts it, and stops listening", async () => {
  const controller = new AbortController();
  const listening = new Set<unknown>();
  // The real signal, with its abort listeners counted.
  const signal = Object.assign(Object.create(controller.signal), {
    addEventListener(type: string, listener: unknown, options?: AddEventListenerOptions) {
      if (type === "abort") listening.add(listener);
      controller.signal.addEventListener(type, listener as EventListener, options);
    },
    removeEventListener(type: string, listener: unknown) {
      if (type === "abort") listening.delete(listener);
      controller.signal.removeEventListener(type, listener as EventListener);
    },
  }) as AbortSignal;
  const started = performance.now();

  const slept = abortableSleep(20, { signal });
  assert.equal(listening.size, 1, "listens for an abort while it waits");
  assert.equal(await slept, undefined);

  assert.ok(performance.now() - started >= 15, "resolved only after the wait");
  assert.equal(listening.size, 0, "nothing left listening after the wait");
});
