/**
 * The permission flags the server runs with, read from the `start` task of
 * `deno.json`: the one place they are written. `deno task compile` gives the
 * binary the same flags, the configuration reads only the variables they
 * allow, and the permission checks name what is missing from them.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** Returns the `--allow-*` flags of a command line such as a task of `deno.json`. */
export function permissionFlagsOf(command: string): string[] {
  return command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

/** The permission flags of `deno task start`, which the compiled binary gets too. */
export const PERMISSION_FLAGS: readonly string[] = permissionFlagsOf(
  denoConfig.tasks.start.command,
);

/**
 * The environment variables {@linkcode PERMISSION_FLAGS} allow, in their
 * order; a name ending in `*` (`CAS_SESSION_*`) allows every name it starts.
 */
export const ALLOWED_ENV: readonly string[] = PERMISSION_FLAGS
  .flatMap((flag) => flag.startsWith("--allow-env=") ? flag.slice(12).split(",") : []);
