/**
 * Every option of the server, from flags, environment, the config file and
 * defaults (in that order of precedence), validated up front into one typed
 * {@linkcode Config}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Credential, CredentialKind } from "./auth.ts";
import {
  bareHost,
  type ConfigFile,
  ConfigFileError,
  hostProblem,
  httpUrlProblem,
  LOG_LEVELS,
  MAX_CACHE_TTL_SECONDS,
  MAX_CONCURRENCY,
  MAX_TIMEOUT_MS,
  originProblem,
  parseConfigFile,
  REGION_NAME_PATTERN,
} from "./config_file.ts";
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

/** A region with where its tokens come from. */
export interface RegionConfig extends Region {
  /** The JWT endpoint this region's tokens come from. */
  readonly authUrl: string;
  /** Absent when none of the region's variables is set: the region is then skipped. */
  readonly credential?: Credential;
}

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
  /** Limit for each upstream request, in milliseconds. */
  readonly timeoutMs: number;
  /** How long a region's answer is served from the cache, in milliseconds; 0 disables it. */
  readonly cacheTtlMs: number;
  /** Registry requests in flight per region, across every call. */
  readonly concurrency: number;
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
  "MCP_CONFIG",
  "SERVICE_ACCOUNT_SECRET",
  // Deno's fetch applies these itself; they are read only for `doctor` to report them.
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "DENO_TLS_CA_STORE",
  "DENO_CERT",
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

/** Options for {@linkcode parseCommand}. */
export interface ParseCommandOptions {
  /** Reads the config file named by `--config`; `Deno.readTextFileSync` by default. */
  readFile?: (path: string) => string;
}

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

/** The text printed by `--help`. */
export const USAGE = `byted-live-promotion: an MCP server that finds PSMs in the Neptune registry

Usage:
  byted-live-promotion [options]
  byted-live-promotion doctor [--json] [options]   check the cookie, the JWT, each region and
                                                   the proxy and CA settings, then exit

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
  --config FILE        JSON file with regions and any option but credentials   env MCP_CONFIG
                       (flags and environment win over the file; see the README)
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

Credentials (each region uses the first one set):
  SERVICE_ACCOUNT_SECRET_<region>   a service account's secret for one region
  CAS_SESSION_<region>              the SSO session cookie for one region
  SERVICE_ACCOUNT_SECRET            a service account's secret for every region
  CAS_SESSION          your SSO session cookie (copy it from the browser after signing in)

Network (applied by Deno itself, reported by doctor):
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY      proxy for the upstream requests
  DENO_TLS_CA_STORE=system, DENO_CERT    trust the system's or a file's CAs (TLS-inspecting proxies)

Endpoints (HTTP): /mcp (streamable HTTP, and plain {"tool", "arguments"} calls),
  /sse + /messages (legacy HTTP+SSE), /health, /ready, /metrics
`;

/** A bad flag or environment value; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

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
  const read: EnvReader = typeof env === "function" ? env : (name) => env[name];
  const envValue = (name: EnvVar) => nonEmpty(read(name));
  const file = readConfigFile(flags.config ?? envValue("MCP_CONFIG"), options);
  const demo = flags.demo || (parseBoolean("DEMO", envValue("DEMO")) ?? file.demo ?? false);
  const authUrl = flags["auth-url"] !== undefined || envValue("JWT_AUTH_URL") !== undefined
    ? parseHttpUrl(flags["auth-url"] ?? envValue("JWT_AUTH_URL")!, {
      source: flags["auth-url"] !== undefined ? "--auth-url" : "JWT_AUTH_URL",
      example: DEFAULTS.authUrl,
    })
    : file.auth_url ?? DEFAULTS.authUrl;
  const regions = chooseRegions(flags.region, envValue("NEPTUNE_REGIONS"), file);
  // Demo mode never sends a credential, so a malformed one does not stop it.
  const credentials = readCredentials(read, { validate: !demo });

  const config: Config = {
    port: parsePort(flags.port, envValue("MCP_PORT")) ?? file.port ?? DEFAULTS.port,
    host: parseHost(flags.host, envValue("MCP_HOST")) ?? file.host ?? DEFAULTS.host,
    logLevel: parseLogLevel(flags["log-level"], envValue("LOG_LEVEL")) ?? file.log_level ??
      DEFAULTS.logLevel,
    transport: flags.stdio || file.stdio ? "stdio" : "http",
    demo,
    authUrl,
    regions: regions.map(({ name, baseUrl, authUrl: own }) => ({
      name,
      baseUrl,
      authUrl: own ?? authUrl,
      credential: credentials.forRegion(name),
    })),
    timeoutMs: parseTimeout(flags.timeout, envValue("UPSTREAM_TIMEOUT_MS")) ?? file.timeout_ms ??
      DEFAULTS.timeoutMs,
    cacheTtlMs: (parseCacheTtl(flags["cache-ttl"], envValue("CACHE_TTL")) ?? file.cache_ttl ??
      DEFAULTS.cacheTtlSeconds) * 1000,
    concurrency: parseConcurrency(flags.concurrency, envValue("MCP_CONCURRENCY")) ??
      file.concurrency ?? DEFAULTS.concurrency,
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
  };
  requireTokenBeyondLoopback(config);
  return doctor ? { kind: "doctor", config, json: flags.json } : { kind: "serve", config };
}

// `--region` and NEPTUNE_REGIONS name no auth URL: their regions use the default one.
function chooseRegions(
  flags: readonly string[] | undefined,
  env: string | undefined,
  file: ConfigFile,
): (Region & { authUrl?: string })[] {
  if (flags?.length) return parseRegions(flags, "--region");
  if (env === undefined && file.regions) {
    return file.regions.map((r) => ({ name: r.name, baseUrl: r.base_url, authUrl: r.auth_url }));
  }
  return parseRegions((env ?? DEFAULTS.regions).split(","), "NEPTUNE_REGIONS");
}

function readConfigFile(path: string | undefined, options: ParseCommandOptions): ConfigFile {
  if (path === undefined) return {};
  const { readFile = Deno.readTextFileSync } = options;
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError(describeReadError(error, path), { cause: error });
  }
  try {
    return parseConfigFile(text);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    const count = error.problems.length;
    throw new ConfigError(
      `Invalid config file ${path} (${count} ${count === 1 ? "problem" : "problems"}), fix ${
        count === 1 ? "it" : "them"
      } and restart:\n${error.problems.map((problem) => `  ${problem}`).join("\n")}`,
      { cause: error },
    );
  }
}

function describeReadError(error: unknown, path: string): string {
  if (error instanceof Deno.errors.NotFound) {
    return `Config file ${path} does not exist: check --config or MCP_CONFIG`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `Not allowed to read the config file ${path}: check its permissions, and run with --allow-read`;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `Cannot read the config file ${path} (${detail}): check --config or MCP_CONFIG`;
}

// Most specific first; a service account wins over a cookie at the same level.
function credentialVariables(region: string): { kind: CredentialKind; source: string }[] {
  return [
    { kind: "service_account", source: `SERVICE_ACCOUNT_SECRET_${region}` },
    { kind: "cas_session", source: `CAS_SESSION_${region}` },
    { kind: "service_account", source: "SERVICE_ACCOUNT_SECRET" },
    { kind: "cas_session", source: "CAS_SESSION" },
  ];
}

/**
 * Returns the variables a region's credential may come from, most specific
 * first: `SERVICE_ACCOUNT_SECRET_<region>`, `CAS_SESSION_<region>`,
 * `SERVICE_ACCOUNT_SECRET`, `CAS_SESSION`.
 */
export function credentialSourcesOf(region: string): string[] {
  return credentialVariables(region).map((variable) => variable.source);
}

// Each variable is read and checked once, however many regions fall back to it.
function readCredentials(read: EnvReader, { validate }: { validate: boolean }) {
  const seen = new Map<string, Credential | undefined>();
  function credentialFrom(kind: CredentialKind, source: string): Credential | undefined {
    if (!seen.has(source)) {
      const raw = read(source as EnvVar | RegionalEnvVar);
      const value = kind === "cas_session"
        ? parseCookie(raw, { source, validate })
        : parseServiceSecret(raw, { source, validate });
      seen.set(source, value && { kind, source, value });
    }
    return seen.get(source);
  }
  // The shared variables are read (and checked) even when every region has its own.
  credentialFrom("service_account", "SERVICE_ACCOUNT_SECRET");
  credentialFrom("cas_session", "CAS_SESSION");
  return {
    forRegion(region: string): Credential | undefined {
      for (const { kind, source } of credentialVariables(region)) {
        const credential = credentialFrom(kind, source);
        if (credential) return credential;
      }
      return undefined;
    },
    secrets(): Secret[] {
      return [...seen.values()].flatMap((credential) => credential ? [credential.value] : []);
    },
  };
}

function parseFlags(args: readonly string[]) {
  // `deno task start -- --demo` passes the `--` on, and parseArgs would take
  // every argument after it for a positional one.
  if (args.includes("--")) {
    throw new ConfigError(
      "Unexpected argument --: deno task passes arguments on as they are, so write deno task start --demo, without --",
    );
  }
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
        config: { type: "string" },
        json: { type: "boolean", default: false },
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
  const positional = message.match(/Unexpected argument '(.*)'/s);
  if (positional) return describePositional(positional[1]);
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

// Words that name an option: safe to echo back, unlike any other positional value.
const OPTION_WORDS = new Set(["port", "host", "stdio", "demo", "help", "version", "region"]);

// A positional value may be a cookie pasted in the wrong place: it is shown only when it
// cannot be one: an option's name without its dashes, `doctor`, or a short dash-led word.
function describePositional(value: string): string {
  const word = value.toLowerCase();
  if (OPTION_WORDS.has(word)) {
    return `Unexpected argument "${value}": options take the form --name value, did you mean --${word}? See --help`;
  }
  if (word === "doctor") {
    return 'Unexpected argument "doctor": it comes first, as in byted-live-promotion doctor --json';
  }
  if (/^-[\w-]{0,40}$/.test(value)) {
    return `Unexpected argument "${value}": options take the form --name value, see --help`;
  }
  return "Unexpected positional argument (not shown: it may be a credential): options take the form --name value, see --help";
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parsePort(flag: string | undefined, env: string | undefined): number | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--port"] : [env, "MCP_PORT"];
  if (raw === undefined) return undefined;
  return parseInteger(raw, source, { min: 0, max: 65_535, hint: "0 picks a free port" });
}

function parseTimeout(flag: string | undefined, env: string | undefined): number | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--timeout"] : [env, "UPSTREAM_TIMEOUT_MS"];
  if (raw === undefined) return undefined;
  return parseInteger(raw, source, { min: 1, max: MAX_TIMEOUT_MS, hint: "milliseconds" });
}

function parseCacheTtl(flag: string | undefined, env: string | undefined): number | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--cache-ttl"] : [env, "CACHE_TTL"];
  if (raw === undefined) return undefined;
  return parseInteger(raw, source, {
    min: 0,
    max: MAX_CACHE_TTL_SECONDS,
    hint: "seconds, 0 disables the cache",
  });
}

function parseConcurrency(flag: string | undefined, env: string | undefined): number | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--concurrency"] : [env, "MCP_CONCURRENCY"];
  if (raw === undefined) return undefined;
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

function parseHost(flag: string | undefined, env: string | undefined): string | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--host"] : [env, "MCP_HOST"];
  if (raw === undefined) return undefined;
  const problem = hostProblem(raw);
  if (problem) throw new ConfigError(`Invalid ${source} "${raw}": ${problem}`);
  return bareHost(raw);
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

function parseOrigin(raw: string): string {
  const problem = originProblem(raw);
  if (problem) throw new ConfigError(`Invalid --allowed-origin "${raw}": ${problem}`);
  return new URL(raw.trim()).origin;
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

function parseLogLevel(flag: string | undefined, env: string | undefined): LogLevel | undefined {
  const [raw, source] = flag !== undefined ? [flag, "--log-level"] : [env, "LOG_LEVEL"];
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

function parseBoolean(source: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(`Invalid ${source} "${raw}": expected 1 or 0 (true or false)`);
}

function parseHttpUrl(raw: string, { source, example }: { source: string; example: string }) {
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
  if (separator < 1 || !REGION_NAME_PATTERN.test(name)) {
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
function parseCookie(
  raw: string | undefined,
  { source, validate }: { source: string; validate: boolean },
): Secret | undefined {
  const value = raw?.trim().replace(/^CAS_SESSION=/, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (!validate) return new Secret(value);
  // Only printable ASCII without ; , " \ or spaces can be a cookie value (RFC 6265); the
  // value is not echoed, it is a credential.
  if (!/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(value)) {
    throw new ConfigError(
      `Invalid ${source}: it holds characters a cookie cannot (spaces, ; , " \\ or non-ASCII); copy only the cookie's value from the browser`,
    );
  }
  return new Secret(value);
}

// A pasted `Bearer ` prefix or quotes are dropped; what is left must fit in a header.
function parseServiceSecret(
  raw: string | undefined,
  { source, validate }: { source: string; validate: boolean },
): Secret | undefined {
  const value = raw?.trim().replace(/^Bearer\s+/i, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (validate && !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(
      `Invalid ${source}: it holds spaces, control or non-ASCII characters; copy only the secret itself`,
    );
  }
  return new Secret(value);
}
