import assert from "node:assert/strict";
import { linkAbort, startDeadline, untilAborted } from "../src/async.ts";

// An AbortSignal that counts its abort listeners, to see that none is left behind.
class CountingSignal extends EventTarget {
  listeners = 0;
  aborted = false;
  reason: unknown;
  override addEventListener(...args: Parameters<EventTarget["addEventListener"]>) {
    this.listeners++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget["removeEventListener"]>) {
    this.listeners--;
    super.removeEventListener(...args);
  }
  abort(reason: unknown) {
    this.aborted = true;
    this.reason = reason;
    this.dispatchEvent(new Event("abort"));
  }
}

function countingSignal() {
  const counting = new CountingSignal();
  return { counting, signal: counting as unknown as AbortSignal };
}

Deno.test("untilAborted removes its listener once the work settles", async () => {
  const { counting, signal } = countingSignal();
  assert.equal(await untilAborted(Promise.resolve(7), signal), 7);
  assert.equal(counting.listeners, 0);
  await assert.rejects(untilAborted(Promise.reject(new Error("boom")), signal), /boom/);
  assert.equal(counting.listeners, 0);
});

Deno.test("untilAborted rejects with the signal's reason when it aborts first", async () => {
  const controller = new AbortController();
  const never = new Promise<number>(() => {});
  const waiting = untilAborted(never, controller.signal);
  const reason = new Error("gone");
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await assert.rejects(untilAborted(never, AbortSignal.abort(reason)), (error) => error === reason);
});

Deno.test("linkAbort follows the signal with its reason until unlinked, then lets it go", () => {
  const { counting, signal } = countingSignal();
  const link = linkAbort(signal);
  counting.abort("first");
  assert.equal(link.signal.aborted, true);
  assert.equal(link.signal.reason, "first");

  const other = countingSignal();
  const unlinked = linkAbort(other.signal);
  unlinked.unlink();
  assert.equal(other.counting.listeners, 0);
  other.counting.abort("late");
  assert.equal(unlinked.signal.aborted, false);

  assert.equal(linkAbort(AbortSignal.abort("already")).signal.reason, "already");
  assert.equal(linkAbort(undefined).signal.aborted, false);
});

Deno.test("startDeadline aborts with its reason once the time is up, and says so", async () => {
  const deadline = startDeadline(1, { reason: () => new RangeError("too slow") });
  await new Promise((resolve) => deadline.signal.addEventListener("abort", resolve));
  assert.equal(deadline.timedOut, true);
  assert.ok(deadline.signal.reason instanceof RangeError);
  deadline.clear();
});

Deno.test("startDeadline follows the caller's signal until cleared, and its timer is cleared", () => {
  const { counting, signal } = countingSignal();
  const deadline = startDeadline(60_000, { reason: () => "late", signal });
  counting.abort("caller");
  assert.equal(deadline.signal.reason, "caller");
  assert.equal(deadline.timedOut, false);
  deadline.clear();
  assert.equal(counting.listeners, 0);

  // Cleared before the time is up: the test would leak a timer (and fail) if it were not.
  const cleared = startDeadline(60_000, { reason: () => "late" });
  cleared.clear();
  assert.equal(cleared.signal.aborted, false);
});
