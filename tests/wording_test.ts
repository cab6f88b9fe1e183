import assert from "node:assert/strict";
import { formatDuration, groupByReason, timeOfDay } from "../src/wording.ts";

Deno.test("formatDuration says seconds under a minute, minutes under two hours, then hours and minutes", () => {
  assert.equal(formatDuration(-5_000), "0 s");
  assert.equal(formatDuration(44_600), "45 s");
  assert.equal(formatDuration(59_000), "59 s");
  assert.equal(formatDuration(60_000), "1 min");
  assert.equal(formatDuration(3_599_000), "59 min");
  assert.equal(formatDuration(3_600_000), "60 min");
  assert.equal(formatDuration(119 * 60_000 + 59_000), "119 min");
  assert.equal(formatDuration(2 * 3_600_000), "2 h");
  assert.equal(formatDuration(3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
});

Deno.test("timeOfDay is the UTC time of day, from a date or milliseconds", () => {
  const time = Date.UTC(2026, 0, 1, 12, 34, 56, 789);
  assert.equal(timeOfDay(time), "12:34:56 UTC");
  assert.equal(timeOfDay(new Date(time)), "12:34:56 UTC");
});

Deno.test("groupByReason writes each reason once, with its regions, in first-seen order", () => {
  const pairs = [["cn", "timed out"], ["us", "HTTP 502"], ["eu", "timed out"]] as const;
  assert.deepEqual(groupByReason(pairs), ["cn, eu: timed out", "us: HTTP 502"]);
});
