/**
 * Every option in one table (flag, variable, config file key, default, schema, help) and the
 * one zod schema that checks what flags, environment and config file give. The schemas'
 * messages never quote the value: {@linkcode checkText} decides whether it may be shown.
 *
 * @module
 */

import { z } from "zod";
import { isRecord } from "../json.ts";
import type { LogLevel } from "../log.ts";
import { bareHost } from "../net.ts";
import { Secret } from "../secret.ts";

/** A bad flag, variable or config file; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

// Issue parameters for a message that names the value itself, or a value that is a credential.
const QUIET = { quiet: true } as const;
const DEFAULT_AUTH_URL = "https://cloud.bytedance.net/auth/api/v1/jwt";
const REGISTRY_EXAMPLE = "https://ms-neptune.byted.org";

/** The variables every region may fall back to, each holding the default auth site's credential. */
export const SHARED_CREDENTIAL_VARIABLES = ["CAS_SESSION", "SERVICE_ACCOUNT_SECRET"] as const;

function wholeNumber(min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
}

const boolean = z.boolean("expected true or false");

// An absolute http(s) URL without credentials, as its `href`.
function httpUrl(example: string) {
  return z.string().transform((raw, context) => {
    const url = URL.parse(raw.trim());
    if (url?.protocol !== "http:" && url?.protocol !== "https:") {
      context.addIssue({
        code: "custom",
        message: url
          ? "expected an http or https URL"
          : `expected an absolute http(s) URL such as ${example}`,
      });
    } else if (url.username || url.password) {
      context.addIssue({
        code: "custom",
        message:
          "a URL must not embed a user name or password, pass credentials through CAS_SESSION",
        params: QUIET,
      });
    } else return url.href;
    return z.NEVER;
  });
}

const host = z.string().refine(
  (raw) => /^[^\s/]+$/.test(raw.trim()),
  "expected a host name or IP address such as localhost or 0.0.0.0",
).transform(bareHost);

const origin = z.string().transform((raw, context) => {
  const url = URL.parse(raw.trim());
  if (url?.protocol === "http:" || url?.protocol === "https:") return url.origin;
  context.addIssue({ code: "custom", message: "expected an origin such as https://app.example" });
  return z.NEVER;
});

const logLevel = z.string().transform((raw, context) => {
  const level = raw.trim().toLowerCase().replace(/^warn$/, "warning");
  if (["debug", "info", "warning", "error"].includes(level)) return level as LogLevel;
  context.addIssue({ code: "custom", message: "expected DEBUG, INFO, WARNING or ERROR" });
  return z.NEVER;
});

const token = z.string().trim().regex(
  /^\S+$/,
  "expected one word without spaces, such as the output of openssl rand -hex 32",
).transform((value) => new Secret(value));

const region = z.strictObject({
  // The name becomes part of variable names (`CAS_SESSION_cn`).
  name: z.string().regex(
    /^[A-Za-z0-9][\w-]*$/,
    "expected letters, digits, _ or -, starting with a letter or digit",
  ),
  base_url: httpUrl(REGISTRY_EXAMPLE).transform((href) => href.replace(/\/+$/, "")),
  auth_url: httpUrl(DEFAULT_AUTH_URL).optional(),
  // The name of a variable, never a value: lets a region on another site use the shared one.
  credential: z.enum(SHARED_CREDENTIAL_VARIABLES, {
    error:
      "expected the name CAS_SESSION or SERVICE_ACCOUNT_SECRET (the value stays in the environment)",
  }).optional(),
});

const regions = z.array(region).min(1, "give at least one region").superRefine(
  (list, context) => {
    list.forEach(({ name }, index) => {
      if (list.findIndex((r) => r.name === name) === index) return;
      context.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `region "${name}" is given twice`,
        params: QUIET,
      });
    });
  },
);

// The text of a flag or variable as the schema expects it; what cannot be read is passed on as
// it is, for the schema to refuse.
function integerText(raw: string | readonly string[]): unknown {
  return typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
}

const BOOLEAN_WORDS = ["0", "false", "no", "off", "1", "true", "yes", "on"];

function booleanText(raw: string | readonly string[]): unknown {
  const index = typeof raw === "string" ? BOOLEAN_WORDS.indexOf(raw.trim().toLowerCase()) : -1;
  return index < 0 ? raw : index >= 4;
}

// `NAME=URL` entries (repeated flags, or one comma-separated variable) as the file's objects.
function regionsText(raw: string | readonly string[], source: string): unknown {
  const entries = (typeof raw === "string" ? raw.split(",") : raw).map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) {
    throw new ConfigError(`Invalid ${source}: give at least one region as NAME=URL`);
  }
  return entries.map((entry) => {
    const separator = entry.indexOf("=");
    if (separator < 1) {
      throw new ConfigError(
        `Invalid ${source} "${entry}": expected NAME=URL such as cn=${REGISTRY_EXAMPLE}`,
      );
    }
    return { name: entry.slice(0, separator).trim(), base_url: entry.slice(separator + 1) };
  });
}

/** One option of the server; its key is also its key in the config file. */
export interface Option {
  /** The flag without its dashes; by default the key, with dashes for underscores. */
  readonly flag?: string;
  readonly short?: string;
  /** The value's name in `--help`; a flag without one is a switch. */
  readonly arg?: string;
  readonly multiple?: boolean;
  readonly env?: string;
  /** Not read from the config file: a credential, or a command rather than a setting. */
  readonly notInFile?: boolean;
  readonly schema: z.ZodType;
  /** Reads a flag's or variable's text for the schema; without it, the text is checked as is. */
  readonly text?: (raw: string | readonly string[], source: string) => unknown;
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

/** Returns the flag of the option `key` as written: `--port`. */
export function flagOf(key: OptionKey): string {
  const option: Option = OPTIONS[key];
  return `--${option.flag ?? key.replaceAll("_", "-")}`;
}

/** Text or switches given for some options, by key: flags or environment variables. */
export type TextValues = Partial<Record<OptionKey, unknown>>;

/**
 * Reads and checks `given`, each value the text of the flag or variable `sourceOf(key)` names.
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
