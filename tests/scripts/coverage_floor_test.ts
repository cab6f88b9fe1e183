import assert from "node:assert/strict";
import { judge, lineCoverage, linePercent } from "../../scripts/coverage_floor.ts";

const REPORT = [
  "SF:/repo/src/a.ts",
  "DA:1,1",
  "LH:90",
  "LF:100",
  "end_of_record",
  "SF:/repo/src/b.ts",
  "BRF:4",
  "BRH:1",
  "LH:10",
  "LF:10",
  "end_of_record",
].join("\n");

Deno.test("lineCoverage sums the lines found and hit over every file, ignoring branches", () => {
  const coverage = lineCoverage(REPORT);
  assert.deepEqual(coverage, { files: 2, found: 110, hit: 100 });
  assert.equal(linePercent(coverage).toFixed(2), "90.91");
});

Deno.test("judge passes at or over the floor and names what it measured", () => {
  const verdict = judge({ files: 2, found: 200, hit: 190 }, 95);
  assert.equal(verdict.ok, true);
  assert.equal(
    verdict.message,
    "Tests cover 95.0 % of lines (190 of 200 in 2 files); the floor is 95 %",
  );
});

Deno.test("judge fails under the floor, saying what to do", () => {
  const verdict = judge(lineCoverage(REPORT), 95);
  assert.equal(verdict.ok, false);
  assert.match(
    verdict.message,
    /^Tests cover 90\.9 % of lines .* under the floor of 95 %: add tests/,
  );
});

Deno.test("judge fails an empty report rather than dividing by zero", () => {
  const verdict = judge(lineCoverage(""), 95);
  assert.equal(verdict.ok, false);
  assert.match(verdict.message, /lists no lines/);
});
