/**
 * The permission flags of `deno task start`, read from `deno.json`, the one place they are written.
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

export function permissionFlagsOf(command: string): string[] {
  return command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

export const PERMISSION_FLAGS: readonly string[] = permissionFlagsOf(
  denoConfig.tasks.start.command,
);

/** The variables `--allow-env` names; `CAS_SESSION_*` allows every name it starts. */
export const ALLOWED_ENV: readonly string[] = PERMISSION_FLAGS
  .flatMap((flag) => flag.startsWith("--allow-env=") ? flag.slice(12).split(",") : []);

/** The fixed variables; the proxy and CA ones are read only for `doctor` to report. */
export const ENV_VARS: readonly string[] = ALLOWED_ENV.filter((name) => !name.endsWith("*"));

/** Prefixes of the variables named after a region, such as `CAS_SESSION_`. */
export const REGIONAL_ENV_PREFIXES: readonly string[] = ALLOWED_ENV
  .filter((name) => name.endsWith("*")).map((name) => name.slice(0, -1));
