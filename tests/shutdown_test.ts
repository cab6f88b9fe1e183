import assert from "node:assert/strict";
import { createGracefulStop, type GracefulStopOptions } from "../src/shutdown.ts";
import { recordingLogger } from "./fake_upstream.ts";

// A graceful stop whose drain delay ends only when the test says so, recording what it does.
function harness({ drainDelayMs = 5_000, stopFails = false } = {}) {
  const events: string[] = [];
  const delays: { ms: number; end: () => void }[] = [];
  const options: GracefulStopOptions = {
    drainDelayMs,
    drain: () => events.push("drain"),
    stop: () => {
      events.push("stop");
      return stopFails ? Promise.reject(new Error("listener gone")) : Promise.resolve();
    },
    exit: (code) => events.push(`exit ${code}`),
    logger: recordingLogger(),
    delay: (ms) => new Promise((resolve) => delays.push({ ms, end: () => resolve() })),
  };
  return { stop: createGracefulStop(options), events, delays };
}

// Lets every promise callback already queued run.
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("the first signal drains at once and stops only once the drain delay has passed", async () => {
  const { stop, events, delays } = harness({ drainDelayMs: 5_000 });
  stop.onSignal("SIGTERM");
  await settle();
  assert.deepEqual(events, ["drain"], "still serving during the drain");
  assert.deepEqual(delays.map((d) => d.ms), [5_000]);
  delays[0]!.end();
  assert.equal(await stop.exitStatus, 0);
  assert.deepEqual(events, ["drain", "stop"]);
});

Deno.test("a second signal during the drain exits at once with 128 + its number", async () => {
  const { stop, events, delays } = harness();
  stop.onSignal("SIGTERM");
  stop.onSignal("SIGINT");
  await settle();
  assert.deepEqual(events, ["drain", "exit 130"]);
  delays[0]!.end();
});

Deno.test("a second signal while calls in flight finish exits at once", async () => {
  const { stop, events } = harness({ drainDelayMs: 0 });
  stop.onSignal("SIGTERM");
  await settle();
  stop.onSignal("SIGTERM");
  assert.deepEqual(events, ["drain", "stop", "exit 143"]);
});

Deno.test("without a drain delay the server stops at once, with /ready already refusing", async () => {
  const { stop, events, delays } = harness({ drainDelayMs: 0 });
  stop.onSignal("SIGTERM");
  assert.equal(await stop.exitStatus, 0);
  assert.deepEqual(events, ["drain", "stop"]);
  assert.equal(delays.length, 0);
});

Deno.test("a shutdown that fails exits with status 1", async () => {
  const { stop } = harness({ drainDelayMs: 0, stopFails: true });
  stop.onSignal("SIGTERM");
  assert.equal(await stop.exitStatus, 1);
});
