/**
 * The CI and release workflows do what the README and CONTRIBUTING promise:
 * `deno task ok` and the smoke test on Linux, macOS and Windows; a release
 * that checks the tag and runs the tests before building, smoke-tests every
 * binary on its own OS, and publishes only after all of that.
 *
 * @module
 */

import assert from "node:assert/strict";
import { planBuilds } from "../scripts/compile_all.ts";
import { readYaml, runToolTask } from "./dev_tools.ts";

interface Step {
  readonly run?: string;
  readonly uses?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly "runs-on": string;
  readonly if?: string;
  readonly strategy?: { matrix: { os?: string[]; include?: Record<string, string>[] } };
  readonly steps: Step[];
}
interface Workflow {
  readonly jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return await readYaml(`.github/workflows/${name}`) as Workflow;
}

function runs(job: Job): string[] {
  return job.steps.flatMap((step) => step.run ?? []);
}

function needs(job: Job): string[] {
  return job.needs === undefined ? [] : [job.needs].flat();
}

Deno.test("the workflow check refuses a job with an unknown key and accepts both workflows", async () => {
  const bad = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n";
  const refused = await runToolTask("workflows", {
    args: ["--stdin"],
    stdin: JSON.stringify([{ name: "bad.yml", text: bad }]),
  });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    refused.stderr,
    /^\.github\/workflows\/bad\.yml: \/jobs\/a: .*'stepz' is not allowed/m,
  );
  const shipped = await Promise.all(["ci.yml", "release.yml"].map(async (name) => ({
    name,
    text: await Deno.readTextFile(new URL(`../.github/workflows/${name}`, import.meta.url)),
  })));
  const accepted = await runToolTask("workflows", {
    args: ["--stdin"],
    stdin: JSON.stringify(shipped),
  });
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.doesNotMatch(accepted.stderr, /\.github\/workflows\//);
});

Deno.test("CI runs deno task ok and the smoke test on Linux, macOS and Windows, with Deno's cache", async () => {
  const { jobs } = await workflow("ci.yml");
  const job = jobs.ok;
  assert.deepEqual(job!.strategy?.matrix.os, ["ubuntu-latest", "macos-latest", "windows-latest"]);
  assert.equal(job!["runs-on"], "${{ matrix.os }}");
  const setup = job!.steps.find((step) => step.uses?.startsWith("denoland/setup-deno@"));
  assert.equal(setup?.with?.cache, true);
  // Linux runs both through .ci/run, with the conformance suite.
  const ciRun = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  assert.match(ciRun, /deno task ok/);
  assert.match(ciRun, /deno task smoke/);
  const byOs = (os: string) =>
    job!.steps.filter((step) => !step.if || step.if.includes(os === "Linux" ? "== 'Linux'" : "!="))
      .flatMap((step) => step.run ?? []);
  assert.ok(byOs("Linux").includes("bash .ci/run"));
  for (const command of ["deno task ok", "deno task smoke"]) {
    assert.ok(byOs("Windows").includes(command), `${command} on macOS and Windows`);
  }
});

Deno.test("a release checks the tag and runs deno task ok before any binary is built", async () => {
  const { jobs } = await workflow("release.yml");
  const check = runs(jobs.check!);
  const tagCheck = check.findIndex((run) => run.includes("scripts/release_notes.ts"));
  assert.ok(tagCheck >= 0 && check.indexOf("deno task ok") > tagCheck);
  assert.match(check[tagCheck]!, /"\$\{\{ github\.ref_name \}\}" > release-notes\.md/);
  assert.deepEqual(needs(jobs.build!), ["check"]);
});

Deno.test("a release builds and smoke-tests each binary on its own OS before publishing", async () => {
  const { jobs } = await workflow("release.yml");
  const build = runs(jobs.build!);
  const compile = build.findIndex((run) => run.startsWith("deno task compile:all"));
  const smoke = build.findIndex((run) => run.startsWith("deno task smoke dist/"));
  assert.ok(compile >= 0 && smoke > compile, "smoke after compile, on the same runner");
  const oses = jobs.build!.strategy?.matrix.include?.map((entry) => entry.os) ?? [];
  for (const os of ["ubuntu", "macos", "windows"]) {
    assert.ok(oses.some((name) => name!.startsWith(os)), `a ${os} runner`);
  }
  assert.deepEqual(needs(jobs.release!).sort(), ["build", "check"]);
  assert.match(jobs.release!.if ?? "", /refs\/tags\//);
  const publish = jobs.release!.steps.find((step) => step.uses?.startsWith("softprops/"));
  assert.equal(publish?.with?.body_path, "release-notes.md");
});

Deno.test("a release builds every binary compile:all builds, one runner each, and attaches them with SHA256SUMS", async () => {
  const { jobs } = await workflow("release.yml");
  const matrix = jobs.build!.strategy?.matrix.include ?? [];
  const outputOf = (args: string[]) => args[args.indexOf("--output") + 1];
  assert.deepEqual(
    matrix.map(({ platform }) => planBuilds({ platforms: [platform!] })[0]!),
    planBuilds(),
    "one runner per platform, in compile:all's order",
  );
  assert.deepEqual(matrix.map(({ binary }) => `dist/${binary}`), planBuilds().map(outputOf));
  const build = runs(jobs.build!);
  assert.ok(build.includes("deno task compile:all ${{ matrix.platform }}"));
  assert.ok(build.includes("deno task smoke dist/${{ matrix.binary }}"));
  const release = runs(jobs.release!).join("\n");
  assert.match(release, /sha256sum byted-live-promotion-\* > SHA256SUMS/);
  const publish = jobs.release!.steps.find((step) => step.uses?.startsWith("softprops/"));
  assert.match(String(publish?.with?.files), /dist\/SHA256SUMS/);
});
