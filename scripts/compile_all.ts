/**
 * `deno task compile:all [PLATFORM...]`: builds the binary for every platform
 * a release ships, or those named; `deno task compile` names `host`, this
 * machine. Each binary gets the permission flags of `deno task start`, so the
 * two always grant the same. `deno compile` reads `DENORT_BIN` itself and puts
 * that one runtime in whatever `--target` asks for, so with `DENORT_BIN` set
 * exactly one platform must be named.
 *
 * @module
 */

import { PERMISSION_FLAGS } from "../src/permissions.ts";

/** The platforms of a release, by the suffix of their binary's name, with their compile target. */
export const PLATFORMS = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
} as const;

/** One of {@linkcode PLATFORMS}, or `host`: this machine, whose binary is `dist/byted-live-promotion`. */
export type Platform = keyof typeof PLATFORMS | "host";

/** Platforms this script cannot build as asked; the message says what to name instead. */
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
 * Returns the `deno` arguments that build each platform's binary, with the
 * start task's permission flags, into `dist/byted-live-promotion-<platform>[.exe]`
 * (`dist/byted-live-promotion` for `host`).
 */
export function planBuilds(options: PlanOptions = {}): string[][] {
  const platforms = selectPlatforms(options.platforms ?? []);
  if (options.denortBin && platforms.length !== 1) {
    throw new CompileAllError(
      "DENORT_BIN holds the runtime of one platform and deno compile would put it in every binary: name that platform, such as `deno task compile:all linux-x64`",
    );
  }
  return platforms.map((platform) => [
    "compile",
    ...(platform === "host" ? [] : ["--target", PLATFORMS[platform]]),
    ...PERMISSION_FLAGS,
    "--output",
    outputOf(platform),
    "main.ts",
  ]);
}

function outputOf(platform: Platform): string {
  if (platform === "host") return "dist/byted-live-promotion";
  return `dist/byted-live-promotion-${platform}${platform.startsWith("windows") ? ".exe" : ""}`;
}

function selectPlatforms(names: readonly string[]): Platform[] {
  const released = Object.keys(PLATFORMS) as Platform[];
  if (names.length === 0) return released;
  for (const name of names) {
    if (name !== "host" && !(released as string[]).includes(name)) {
      throw new CompileAllError(
        `Unknown platform "${name}": name one or more of ${
          released.join(", ")
        } or host (this machine), or none for all but host`,
      );
    }
  }
  return names as Platform[];
}

async function main(args: readonly string[]): Promise<number> {
  let builds;
  try {
    builds = planBuilds({
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
