/**
 * The environment variables the server reads, and how the configuration
 * reads them: by name, on demand, never all at once.
 *
 * @module
 */

/** Environment variables the server reads; nothing else is read. */
export const ENV_VARS = [
  "CAS_SESSION",
  "MCP_PORT",
  "MCP_HOST",
  "LOG_LEVEL",
  "DEMO",
  "JWT_AUTH_URL",
  "NEPTUNE_REGIONS",
  "UPSTREAM_TIMEOUT_MS",
  "MCP_AUTH_TOKEN",
  "MCP_STATELESS",
  "CACHE_TTL",
  "MCP_CONCURRENCY",
  "MCP_CACHE_MAX_MB",
  "MCP_DRAIN_DELAY",
  "MCP_CONFIG",
  "SERVICE_ACCOUNT_SECRET",
  // Deno's fetch applies these itself; they are read only for `doctor` to report them.
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "DENO_TLS_CA_STORE",
  "DENO_CERT",
  "NODE_EXTRA_CA_CERTS",
] as const;

/** One of {@linkcode ENV_VARS}. */
export type EnvVar = typeof ENV_VARS[number];
/** Prefixes of the variables named after a region, such as `CAS_SESSION_us`. */
export const REGIONAL_ENV_PREFIXES = ["CAS_SESSION_", "SERVICE_ACCOUNT_SECRET_"] as const;

/** A variable named after a region, such as `SERVICE_ACCOUNT_SECRET_eu`. */
export type RegionalEnvVar = `${typeof REGIONAL_ENV_PREFIXES[number]}${string}`;

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
