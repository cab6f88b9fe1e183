/**
 * Every option in one table: its flag, environment variable, config file key
 * (the option's own name), default, schema and help. Flag parsing, `--help`,
 * the environment and the config file are all read through it, and one schema
 * checks what each of them gives.
 *
 * @module
 */

import { z } from "zod";
import { isRecord } from "../json.ts";
import type { EnvVar } from "./env.ts";
import { regions, regionsText } from "./regions.ts";
import {
  boolean,
  booleanText,
  ConfigError,
  DEFAULT_AUTH_URL,
  host,
  httpUrl,
  integerText,
  logLevel,
  origin,
  token,
  wholeNumber,
} from "./values.ts";

/** One option of the server. */
export interface Option {
  /** The flag without its dashes; by default the key, with dashes for underscores. */
  readonly flag?: string;
  readonly short?: string;
  /** The value's name in `--help`; a flag without one is a switch. */
  readonly arg?: string;
  /** The flag may be repeated. */
  readonly multiple?: boolean;
  readonly env?: EnvVar;
  /** Not read from the config file: a credential, or a command rather than a setting. */
  readonly notInFile?: boolean;
  readonly schema: z.ZodType;
  /** Reads a flag's or variable's text for the schema; without it, the text is checked as is. */
  readonly text?: (raw: string | readonly string[], source: string) => unknown;
  /** The value when no source gives one, as the config file or the environment would. */
  readonly default?: unknown;
  /** What `--help` says; a line break continues on the next line. */
  readonly help: string;
  /** Added to errors about a flag or variable, whose name explains less than the file's key. */
  readonly hint?: string;
  /** Never shown in an error: a credential. */
  readonly secret?: boolean;
}

function integer(min: number, max: number, hint: string) {
  return { arg: "N", schema: wholeNumber(min, max), text: integerText, hint };
}

const SWITCH = { schema: boolean, text: booleanText, hint: "or 1 or 0", default: false };
const COMMAND = { notInFile: true, schema: boolean };

/** The options, by their key in the config file; `--help` lists them in this order. */
export const OPTIONS = {
  port: {
    env: "MCP_PORT",
    default: 8123,
    help: "HTTP port, 0 picks a free one",
    ...integer(0, 65_535, "0 picks a free port"),
  },
  host: { arg: "H", env: "MCP_HOST", default: "localhost", schema: host, help: "address to bind" },
  log_level: {
    arg: "L",
    env: "LOG_LEVEL",
    default: "INFO",
    schema: logLevel,
    hint: "any case",
    help: "DEBUG, INFO, WARNING or ERROR",
  },
  stdio: {
    ...SWITCH,
    help:
      "serve MCP over stdin/stdout instead of HTTP\n(without it, a piped stdin is served beside HTTP)",
  },
  demo: {
    env: "DEMO",
    ...SWITCH,
    help: "answer from the built-in demo catalogue, no credentials needed",
  },
  auth_url: {
    arg: "URL",
    env: "JWT_AUTH_URL",
    default: DEFAULT_AUTH_URL,
    schema: httpUrl(DEFAULT_AUTH_URL),
    help: "JWT endpoint",
  },
  regions: {
    flag: "region",
    arg: "NAME=URL",
    multiple: true,
    env: "NEPTUNE_REGIONS",
    schema: regions,
    text: regionsText,
    default: "cn=https://ms-neptune.byted.org,us=https://ms-neptune.tiktok-us.org",
    help: "a Neptune region, repeatable; the variable lists them as cn=URL,us=URL",
  },
  timeout_ms: {
    flag: "timeout",
    env: "UPSTREAM_TIMEOUT_MS",
    default: 10_000,
    help: "limit per upstream request",
    ...integer(1, 600_000, "milliseconds"),
    arg: "MS",
  },
  config: {
    arg: "FILE",
    env: "MCP_CONFIG",
    notInFile: true,
    schema: z.string(),
    help:
      "JSON file with regions and any option but credentials\n(flags and environment win over the file; see the README)",
  },
  auth_token: {
    arg: "T",
    env: "MCP_AUTH_TOKEN",
    notInFile: true,
    secret: true,
    schema: token,
    help:
      "bearer token HTTP clients must send; required on any host but loopback\n(prefer the environment: flags show in ps)",
  },
  no_auth: {
    ...SWITCH,
    help: "serve a non-loopback host without a token (something else must guard it)",
  },
  allowed_origins: {
    flag: "allowed-origin",
    arg: "O",
    multiple: true,
    default: [],
    schema: z.array(origin),
    help: "also accept browser pages from origin O, repeatable (https://app.example)",
  },
  allowed_hosts: {
    flag: "allowed-host",
    arg: "H",
    multiple: true,
    default: [],
    schema: z.array(host),
    help: "also answer to Host name H, repeatable (the name a reverse proxy forwards)",
  },
  stateless: {
    env: "MCP_STATELESS",
    ...SWITCH,
    help: "serve /mcp without sessions, for instances behind a load balancer",
  },
  cache_ttl: {
    env: "CACHE_TTL",
    default: 60,
    ...integer(0, 86_400, "seconds, 0 disables the cache"),
    arg: "SECONDS",
    help: "serve a region's answer from the cache this many seconds, 0 disables",
  },
  concurrency: {
    env: "MCP_CONCURRENCY",
    default: 8,
    help: "registry requests in flight per region",
    ...integer(1, 256, "registry requests in flight per region"),
  },
  cache_max_mb: {
    env: "MCP_CACHE_MAX_MB",
    default: 64,
    ...integer(1, 16_384, "MiB the cached answers may hold"),
    help: "MiB the cached answers may hold, stale ones included",
  },
  max_sessions: {
    default: 1000,
    ...integer(1, 100_000, "sessions open at once, /mcp and /sse together"),
    help:
      "HTTP sessions open at once (/mcp and /sse); when full, the least\nrecently active idle one is closed",
  },
  max_sessions_per_client: {
    default: 100,
    ...integer(1, 100_000, "sessions open at once for one bearer token or client address"),
    help: "HTTP sessions one client holds (its bearer token, else its address)",
  },
  drain_delay: {
    env: "MCP_DRAIN_DELAY",
    default: 0,
    ...integer(0, 600, "seconds /ready answers 503 before the server stops accepting"),
    arg: "SECONDS",
    help:
      "on SIGTERM, answer /ready with 503 and keep serving this many seconds\nbefore stopping (behind a load balancer or in Kubernetes)",
  },
  json: { ...COMMAND, help: "with doctor: print the report as JSON" },
  help: { ...COMMAND, short: "h", help: "print this help and exit" },
  version: { ...COMMAND, short: "V", help: "print the version and exit" },
} as const satisfies Record<string, Option>;

/** The key of an option, which is also its key in the config file. */
export type OptionKey = keyof typeof OPTIONS;

/** Every option's entry, in order. */
export const OPTION_ENTRIES = Object.entries(OPTIONS) as [OptionKey, Option][];

type Shape = { -readonly [K in OptionKey]: typeof OPTIONS[K]["schema"] };

/** The schema of every option, each optional: what flags, the environment or the file give. */
export const SCHEMA = z.strictObject(
  Object.fromEntries(OPTION_ENTRIES.map(([key, option]) => [key, option.schema])) as Shape,
).partial();

/** Options as {@linkcode SCHEMA} checks them; each source gives some. */
export type Settings = z.output<typeof SCHEMA>;

type DefaultKey = { [K in OptionKey]: typeof OPTIONS[K] extends { default: unknown } ? K : never }[
  OptionKey
];

/** Every setting, once the defaults fill what no source gives. */
export type FullSettings = Settings & Required<Pick<Settings, DefaultKey>>;

/** The default of each option that has one, as `--help` shows it. */
export const DEFAULTS = Object.fromEntries(
  OPTION_ENTRIES.flatMap(([key, option]) => "default" in option ? [[key, option.default]] : []),
) as { [K in DefaultKey]: typeof OPTIONS[K]["default"] };

/** The defaults, checked like any other source. */
export function defaultSettings(): FullSettings {
  return checkText(DEFAULTS, () => "default") as FullSettings;
}

/** Returns the flag of the option `key` as written: `--port`. */
export function flagOf(key: OptionKey): string {
  const option: Option = OPTIONS[key];
  return `--${option.flag ?? key.replaceAll("_", "-")}`;
}

/** Returns the environment variable of the option `key`, else its flag. */
export function envOf(key: OptionKey): string {
  const option: Option = OPTIONS[key];
  return option.env ?? flagOf(key);
}

/** Text or switches given for some options, by key: flags or environment variables. */
export type TextValues = Partial<Record<OptionKey, unknown>>;

/**
 * Reads and checks `given`, each value the text of the flag or variable
 * `sourceOf(key)` names.
 *
 * @throws {ConfigError} for the first value that is not accepted, naming its source.
 */
export function checkText(given: TextValues, sourceOf: (key: OptionKey) => string): Settings {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(given) as [OptionKey, unknown][]) {
    const { text }: Option = OPTIONS[key];
    const isText = typeof raw === "string" || Array.isArray(raw);
    values[key] = text && isText ? text(raw, sourceOf(key)) : raw;
  }
  const result = SCHEMA.safeParse(values);
  if (result.success) return result.data;
  // `Invalid --region cn "ftp://x": expected ...`: the source, the region when the problem is
  // inside one, and the value unless it is a credential or the message names it already.
  const [issue] = result.error.issues;
  if (!issue) throw result.error;
  const [key, index, field] = issue.path as [OptionKey, number?, string?];
  const option: Option = OPTIONS[key];
  const entry = index === undefined ? undefined : (values[key] as unknown[])[index];
  const value = index === undefined ? given[key] : isRecord(entry) ? entry[field ?? ""] : entry;
  const label = isRecord(entry) && field !== "name"
    ? `${sourceOf(key)} ${entry.name}`
    : sourceOf(key);
  const quiet = option.secret || (issue.code === "custom" && issue.params?.quiet);
  const shown = typeof value === "string" && !quiet ? ` "${value}"` : "";
  const hint = option.hint ? ` (${option.hint})` : "";
  throw new ConfigError(`Invalid ${label}${shown}: ${issue.message}${hint}`);
}
