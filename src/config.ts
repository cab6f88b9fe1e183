/**
 * Every option of the server, from flags, environment and defaults (in that
 * order of precedence), validated up front into one typed {@linkcode Config}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { isLoopback } from "./http/guards.ts";
import { Secret } from "./secret.ts";

/** Log levels accepted by `--log-level` and `LOG_LEVEL`, lower-cased. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** One Neptune registry that searches are sent to. */
export interface Region {
  /** Short name shown to users, such as `cn`. */
  readonly name: string;
  /** Base URL without a trailing slash, such as `https://ms-neptune.byted.org`. */
  readonly baseUrl: string;
}

/** The validated configuration of one server process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly transport: "http" | "stdio";
  /** Answer every upstream call from the built-in sample catalogue. */
  readonly demo: boolean;
  readonly authUrl: string;
  readonly regions: readonly Region[];
  /** Limit for each upstream request, in milliseconds. */
  readonly timeoutMs: number;
  /** How long a region's answer is served from the cache, in milliseconds; 0 disables it. */
  readonly cacheTtlMs: number;
  /** Registry requests in flight per region, across every call. */
  readonly concurrency: number;
  /** The SSO session cookie; absent means the tools explain how to set it. */
  readonly casSession?: Secret;
  /** The bearer token HTTP clients must send; required to serve beyond loopback. */
  readonly authToken?: Secret;
  /** Serve beyond loopback without a token (something else guards the server). */
  readonly noAuth: boolean;
  /** Origins whose pages may call the HTTP server, on top of loopback and the Host itself. */
  readonly allowedOrigins: readonly string[];
  /** Host names the HTTP server answers to on top of loopback names. */
  readonly allowedHosts: readonly string[];
  /** Serve `/mcp` without sessions, for several instances behind a load balancer. */
  readonly stateless: boolean;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: "serve"; readonly config: Config }
  | { readonly kind: "help" }
  | { readonly kind: "version" };

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
] as const;

/** One of {@linkcode ENV_VARS}. */
export type EnvVar = typeof ENV_VARS[number];

/** The environment as the config sees it. */
export type Env = Partial<Record<EnvVar, string>>;

/** Default values, also shown by `--help`. */
export const DEFAULTS = {
  port: 8123,
  host: "localhost",
  logLevel: "info",
  authUrl: "https://cloud.bytedance.net/auth/api/v1/jwt",
  regions: "cn=https://ms-neptune.byted.org,us=https://ms-neptune.tiktok-us.org",
  timeoutMs: 10_000,
  cacheTtlSeconds: 60,
  concurrency: 8,
} as const;

const MAX_TIMEOUT_MS = 600_000;
const MAX_CACHE_TTL_SECONDS = 86_400;
const MAX_CONCURRENCY = 256;
const LOG_LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  warning: "warning",
  warn: "warning",
  error: "error",
};

/** The text printed by `--help`. */
export const USAGE = `byted-live-promotion: an MCP server that finds PSMs in the Neptune registry

Usage:
  byted-live-promotion [options]

Options:
  --port N             HTTP port, 0 picks a free one      env MCP_PORT      default ${DEFAULTS.port}
  --host H             address to bind                    env MCP_HOST      default ${DEFAULTS.host}
  --log-level L        DEBUG, INFO, WARNING or ERROR      env LOG_LEVEL     default INFO
  --stdio              serve MCP over stdin/stdout instead of HTTP
                       (without it, a piped stdin is served beside HTTP)
  --demo               answer from the built-in demo catalogue, no credentials needed   env DEMO=1
  --auth-url URL       JWT endpoint                       env JWT_AUTH_URL
                       default ${DEFAULTS.authUrl}
  --region NAME=URL    a Neptune region, repeatable       env NEPTUNE_REGIONS=cn=URL,us=URL
                       default ${DEFAULTS.regions}
  --timeout MS         limit per upstream request         env UPSTREAM_TIMEOUT_MS  default ${DEFAULTS.timeoutMs}
  --auth-token T       bearer token HTTP clients must send; required on any host but loopback
                       (prefer the environment: flags show in ps)   env MCP_AUTH_TOKEN
  --no-auth            serve a non-loopback host without a token (something else must guard it)
  --allowed-origin O   also accept browser pages from origin O, repeatable (https://app.example)
  --allowed-host H     also answer to Host name H, repeatable (the name a reverse proxy forwards)
  --stateless          serve /mcp without sessions, for instances behind a load balancer
                       env MCP_STATELESS=1
  --cache-ttl SECONDS  serve a region's answer from the cache this long, 0 disables
                                                          env CACHE_TTL     default ${DEFAULTS.cacheTtlSeconds}
  --concurrency N      registry requests in flight per region
                                                          env MCP_CONCURRENCY  default ${DEFAULTS.concurrency}
  --help               print this help and exit
  --version            print the version and exit

Credentials:
  CAS_SESSION          your SSO session cookie (copy it from the browser after signing in)

Endpoints (HTTP): /mcp (streamable HTTP), /health
`;

/** A bad flag or environment value; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads {@linkcode ENV_VARS} through `get`, such as `(name) => Deno.env.get(name)`. */
export function readEnv(get: (name: EnvVar) => string | undefined): Env {
  const env: Env = {};
  for (const name of ENV_VARS) {
    const value = get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Parses command-line `args` and `env` into a {@linkcode Command}.
 *
 * @throws {ConfigError} when a flag or variable is unknown or out of range.
 */
export function parseCommand(args: readonly string[], env: Env): Command {
  const flags = parseFlags(args);
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const envValue = (name: EnvVar) => nonEmpty(env[name]);
  const demo = flags.demo || parseBoolean("DEMO", envValue("DEMO"));

  const config: Config = {
    port: parsePort(flags.port, envValue("MCP_PORT")),
    host: parseHost(flags.host, envValue("MCP_HOST")),
    logLevel: parseLogLevel(flags["log-level"], envValue("LOG_LEVEL")),
    transport: flags.stdio ? "stdio" : "http",
    demo,
    authUrl: parseHttpUrl(flags["auth-url"] ?? envValue("JWT_AUTH_URL") ?? DEFAULTS.authUrl, {
      source: flags["auth-url"] !== undefined ? "--auth-url" : "JWT_AUTH_URL",
      example: DEFAULTS.authUrl,
    }),
    regions: flags.region?.length ? parseRegions(flags.region, "--region") : parseRegions(
      (envValue("NEPTUNE_REGIONS") ?? DEFAULTS.regions).split(","),
      "NEPTUNE_REGIONS",
    ),
    timeoutMs: parseTimeout(flags.timeout, envValue("UPSTREAM_TIMEOUT_MS")),
    cacheTtlMs: parseCacheTtl(flags["cache-ttl"], envValue("CACHE_TTL")) * 1000,
    concurrency: parseConcurrency(flags.concurrency, envValue("MCP_CONCURRENCY")),
    // Demo mode never sends the cookie, so a malformed one does not stop it.
    casSession: parseCasSession(env.CAS_SESSION, { validate: !demo }),
    authToken: parseAuthToken(flags["auth-token"], env.MCP_AUTH_TOKEN),
    noAuth: flags["no-auth"],
    allowedOrigins: (flags["allowed-origin"] ?? []).map(parseOrigin),
    allowedHosts: (flags["allowed-host"] ?? []).map((host) => parseHost(host, undefined)),
    stateless: flags.stateless || parseBoolean("MCP_STATELESS", envValue("MCP_STATELESS")),
  };
  requireTokenBeyondLoopback(config);
  return { kind: "serve", config };
}

function parseFlags(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "log-level": { type: "string" },
        stdio: { type: "boolean", default: false },
        demo: { type: "boolean", default: false },
        "auth-url": { type: "string" },
        region: { type: "string", multiple: true },
        timeout: { type: "string" },
        "auth-token": { type: "string" },
        "no-auth": { type: "boolean", default: false },
        "allowed-origin": { type: "string", multiple: true },
        "allowed-host": { type: "string", multiple: true },
        stateless: { type: "boolean", default: false },
        "cache-ttl": { type: "string" },
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    }).values;
  } catch (error) {
    throw new ConfigError(describeFlagError(error), { cause: error });
  }
}

function describeFlagError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `Unknown option ${unknown[1]}: run with --help to see the accepted options`;
  // The value is not echoed: it may be a cookie pasted in the wrong place.
  if (/Unexpected argument/.test(message)) {
    return "Unexpected argument: options take the form --name value, see --help";
  }
  const missing = message.match(/Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/);
  if (missing) return `Option ${missing[1]} needs a value: see --help`;
  const ambiguous = message.match(
    /Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument is ambiguous/,
  );
  if (ambiguous) {
    return `Option ${ambiguous[1]} needs a value; write ${
      ambiguous[1]
    }=VALUE for one that starts with "-"`;
  }
  return `${message.split("\n")[0].replace(/\.$/, "")}: see --help`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parsePort(flag: string | undefined, env: string | undefined): number {
  const [raw, source] = flag !== undefined ? [flag, "--port"] : [env, "MCP_PORT"];
  if (raw === undefined) return DEFAULTS.port;
  return parseInteger(raw, source, { min: 0, max: 65_535, hint: "0 picks a free port" });
}

function parseTimeout(flag: string | undefined, env: string | undefined): number {
  const [raw, source] = flag !== undefined ? [flag, "--timeout"] : [env, "UPSTREAM_TIMEOUT_MS"];
  if (raw === undefined) return DEFAULTS.timeoutMs;
  return parseInteger(raw, source, { min: 1, max: MAX_TIMEOUT_MS, hint: "milliseconds" });
}

function parseCacheTtl(flag: string | undefined, env: string | undefined): number {
  const [raw, source] = flag !== undefined ? [flag, "--cache-ttl"] : [env, "CACHE_TTL"];
  if (raw === undefined) return DEFAULTS.cacheTtlSeconds;
  return parseInteger(raw, source, {
    min: 0,
    max: MAX_CACHE_TTL_SECONDS,
    hint: "seconds, 0 disables the cache",
  });
}

function parseConcurrency(flag: string | undefined, env: string | undefined): number {
  const [raw, source] = flag !== undefined ? [flag, "--concurrency"] : [env, "MCP_CONCURRENCY"];
  if (raw === undefined) return DEFAULTS.concurrency;
  return parseInteger(raw, source, {
    min: 1,
    max: MAX_CONCURRENCY,
    hint: "registry requests in flight per region",
  });
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

function parseHost(flag: string | undefined, env: string | undefined): string {
  const [raw, source] = flag !== undefined ? [flag, "--host"] : [env, "MCP_HOST"];
  if (raw === undefined) return DEFAULTS.host;
  const host = raw.trim();
  if (host === "" || /[\s/]/.test(host)) {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected a host name or IP address such as localhost or 0.0.0.0`,
    );
  }
  // `[::1]` is how a URL spells the address; Deno.serve and the announced URL want it bare.
  return host.replace(/^\[(.*)\]$/, "$1");
}

// A page on the network could otherwise drive the tools with the user's cookie.
function requireTokenBeyondLoopback(config: Config) {
  if (config.transport !== "http" || config.authToken || config.noAuth) return;
  if (isLoopback(config.host)) return;
  throw new ConfigError(
    `Refusing to serve on ${config.host} without a token: set MCP_AUTH_TOKEN or --auth-token (or pass --no-auth if a proxy guards the server)`,
  );
}

/** A warning to print at start when the HTTP server is reachable beyond loopback without a token. */
export function exposureWarning(config: Config): string | undefined {
  if (config.transport !== "http" || config.authToken || isLoopback(config.host)) return undefined;
  return `Serving on ${config.host} without a token (--no-auth): anyone who can reach this port can run the tools with your credentials`;
}

function parseOrigin(raw: string): string {
  const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(
      `Invalid --allowed-origin "${raw}": expected an origin such as https://app.example`,
    );
  }
  return url.origin;
}

// The token is never echoed: it is a credential.
function parseAuthToken(flag: string | undefined, env: string | undefined): Secret | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--auth-token"] : [env, "MCP_AUTH_TOKEN"];
  const token = raw?.trim();
  if (raw === undefined || (token === "" && source === "MCP_AUTH_TOKEN")) return undefined;
  if (!token || /\s/.test(token)) {
    throw new ConfigError(
      `Invalid ${source}: expected one word without spaces, such as the output of openssl rand -hex 32`,
    );
  }
  return new Secret(token);
}

function parseLogLevel(flag: string | undefined, env: string | undefined): LogLevel {
  const [raw, source] = flag !== undefined ? [flag, "--log-level"] : [env, "LOG_LEVEL"];
  if (raw === undefined) return DEFAULTS.logLevel;
  const level = LOG_LEVELS[raw.trim().toLowerCase()];
  if (!level) {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected DEBUG, INFO, WARNING or ERROR (any case)`,
    );
  }
  return level;
}

function parseBoolean(source: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(`Invalid ${source} "${raw}": expected 1 or 0 (true or false)`);
}

function parseHttpUrl(raw: string, { source, example }: { source: string; example: string }) {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (error) {
    throw new ConfigError(
      `Invalid ${source} "${raw}": expected an absolute http(s) URL such as ${example}`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`Invalid ${source} "${raw}": expected an http or https URL`);
  }
  if (url.username || url.password) {
    throw new ConfigError(
      `Invalid ${source}: a URL must not embed a user name or password, pass credentials through CAS_SESSION`,
    );
  }
  return url.href;
}

function parseRegions(entries: readonly string[], source: string): Region[] {
  const regions: Region[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const region = parseRegion(entry, source);
    if (regions.some((r) => r.name === region.name)) {
      throw new ConfigError(`Invalid ${source}: region "${region.name}" is given twice`);
    }
    regions.push(region);
  }
  if (regions.length === 0) {
    throw new ConfigError(`Invalid ${source}: give at least one region as NAME=URL`);
  }
  return regions;
}

function parseRegion(entry: string, source: string): Region {
  const separator = entry.indexOf("=");
  const name = entry.slice(0, separator).trim();
  if (separator < 1 || !/^[A-Za-z0-9][\w-]*$/.test(name)) {
    throw new ConfigError(
      `Invalid ${source} "${entry}": expected NAME=URL such as cn=https://ms-neptune.byted.org`,
    );
  }
  const baseUrl = parseHttpUrl(entry.slice(separator + 1), {
    source: `${source} ${name}`,
    example: "https://ms-neptune.byted.org",
  });
  return { name, baseUrl: baseUrl.replace(/\/+$/, "") };
}

// People paste the cookie in several shapes; accept `CAS_SESSION=value` and quotes too.
function parseCasSession(
  raw: string | undefined,
  { validate }: { validate: boolean },
): Secret | undefined {
  const value = raw?.trim().replace(/^CAS_SESSION=/, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (!validate) return new Secret(value);
  // Only printable ASCII without ; , " \ or spaces can be a cookie value (RFC 6265); the
  // value is not echoed, it is a credential.
  if (!/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(value)) {
    throw new ConfigError(
      "Invalid CAS_SESSION: it holds characters a cookie cannot (spaces, ; , \" \\ or non-ASCII); copy only the cookie's value from the browser",
    );
  }
  return new Secret(value);
}
