/**
 * `deno task cov`'s last step: reads the LCOV report that `deno coverage --lcov`
 * wrote and fails when the share of lines the tests run is under the floor.
 *
 * Usage: `deno run --allow-read scripts/coverage_floor.ts .coverage/lcov.info [floor %]`
 *
 * @module
 */

/** The share of lines CI requires, in percent. */
export const LINE_FLOOR_PERCENT = 95;

/** Lines found and lines hit, summed over every file of a report. */
export interface LineCoverage {
  readonly files: number;
  readonly found: number;
  readonly hit: number;
}

/** Sums the `LF` (lines found) and `LH` (lines hit) records of an LCOV `report`. */
export function lineCoverage(report: string): LineCoverage {
  let files = 0;
  let found = 0;
  let hit = 0;
  for (const line of report.split("\n")) {
    const [record, value] = line.trim().split(":", 2);
    if (record === "SF") files++;
    else if (record === "LF") found += Number(value);
    else if (record === "LH") hit += Number(value);
  }
  return { files, found, hit };
}

/** The percentage of lines hit; 0 for a report without lines. */
export function linePercent({ found, hit }: LineCoverage): number {
  return found === 0 ? 0 : (100 * hit) / found;
}

/**
 * Judges `coverage` against `floor` percent: the line to print, and whether it passes.
 * An empty report fails: it means the tests ran nothing of the code.
 */
export function judge(coverage: LineCoverage, floor: number): { ok: boolean; message: string } {
  const percent = linePercent(coverage);
  const measured = `${percent.toFixed(1)} % of lines (${coverage.hit} of ${coverage.found} ` +
    `in ${coverage.files} files)`;
  if (coverage.found === 0) {
    return { ok: false, message: "The coverage report lists no lines: run deno task cov again" };
  }
  if (percent < floor) {
    return {
      ok: false,
      message: `Tests cover ${measured}, under the floor of ${floor} %: ` +
        "add tests for the lines deno coverage lists as uncovered",
    };
  }
  return { ok: true, message: `Tests cover ${measured}; the floor is ${floor} %` };
}

if (import.meta.main) {
  const [path = ".coverage/lcov.info", floor = String(LINE_FLOOR_PERCENT)] = Deno.args;
  const { ok, message } = judge(lineCoverage(await Deno.readTextFile(path)), Number(floor));
  (ok ? console.log : console.error)(message);
  Deno.exit(ok ? 0 : 1);
}
