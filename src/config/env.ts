/**
 * The environment variables the server reads, and how the configuration
 * reads them: by name, on demand, never all at once.
 *
 * @module
 */

import { ALLOWED_ENV } from "../permission_flags.ts";

/**
 * Environment variables the server reads, as `deno task start` allows them; nothing else is
 * read. Deno's fetch applies the proxy and CA variables itself: they are read only for `doctor`
 * to report them.
 */
export const ENV_VARS: readonly string[] = ALLOWED_ENV.filter((name) => !name.endsWith("*"));

/** One of {@linkcode ENV_VARS}. */
export type EnvVar = string;
/** Prefixes of the variables named after a region, such as `CAS_SESSION_us`. */
export const REGIONAL_ENV_PREFIXES: readonly string[] = ALLOWED_ENV
  .filter((name) => name.endsWith("*")).map((name) => name.slice(0, -1));

/** A variable named after a region, such as `SERVICE_ACCOUNT_SECRET_eu`. */
export type RegionalEnvVar = string;

/** The environment as the config sees it, as a record (tests) or read on demand (main). */
export type Env = Partial<Record<EnvVar | RegionalEnvVar, string>> | EnvReader;

/** Reads one variable, such as `(name) => Deno.env.get(name)`; only known names are asked for. */
export type EnvReader = (name: EnvVar | RegionalEnvVar) => string | undefined;

/** Returns `env` as an {@linkcode EnvReader}. */
export function envReaderOf(env: Env): EnvReader {
  return typeof env === "function" ? env : (name) => env[name];
}

/** Returns `value` trimmed, or `undefined` when that leaves nothing: an empty variable is unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
