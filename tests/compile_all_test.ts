import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { CompileAllError, planBuilds, PLATFORMS } from "../scripts/compile_all.ts";
import { permissionFlagsOf } from "../src/permissions.ts";

const START = denoConfig.tasks.start.command;

function valueAfter(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

Deno.test("compile:all builds every release platform with exactly the start task's permissions", () => {
  const builds = planBuilds();
  assert.deepEqual(builds.map((args) => valueAfter(args, "--target")), Object.values(PLATFORMS));
  assert.deepEqual(builds.map((args) => valueAfter(args, "--output")), [
    "dist/byted-live-promotion-linux-x64",
    "dist/byted-live-promotion-linux-arm64",
    "dist/byted-live-promotion-macos-x64",
    "dist/byted-live-promotion-macos-arm64",
    "dist/byted-live-promotion-windows-x64.exe",
  ]);
  for (const args of builds) {
    assert.equal(args[0], "compile");
    assert.equal(args.at(-1), "main.ts");
    assert.deepEqual(permissionFlagsOf(args.join(" ")), permissionFlagsOf(START));
  }
});

Deno.test("deno task compile builds this machine's binary with exactly the start task's permissions", () => {
  const task = denoConfig.tasks.compile.command;
  assert.match(task, /^deno run .*scripts\/compile_all\.ts host$/);
  assert.deepEqual(planBuilds({ platforms: ["host"] }), [
    ["compile", ...permissionFlagsOf(START), "--output", "dist/byted-live-promotion", "main.ts"],
  ]);
});

Deno.test("compile:all builds only the platforms it is given, and rejects an unknown one", () => {
  const builds = planBuilds({ platforms: ["macos-arm64"] });
  assert.deepEqual(builds.map((args) => valueAfter(args, "--target")), ["aarch64-apple-darwin"]);
  assert.throws(
    () => planBuilds({ platforms: ["macos-arm"] }),
    (error) =>
      error instanceof CompileAllError && /Unknown platform "macos-arm"/.test(error.message),
  );
});

Deno.test("compile:all with DENORT_BIN builds the one platform named, since that runtime fits only it", () => {
  assert.throws(
    () => planBuilds({ denortBin: "/opt/denort" }),
    (error) => error instanceof CompileAllError && /name that platform/.test(error.message),
  );
  assert.equal(planBuilds({ denortBin: "/opt/denort", platforms: ["linux-x64"] }).length, 1);
});

Deno.test("compile and compile:all are run by their tasks with only the permissions they need", () => {
  for (const name of ["compile", "compile:all"] as const) {
    const task = denoConfig.tasks[name].command;
    assert.match(task, /^deno run .*scripts\/compile_all\.ts\b/);
    assert.deepEqual(permissionFlagsOf(task), [
      "--allow-read",
      "--allow-run",
      "--allow-env=DENORT_BIN",
    ]);
  }
});
