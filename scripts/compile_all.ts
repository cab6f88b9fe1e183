/**
 * `deno task compile:all`: builds the binary for every platform a release
 * ships, from the `compile` task's own command line, so both always grant the
 * same permissions. `deno compile` reads `DENORT_BIN` itself and puts that one
 * runtime in whatever `--target` asks for, so with `DENORT_BIN` set exactly one
 * platform must be named.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** The platforms of a release, by the suffix of their binary's name, with their compile target. */
export const PLATFORMS = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
} as const;

/** One of {@linkcode PLATFORMS}. */
export type Platform = keyof typeof PLATFORMS;

/** A command line this script cannot build from; the message says what to change. */
export class CompileAllError extends Error {
  override name = "CompileAllError";
}

/** Options for {@linkcode planBuilds}. */
export interface PlanOptions {
  /** Platforms named on the command line; none means all of them. */
  readonly platforms?: readonly string[];
  /** The value of `DENORT_BIN`, if set. */
  readonly denortBin?: string;
}

/**
 * Returns the `deno` arguments that build each platform's binary: the
 * `compile` task's command with `--target` added and the output renamed to
 * `dist/byted-live-promotion-<platform>[.exe]`.
 */
export function planBuilds(compileTask: string, options: PlanOptions = {}): string[][] {
  const platforms = selectPlatforms(options.platforms ?? []);
  if (options.denortBin && platforms.length !== 1) {
    throw new CompileAllError(
      "DENORT_BIN holds the runtime of one platform and deno compile would put it in every binary: name that platform, such as `deno task compile:all linux-x64`",
    );
  }
  const words = compileTask.trim().split(/\s+/);
  const output = words.indexOf("--output");
  if (words[0] !== "deno" || words[1] !== "compile" || output < 0) {
    throw new CompileAllError(
      "The compile task must read `deno compile ... --output dist/byted-live-promotion main.ts`: restore that shape in deno.json",
    );
  }
  return platforms.map((platform) => {
    const suffix = platform.startsWith("windows") ? ".exe" : "";
    const args = words.slice(1);
    args.splice(output - 1, 2, "--output", `dist/byted-live-promotion-${platform}${suffix}`);
    args.splice(1, 0, "--target", PLATFORMS[platform]);
    return args;
  });
}

function selectPlatforms(names: readonly string[]): Platform[] {
  const known = Object.keys(PLATFORMS) as Platform[];
  if (names.length === 0) return known;
  for (const name of names) {
    if (!(known as string[]).includes(name)) {
      throw new CompileAllError(
        `Unknown platform "${name}": name one or more of ${known.join(", ")}, or none for all`,
      );
    }
  }
  return names as Platform[];
}

async function main(args: readonly string[]): Promise<number> {
  let builds;
  try {
    builds = planBuilds(denoConfig.tasks.compile.command, {
      platforms: args,
      denortBin: Deno.env.get("DENORT_BIN"),
    });
  } catch (error) {
    if (!(error instanceof CompileAllError)) throw error;
    console.error(`compile:all: ${error.message}`);
    return 2;
  }
  for (const build of builds) {
    const { code } = await new Deno.Command(Deno.execPath(), { args: build }).spawn().status;
    if (code !== 0) return code;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
