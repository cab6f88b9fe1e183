/**
 * The benchmark's table and the machine it ran on, as markdown, and the
 * generated part of `bench/RESULTS.md` (the text around it is kept).
 *
 * @module
 */

/** One line of the results table. */
export interface Row {
  readonly id: string;
  readonly scenario: string;
  readonly target: string;
  readonly measured: string;
  readonly ratio: string;
  /** `yes`, `no`, or `not measurable yet: <why>`. */
  readonly met: string;
}

/** Returns the median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Returns the `p`th percentile of `values`, nearest rank (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

/** Formats milliseconds with one decimal. */
export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Formats a ratio such as `1.04x`. */
export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}

/** Formats a bytes count in MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Returns `yes` or `no`. */
export function yesNo(met: boolean): string {
  return met ? "yes" : "no";
}

/** The rows as a markdown table. */
export function markdownTable(rows: readonly Row[]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [
    "| # | scenario | target | measured | ratio | met? |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${[r.id, r.scenario, r.target, r.measured, r.ratio, r.met].map(escape).join(" | ")} |`
    ),
  ];
  return lines.join("\n");
}

/** The machine and runtime a run measured, one markdown list item each. */
export async function machineDetails(mode: string): Promise<string> {
  const meminfo = await readProcFile("/proc/meminfo").catch(() => "");
  const cpuinfo = await readProcFile("/proc/cpuinfo").catch(() => "");
  const memKiB = Number(meminfo.match(/MemTotal:\s+(\d+)/)?.[1] ?? NaN);
  const cpu = cpuinfo.match(/model name\s*:\s*(.+)/)?.[1] ?? Deno.build.arch;
  return [
    `- date: ${new Date().toISOString()} (${mode} run)`,
    `- commit: ${await gitCommit()}`,
    `- CPUs (nproc): ${navigator.hardwareConcurrency}, ${cpu}`,
    `- memory: ${(memKiB / 1024 / 1024).toFixed(1)} GiB`,
    `- deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.os}`,
  ].join("\n");
}

const BEGIN = "<!-- bench:begin (written by `deno task bench`) -->";
const END = "<!-- bench:end -->";

/** Returns `document` with the text between the bench markers replaced by `generated`. */
export function replaceGenerated(document: string, generated: string): string {
  const block = `${BEGIN}\n${generated}\n${END}`;
  const start = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (start < 0 || end < start) return `# Benchmark results\n\n${block}\n${document}`;
  return document.slice(0, start) + block + document.slice(end + END.length);
}

/**
 * Returns the text of a file under `/proc` (Linux). Deno grants `/proc` only
 * with `--allow-all`, so it is read through `cat`, which `--allow-run` allows.
 */
export async function readProcFile(path: string): Promise<string> {
  const { success, stdout } = await new Deno.Command("cat", { args: [path], stderr: "null" })
    .output();
  if (!success) throw new Error(`Could not read ${path}: run the benchmark on Linux`);
  return new TextDecoder().decode(stdout);
}

async function gitCommit(): Promise<string> {
  try {
    const { stdout } = await new Deno.Command("git", {
      args: ["log", "-1", "--format=%h (%cs)"],
      stderr: "null",
    }).output();
    return new TextDecoder().decode(stdout).trim() || "unknown";
  } catch {
    return "unknown";
  }
}

/** The resident set size of process `pid` in bytes, from `/proc/<pid>/status`. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readProcFile(`/proc/${pid}/status`);
  const kib = status.match(/VmRSS:\s+(\d+)\s+kB/)?.[1];
  if (kib === undefined) throw new Error(`No VmRSS in /proc/${pid}/status: run on Linux`);
  return Number(kib) * 1024;
}
