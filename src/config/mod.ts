/** Flags, environment, the config file and defaults, in that order, checked into one Config.
 * @module */

import { isLoopback } from "../net.ts";
import { readCredentials } from "./credentials.ts";
import { readConfigFile, type ReadConfigFileOptions } from "./file.ts";
import { parseFlags } from "./flags.ts";
import {
  checkText,
  ConfigError,
  DEFAULTS,
  flagOf,
  type FullSettings,
  type Option,
  OPTION_ENTRIES,
  OPTIONS,
  type Settings,
} from "./options.ts";

export type { Credential, CredentialKind } from "./credentials.ts";
export { ConfigError, DEFAULTS } from "./options.ts";
export { USAGE } from "./flags.ts";

export type EnvReader = (name: string) => string | undefined;

export type Env = Partial<Record<string, string>> | EnvReader;

export function envReaderOf(env: Env): EnvReader {
  return typeof env === "function" ? env : (name) => env[name];
}

/** One Neptune registry that searches are sent to; `baseUrl` has no trailing slash. */
export type Region = Readonly<Pick<RegionConfig, "name" | "baseUrl">>;

/** The options of one server process, as {@linkcode parseCommand} builds them. */
export type Config = ReturnType<typeof toConfig>;

export type RegionConfig = Config["regions"][number];

export type Command =
  | { readonly kind: "serve"; readonly config: Config }
  | { readonly kind: "doctor"; readonly config: Config; readonly json: boolean }
  | { readonly kind: "help" }
  | { readonly kind: "version" };

/** Parses `args`, `env` and the config file they name; throws a {@linkcode ConfigError}. */
export function parseCommand(
  args: readonly string[],
  env: Env,
  options: ReadConfigFileOptions = {},
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
  const given = checkText(flags, flagOf);
  // A variable counts only where no flag gives the option, and an empty one as not set.
  const fromEnv = checkText(
    Object.fromEntries(OPTION_ENTRIES.flatMap(([key, { env }]) => {
      const value = env && given[key] === undefined ? read(env)?.trim() : undefined;
      return value ? [[key, value]] : [];
    })),
    (key) => (OPTIONS[key] as Option).env ?? flagOf(key),
  );
  const file = readConfigFile(given.config ?? fromEnv.config, options);
  const defaults = checkText(DEFAULTS, () => "default") as FullSettings;
  const settings: FullSettings = { ...defaults, ...file, ...fromEnv, ...given };
  const override = given.regions ? "--region" : fromEnv.regions && "NEPTUNE_REGIONS";
  const config = toConfig(settings, read, regionsOverride(file, override));
  // A page on the network could otherwise drive the tools with the user's cookie.
  if (exposed(config) && !config.noAuth) {
    throw new ConfigError(
      `Refusing to serve on ${config.host} without a token: set MCP_AUTH_TOKEN or --auth-token (or pass --no-auth if a proxy guards the server)`,
    );
  }
  return doctor ? { kind: "doctor", config, json: flags.json === true } : { kind: "serve", config };
}

// Durations in ms, sizes in bytes.
function toConfig(settings: FullSettings, read: EnvReader, warnings: string[]) {
  const { auth_url: authUrl, demo } = settings;
  // Demo mode never sends a credential, so a malformed one does not stop it.
  const credentials = readCredentials(read, { validate: !demo, defaultAuthUrl: authUrl });
  return {
    port: settings.port,
    host: settings.host,
    logLevel: settings.log_level,
    transport: settings.stdio ? "stdio" : "http",
    demo,
    authUrl,
    regions: settings.regions.map(({ name, base_url, auth_url: own = authUrl, credential }) => ({
      name,
      baseUrl: base_url,
      authUrl: own,
      ...credentials.forRegion(name, { authUrl: own, optIn: credential }),
    })),
    timeoutMs: settings.timeout_ms,
    cacheTtlMs: settings.cache_ttl * 1000,
    concurrency: settings.concurrency,
    cacheMaxBytes: settings.cache_max_mb * 1024 * 1024,
    maxSessions: settings.max_sessions,
    maxSessionsPerClient: settings.max_sessions_per_client,
    drainDelayMs: settings.drain_delay * 1000,
    /** Every credential value read, to be scrubbed from logs. */
    secrets: credentials.secrets(),
    authToken: settings.auth_token,
    noAuth: settings.no_auth,
    allowedOrigins: settings.allowed_origins,
    allowedHosts: settings.allowed_hosts,
    stateless: settings.stateless,
    warnings: [...warnings, ...(demo ? [] : insecureUrlWarnings(settings))],
  } as const;
}

// A NEPTUNE_REGIONS left in a shell profile would otherwise hide the file's regions silently.
function regionsOverride(file: Settings, source: string | undefined): string[] {
  const count = file.regions?.length;
  if (!count || !source) return [];
  const remedy = source === "--region" ? "drop --region" : "unset NEPTUNE_REGIONS";
  const regions = count === 1 ? "region" : "regions";
  return [
    `${source} replaces the ${count} ${regions} of the config file and their auth URLs: ${remedy} to search the file's regions`,
  ];
}

function exposed(config: Config): boolean {
  return config.transport === "http" && !config.authToken && !isLoopback(config.host);
}

function insecureUrlWarnings({ auth_url, regions }: FullSettings): string[] {
  const authUrls = new Set([auth_url, ...regions.map((r) => r.auth_url ?? auth_url)]);
  return [
    ...[...authUrls].filter(isPlainRemoteHttp).map((url) =>
      `The auth URL ${url} is plain http: the session cookie or secret would travel unencrypted, use https`
    ),
    ...regions.filter((r) => isPlainRemoteHttp(r.base_url)).map(({ name, base_url }) =>
      `Region ${name} (${base_url}) is plain http: the JWT would travel unencrypted, use https`
    ),
  ];
}

function isPlainRemoteHttp(href: string): boolean {
  const url = new URL(href);
  return url.protocol === "http:" && !isLoopback(url.hostname);
}

/** A warning to print at start when HTTP is served beyond loopback without a token. */
export function exposureWarning(config: Config): string | undefined {
  if (!exposed(config)) return undefined;
  return `Serving on ${config.host} without a token (--no-auth): anyone who can reach this port can run the tools with your credentials`;
}
