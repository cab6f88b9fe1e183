/**
 * Every option of the server, from flags, environment, the config file and
 * defaults (in that order of precedence), validated up front into one typed
 * {@linkcode Config}.
 *
 * @module
 */

import { isLoopback } from "../http/guards.ts";
import type { Secret } from "../secret.ts";
import { readCredentials, type SharedCredentialVariable } from "./credentials.ts";
import { type Env, envReaderOf, type EnvVar, nonEmpty } from "./env.ts";
import { type ConfigFile, readConfigFile, type ReadConfigFileOptions } from "./file.ts";
import { parseFlags } from "./flags.ts";
import { parseRegions, type Region, type RegionConfig } from "./regions.ts";
import { DEFAULTS } from "./usage.ts";
import {
  ConfigError,
  flagOrEnv,
  INTEGER_OPTIONS,
  type LogLevel,
  parseAuthToken,
  parseBoolean,
  parseHost,
  parseHttpUrl,
  parseIntegerOption,
  parseLogLevel,
  parseOrigin,
} from "./values.ts";

export {
  type Env,
  ENV_VARS,
  type EnvReader,
  envReaderOf,
  type EnvVar,
  REGIONAL_ENV_PREFIXES,
  type RegionalEnvVar,
} from "./env.ts";
export type { SharedCredentialVariable } from "./credentials.ts";
export type { Region, RegionConfig } from "./regions.ts";
export { DEFAULTS, USAGE } from "./usage.ts";
export { ConfigError, type LogLevel } from "./values.ts";

const MIB = 1024 * 1024;

/** The validated configuration of one server process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly transport: "http" | "stdio";
  /** Answer every upstream call from the built-in sample catalogue. */
  readonly demo: boolean;
  /** The JWT endpoint of every region that does not name its own. */
  readonly authUrl: string;
  readonly regions: readonly RegionConfig[];
  /** What this configuration does that its user may not expect, to print at start. */
  readonly warnings: readonly string[];
  /** Limit for each upstream request, in milliseconds. */
  readonly timeoutMs: number;
  /** How long a region's answer is served from the cache, in milliseconds; 0 disables it. */
  readonly cacheTtlMs: number;
  /** Registry requests in flight per region, across every call. */
  readonly concurrency: number;
  /** The estimated heap the answer cache may hold, stale answers included, in bytes. */
  readonly cacheMaxBytes: number;
  /** HTTP sessions open at once, `/mcp` and `/sse` together. */
  readonly maxSessions: number;
  /** HTTP sessions open at once for one client (bearer token, else address). */
  readonly maxSessionsPerClient: number;
  /** After SIGTERM, how long `/ready` answers 503 while every route is still served, in ms. */
  readonly drainDelayMs: number;
  /** Every credential value read (cookies, service account secrets), to be scrubbed from logs. */
  readonly secrets: readonly Secret[];
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
  /** `doctor`: check the configuration against the upstreams; `json` for scripts. */
  | { readonly kind: "doctor"; readonly config: Config; readonly json: boolean }
  | { readonly kind: "help" }
  | { readonly kind: "version" };

/** Options for {@linkcode parseCommand}. */
export type ParseCommandOptions = ReadConfigFileOptions;

/**
 * Parses command-line `args`, `env` and the config file they name into a
 * {@linkcode Command}.
 *
 * @throws {ConfigError} when a flag, variable or config file entry is unknown or out of range.
 */
export function parseCommand(
  args: readonly string[],
  env: Env,
  options: ParseCommandOptions = {},
): Command {
  const doctor = args[0] === "doctor";
  const flags = parseFlags(doctor ? args.slice(1) : args);
  if (flags.json && !doctor) {
    throw new ConfigError(
      "Option --json belongs to doctor: run byted-live-promotion doctor --json",
    );
  }
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  const read = envReaderOf(env);
  const envValue = (name: EnvVar) => nonEmpty(read(name));
  const file = readConfigFile(flags.config ?? envValue("MCP_CONFIG"), options);
  const demo = flags.demo || (parseBoolean("DEMO", envValue("DEMO")) ?? file.demo ?? false);
  const [rawAuthUrl, authUrlSource] = flagOrEnv(flags["auth-url"], envValue("JWT_AUTH_URL"), {
    flag: "--auth-url",
    env: "JWT_AUTH_URL",
  });
  const authUrl = rawAuthUrl !== undefined
    ? parseHttpUrl(rawAuthUrl, { source: authUrlSource, example: DEFAULTS.authUrl })
    : file.auth_url ?? DEFAULTS.authUrl;
  const regions = chooseRegions(flags.region, envValue("NEPTUNE_REGIONS"), file);
  // Demo mode never sends a credential, so a malformed one does not stop it.
  const credentials = readCredentials(read, { validate: !demo });

  const integer = (option: typeof INTEGER_OPTIONS[keyof typeof INTEGER_OPTIONS], flag?: string) =>
    parseIntegerOption(flag, "env" in option ? envValue(option.env) : undefined, option);

  const config: Config = {
    port: integer(INTEGER_OPTIONS.port, flags.port) ?? file.port ?? DEFAULTS.port,
    host: parseHost(flags.host, envValue("MCP_HOST")) ?? file.host ?? DEFAULTS.host,
    logLevel: parseLogLevel(flags["log-level"], envValue("LOG_LEVEL")) ?? file.log_level ??
      DEFAULTS.logLevel,
    transport: flags.stdio || file.stdio ? "stdio" : "http",
    demo,
    authUrl,
    regions: regions.map(({ name, baseUrl, authUrl: own = authUrl, optIn }) => {
      const { credential, withheld } = credentials.forRegion(name, {
        authUrl: own,
        defaultAuthUrl: authUrl,
        optIn,
      });
      return { name, baseUrl, authUrl: own, credential, ...(withheld && { withheld }) };
    }),
    timeoutMs: integer(INTEGER_OPTIONS.timeoutMs, flags.timeout) ?? file.timeout_ms ??
      DEFAULTS.timeoutMs,
    cacheTtlMs: (integer(INTEGER_OPTIONS.cacheTtl, flags["cache-ttl"]) ?? file.cache_ttl ??
      DEFAULTS.cacheTtlSeconds) * 1000,
    concurrency: integer(INTEGER_OPTIONS.concurrency, flags.concurrency) ?? file.concurrency ??
      DEFAULTS.concurrency,
    cacheMaxBytes: (integer(INTEGER_OPTIONS.cacheMaxMb, flags["cache-max-mb"]) ??
      file.cache_max_mb ?? DEFAULTS.cacheMaxMb) * MIB,
    maxSessions: integer(INTEGER_OPTIONS.maxSessions, flags["max-sessions"]) ??
      file.max_sessions ?? DEFAULTS.maxSessions,
    maxSessionsPerClient:
      integer(INTEGER_OPTIONS.maxSessionsPerClient, flags["max-sessions-per-client"]) ??
        file.max_sessions_per_client ?? DEFAULTS.maxSessionsPerClient,
    drainDelayMs: (integer(INTEGER_OPTIONS.drainDelay, flags["drain-delay"]) ?? file.drain_delay ??
      DEFAULTS.drainDelaySeconds) * 1000,
    secrets: credentials.secrets(),
    authToken: parseAuthToken(flags["auth-token"], read("MCP_AUTH_TOKEN")),
    noAuth: flags["no-auth"] || (file.no_auth ?? false),
    allowedOrigins: flags["allowed-origin"]
      ? flags["allowed-origin"].map(parseOrigin)
      : file.allowed_origins ?? [],
    allowedHosts: flags["allowed-host"]
      ? flags["allowed-host"].map((host) => parseHost(host, undefined)!)
      : file.allowed_hosts ?? [],
    stateless: flags.stateless ||
      (parseBoolean("MCP_STATELESS", envValue("MCP_STATELESS")) ?? file.stateless ?? false),

    warnings: regionsOverride(flags.region, envValue("NEPTUNE_REGIONS"), file),
  };
  requireTokenBeyondLoopback(config);
  return doctor ? { kind: "doctor", config, json: flags.json } : { kind: "serve", config };
}

// `--region` and NEPTUNE_REGIONS name no auth URL: their regions use the default one.
function chooseRegions(
  flags: readonly string[] | undefined,
  env: string | undefined,
  file: ConfigFile,
): (Region & { authUrl?: string; optIn?: SharedCredentialVariable })[] {
  if (flags?.length) return parseRegions(flags, "--region");
  if (env === undefined && file.regions) {
    return file.regions.map((r) => ({
      name: r.name,
      baseUrl: r.base_url,
      authUrl: r.auth_url,
      optIn: r.credential,
    }));
  }
  return parseRegions((env ?? DEFAULTS.regions).split(","), "NEPTUNE_REGIONS");
}

// A NEPTUNE_REGIONS left in a shell profile would otherwise hide the file's regions, and
// their auth URLs, without a word.
function regionsOverride(
  flags: readonly string[] | undefined,
  env: string | undefined,
  file: ConfigFile,
): string[] {
  if (!file.regions || (!flags?.length && env === undefined)) return [];
  const [source, remedy] = flags?.length
    ? ["--region", "drop --region"]
    : ["NEPTUNE_REGIONS", "unset NEPTUNE_REGIONS"];
  const count = file.regions.length;
  return [
    `${source} replaces the ${count} ${
      count === 1 ? "region" : "regions"
    } of the config file and their auth URLs: ${remedy} to search the file's regions`,
  ];
}

// A page on the network could otherwise drive the tools with the user's cookie.
function requireTokenBeyondLoopback(config: Config) {
  if (config.transport !== "http" || config.authToken || config.noAuth) return;
  if (isLoopback(config.host)) return;
  throw new ConfigError(
    `Refusing to serve on ${config.host} without a token: set MCP_AUTH_TOKEN or --auth-token (or pass --no-auth if a proxy guards the server)`,
  );
}

/**
 * Returns a warning for each upstream URL that is plain `http://` off
 * loopback, where a credential or the JWT would travel unencrypted. Demo mode
 * sends nothing, so it gets none.
 */
export function insecureUrlWarnings(config: Config): string[] {
  if (config.demo) return [];
  const authUrls = new Set([config.authUrl, ...config.regions.map((r) => r.authUrl)]);
  const warnings = [...authUrls].filter(isPlainRemoteHttp).map((url) =>
    `The auth URL ${url} is plain http: the session cookie or secret would travel unencrypted, use https`
  );
  for (const region of config.regions) {
    if (!isPlainRemoteHttp(region.baseUrl)) continue;
    warnings.push(
      `Region ${region.name} (${region.baseUrl}) is plain http: the JWT would travel unencrypted, use https`,
    );
  }
  return warnings;
}

function isPlainRemoteHttp(href: string): boolean {
  const url = new URL(href);
  return url.protocol === "http:" && !isLoopback(url.hostname);
}

/** A warning to print at start when the HTTP server is reachable beyond loopback without a token. */
export function exposureWarning(config: Config): string | undefined {
  if (config.transport !== "http" || config.authToken || isLoopback(config.host)) return undefined;
  return `Serving on ${config.host} without a token (--no-auth): anyone who can reach this port can run the tools with your credentials`;
}
