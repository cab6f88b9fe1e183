/**
 * The checks and parsers of single option values, shared by flags, the
 * environment and the config file; each failure is a {@linkcode ConfigError}
 * whose message names the option and what it accepts.
 *
 * @module
 */

import { Secret } from "../secret.ts";

/** Log levels accepted by `--log-level` and `LOG_LEVEL`, lower-cased. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** A bad flag or environment value; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Log levels as written by users, any case, to the level they mean. */
export const LOG_LEVELS = {
  debug: "debug",
  info: "info",
  warning: "warning",
  warn: "warning",
  error: "error",
} as const;

/** The longest `--timeout` accepted, in milliseconds. */
const MAX_TIMEOUT_MS = 600_000;

/** The longest `--cache-ttl` accepted, in seconds. */
const MAX_CACHE_TTL_SECONDS = 86_400;

/** The most `--concurrency` accepted. */
const MAX_CONCURRENCY = 256;

/** The largest `--cache-max-mb` accepted: 16 GiB. */
const MAX_CACHE_MB = 16_384;
/** The most `--max-sessions` (and `--max-sessions-per-client`) accepted. */
const MAX_SESSIONS = 100_000;
/** The longest `--drain-delay` accepted, in seconds. */
const MAX_DRAIN_DELAY_SECONDS = 600;

/**
 * Returns why `raw` is not an absolute http(s) URL without embedded
 * credentials, as a fragment such as `not a URL`, or `undefined` when it is one.
 */
export function httpUrlProblem(raw: string): string | undefined {
  if (!URL.canParse(raw.trim())) return "not a URL";
  const url = new URL(raw.trim());
  if (url.protocol !== "http:" && url.protocol !== "https:") return "not an http or https URL";
  if (url.username || url.password) {
    return "a URL must not embed a user name or password, credentials go in the environment";
  }
  return undefined;
}

/** Returns why `raw` cannot be a host to bind, or `undefined` when it can. */
export function hostProblem(raw: string): string | undefined {
  const host = raw.trim();
  return host === "" || /[\s/]/.test(host)
    ? "expected a host name or IP address such as localhost or 0.0.0.0"
    : undefined;
}

/** Returns `raw` trimmed, without the brackets a URL puts around an IPv6 address. */
export function bareHost(raw: string): string {
  // `[::1]` is how a URL spells the address; Deno.serve and the announced URL want it bare.
  return raw.trim().replace(/^\[(.*)\]$/, "$1");
}

/** Returns why `raw` is not an http(s) origin, or `undefined` when it is one. */
export function originProblem(raw: string): string | undefined {
  const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : undefined;
  return url && (url.protocol === "http:" || url.protocol === "https:")
    ? undefined
    : "expected an origin such as https://app.example";
}

/** An integer option: its flag, its environment variable if any, its range and what the number means. */
export interface IntegerOption {
  readonly flag: string;
  readonly env?: string;
  readonly min: number;
  readonly max: number;
  readonly hint: string;
}

/** The integer options, by the name `Config` gives them. */
export const INTEGER_OPTIONS = {
  port: { flag: "--port", env: "MCP_PORT", min: 0, max: 65_535, hint: "0 picks a free port" },
  timeoutMs: {
    flag: "--timeout",
    env: "UPSTREAM_TIMEOUT_MS",
    min: 1,
    max: MAX_TIMEOUT_MS,
    hint: "milliseconds",
  },
  cacheTtl: {
    flag: "--cache-ttl",
    env: "CACHE_TTL",
    min: 0,
    max: MAX_CACHE_TTL_SECONDS,
    hint: "seconds, 0 disables the cache",
  },
  concurrency: {
    flag: "--concurrency",
    env: "MCP_CONCURRENCY",
    min: 1,
    max: MAX_CONCURRENCY,
    hint: "registry requests in flight per region",
  },
  cacheMaxMb: {
    flag: "--cache-max-mb",
    env: "MCP_CACHE_MAX_MB",
    min: 1,
    max: MAX_CACHE_MB,
    hint: "MiB the cached answers may hold",
  },
  maxSessions: {
    flag: "--max-sessions",
    min: 1,
    max: MAX_SESSIONS,
    hint: "sessions open at once, /mcp and /sse together",
  },
  maxSessionsPerClient: {
    flag: "--max-sessions-per-client",
    min: 1,
    max: MAX_SESSIONS,
    hint: "sessions open at once for one bearer token or client address",
  },
  drainDelay: {
    flag: "--drain-delay",
    env: "MCP_DRAIN_DELAY",
    min: 0,
    max: MAX_DRAIN_DELAY_SECONDS,
    hint: "seconds /ready answers 503 before the server stops accepting",
  },
} as const satisfies Record<string, IntegerOption>;

/**
 * Returns `option`'s value from its flag, else its environment variable, or
 * `undefined` when neither is given.
 */
export function parseIntegerOption(
  flag: string | undefined,
  env: string | undefined,
  option: IntegerOption,
): number | undefined {
  const [raw, source] = flagOrEnv(flag, env, option);
  if (raw === undefined) return undefined;
  return parseInteger(raw, source, option);
}

/**
 * Returns the flag's value when given, else the variable's, with the name of
 * the one used, for error messages.
 */
export function flagOrEnv(
  flag: string | undefined,
  env: string | undefined,
  names: { flag: string; env?: string },
): [raw: string | undefined, source: string] {
  return flag !== undefined ? [flag, names.flag] : [env, names.env ?? names.flag];
}

function parseInteger(
  raw: string,
  source: string,
  { min, max, hint }: { min: number; max: number; hint: string },
): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected a whole number from ${min} to ${max} (${hint})`,
    );
  }
  return value;
}

/** Returns the host to bind from `--host` or `MCP_HOST`, without IPv6 brackets. */
export function parseHost(flag: string | undefined, env: string | undefined): string | undefined {
  const [raw, source] = flagOrEnv(flag, env, { flag: "--host", env: "MCP_HOST" });
  if (raw === undefined) return undefined;
  const problem = hostProblem(raw);
  if (problem) throw new ConfigError(`Invalid ${source} "${raw}": ${problem}`);
  return bareHost(raw);
}

/** Returns `raw` as an origin such as `https://app.example`, for `--allowed-origin`. */
export function parseOrigin(raw: string): string {
  const problem = originProblem(raw);
  if (problem) throw new ConfigError(`Invalid --allowed-origin "${raw}": ${problem}`);
  return new URL(raw.trim()).origin;
}

// The token is never echoed: it is a credential.
/** Returns the bearer token HTTP clients must send, from `--auth-token` or `MCP_AUTH_TOKEN`. */
export function parseAuthToken(
  flag: string | undefined,
  env: string | undefined,
): Secret | undefined {
  const [raw, source] = flagOrEnv(flag, env, { flag: "--auth-token", env: "MCP_AUTH_TOKEN" });
  const token = raw?.trim();
  if (raw === undefined || (token === "" && source === "MCP_AUTH_TOKEN")) return undefined;
  if (!token || /\s/.test(token)) {
    throw new ConfigError(
      `Invalid ${source}: expected one word without spaces, such as the output of openssl rand -hex 32`,
    );
  }
  return new Secret(token);
}

/** Returns the log level from `--log-level` or `LOG_LEVEL`, any case. */
export function parseLogLevel(
  flag: string | undefined,
  env: string | undefined,
): LogLevel | undefined {
  const [raw, source] = flagOrEnv(flag, env, { flag: "--log-level", env: "LOG_LEVEL" });
  if (raw === undefined) return undefined;
  const level: LogLevel | undefined =
    LOG_LEVELS[raw.trim().toLowerCase() as keyof typeof LOG_LEVELS];
  if (!level) {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected DEBUG, INFO, WARNING or ERROR (any case)`,
    );
  }
  return level;
}

/** Returns `raw` as a boolean (`1`, `true`, `yes`, `on` and their opposites), or `undefined` when unset. */
export function parseBoolean(source: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(`Invalid ${source} "${raw}": expected 1 or 0 (true or false)`);
}

/** Returns `raw` as an absolute http(s) URL without credentials; `source` names the option in errors. */
export function parseHttpUrl(
  raw: string,
  { source, example }: { source: string; example: string },
) {
  const problem = httpUrlProblem(raw);
  if (problem === "not a URL") {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected an absolute http(s) URL such as ${example}`,
    );
  }
  if (problem === "not an http or https URL") {
    throw new ConfigError(`Invalid ${source} "${raw}": expected an http or https URL`);
  }
  if (problem) {
    // The URL is not echoed: it embeds a credential.
    throw new ConfigError(
      `Invalid ${source}: a URL must not embed a user name or password, pass credentials through CAS_SESSION`,
    );
  }
  return new URL(raw.trim()).href;
}
