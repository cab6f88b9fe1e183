/** Every option in one table (flag, variable, file key, default, schema), and their zod schema.
 * @module */

import { z } from "zod";
import { isRecord } from "../json.ts";
import type { LogLevel } from "../log.ts";
import { bareHost } from "../net.ts";
import { Secret } from "../secret.ts";

/** A bad flag, variable or config file; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const DEFAULT_AUTH_URL = "https://cloud.bytedance.net/auth/api/v1/jwt";
const REGISTRY_EXAMPLE = "https://ms-neptune.byted.org";

/** The variables every region may fall back to, each holding the default auth site's credential. */
export const SHARED_CREDENTIAL_VARIABLES = ["SERVICE_ACCOUNT_SECRET", "CAS_SESSION"] as const;

const boolean = z.boolean("expected true or false");

function httpUrl(example: string) {
  return z.string().transform((raw, context) => {
    const url = URL.parse(raw.trim());
    const http = url?.protocol === "http:" || url?.protocol === "https:";
    if (http && !url.username && !url.password) return url.href;
    context.addIssue({
      code: "custom",
      message: !url
        ? `expected an absolute http(s) URL such as ${example}`
        : !http
        ? "expected an http or https URL"
        : "a URL must not embed a user name or password, pass credentials through CAS_SESSION",
      // A message that names the value itself, or may hold a credential: the value is not quoted.
      params: { quiet: http },
    });
    return z.NEVER;
  });
}

const authUrl = httpUrl(DEFAULT_AUTH_URL);

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
  auth_url: authUrl.optional(),
  // The name of a variable, never a value: lets a region on another site use the shared one.
  credential: z.enum(SHARED_CREDENTIAL_VARIABLES, {
    error:
      "expected the name CAS_SESSION or SERVICE_ACCOUNT_SECRET (the value stays in the environment)",
  }).optional(),
});

const regions = z.array(region).min(1, "give at least one region").superRefine((list, context) => {
  list.forEach(({ name }, index) => {
    if (list.findIndex((r) => r.name === name) === index) return;
    const message = `region "${name}" is given twice`;
    context.addIssue({ code: "custom", path: [index, "name"], message, params: { quiet: true } });
  });
});

// `NAME=URL` entries (repeated flags, or one comma-separated variable) as the file's objects.
function regionsText(raw: unknown, source: string): unknown {
  const entries = (typeof raw === "string" ? raw.split(",") : raw as string[]).map((e) => e.trim())
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

export interface Option {
  /** By default the key, with dashes for underscores. */
  readonly flag?: string;
  readonly short?: string;
  /** The value's name in `--help`; a flag without one is a switch. */
  readonly arg?: string;
  readonly multiple?: boolean;
  readonly env?: string;
  readonly schema: z.ZodType;
  readonly text?: (raw: unknown, source: string) => unknown;
  readonly default?: unknown;
  /** A credential, never shown in an error. */
  readonly secret?: boolean;
}

// Text that does not spell a value is passed on as it is, for the schema to refuse.
function integer(min: number, max: number, arg = "N") {
  const message = `expected a whole number from ${min} to ${max}`;
  const schema = z.int(message).min(min, message).max(max, message);
  const text = (raw: unknown) =>
    typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  return { arg, schema, text };
}

function list<T extends z.ZodType>(flag: string, arg: string, schema: T) {
  return { flag, arg, multiple: true, default: [], schema: z.array(schema) };
}

const BOOLEAN_WORDS = ["0", "false", "no", "off", "1", "true", "yes", "on"];

function booleanText(raw: unknown): unknown {
  const index = typeof raw === "string" ? BOOLEAN_WORDS.indexOf(raw.trim().toLowerCase()) : -1;
  return index < 0 ? raw : index >= 4;
}

const SWITCH = { schema: boolean, text: booleanText, default: false };
const COMMAND = { schema: boolean };

/** The options, by their key in the config file; `--help` lists them in this order. */
export const OPTIONS = {
  port: { env: "MCP_PORT", default: 8123, ...integer(0, 65_535) },
  host: { arg: "H", env: "MCP_HOST", default: "localhost", schema: host },
  log_level: { arg: "L", env: "LOG_LEVEL", default: "INFO", schema: logLevel },
  stdio: SWITCH,
  demo: { env: "DEMO", ...SWITCH },
  auth_url: { arg: "URL", env: "JWT_AUTH_URL", default: DEFAULT_AUTH_URL, schema: authUrl },
  regions: {
    flag: "region",
    arg: "NAME=URL",
    multiple: true,
    env: "NEPTUNE_REGIONS",
    schema: regions,
    text: regionsText,
    default: "cn=https://ms-neptune.byted.org,us=https://ms-neptune.tiktok-us.org",
  },
  timeout_ms: {
    flag: "timeout",
    env: "UPSTREAM_TIMEOUT_MS",
    default: 10_000,
    ...integer(1, 600_000, "MS"),
  },
  config: { arg: "FILE", env: "MCP_CONFIG", schema: z.string() },
  auth_token: { arg: "T", env: "MCP_AUTH_TOKEN", secret: true, schema: token },
  no_auth: SWITCH,
  allowed_origins: list("allowed-origin", "O", origin),
  allowed_hosts: list("allowed-host", "H", host),
  stateless: { env: "MCP_STATELESS", ...SWITCH },
  cache_ttl: { env: "CACHE_TTL", default: 60, ...integer(0, 86_400, "SECONDS") },
  concurrency: { env: "MCP_CONCURRENCY", default: 8, ...integer(1, 256) },
  cache_max_mb: { env: "MCP_CACHE_MAX_MB", default: 64, ...integer(1, 16_384) },
  max_sessions: { default: 1000, ...integer(1, 100_000) },
  max_sessions_per_client: { default: 100, ...integer(1, 100_000) },
  drain_delay: { env: "MCP_DRAIN_DELAY", default: 0, ...integer(0, 600, "SECONDS") },
  json: COMMAND,
  help: { ...COMMAND, short: "h" },
  version: { ...COMMAND, short: "V" },
} as const satisfies Record<string, Option>;

export type OptionKey = keyof typeof OPTIONS;

export const OPTION_ENTRIES = Object.entries(OPTIONS) as [OptionKey, Option][];

type Shape = { -readonly [K in OptionKey]: typeof OPTIONS[K]["schema"] };

/** The schema of every option, each optional: what flags, the environment or the file give. */
export const SCHEMA = z.strictObject(
  Object.fromEntries(OPTION_ENTRIES.map(([key, option]) => [key, option.schema])) as Shape,
).partial();

export type Settings = z.output<typeof SCHEMA>;

export const DEFAULTS = Object.fromEntries(
  OPTION_ENTRIES.flatMap(([key, option]) => "default" in option ? [[key, option.default]] : []),
) as { [K in OptionKey as typeof OPTIONS[K] extends { default: unknown } ? K : never]: unknown };

/** Settings once the defaults fill what no source gives. */
export type FullSettings = Settings & Required<Pick<Settings, keyof typeof DEFAULTS>>;

export function flagOf(key: OptionKey): string {
  const option: Option = OPTIONS[key];
  return `--${option.flag ?? key.replaceAll("_", "-")}`;
}

// Added to errors about a flag or variable, whose name explains less than the file's key.
const HINTS: Partial<Record<OptionKey, string>> = {
  port: "0 picks a free port",
  log_level: "any case",
  demo: "or 1 or 0",
  timeout_ms: "milliseconds",
  stateless: "or 1 or 0",
  cache_ttl: "seconds, 0 disables the cache",
  concurrency: "registry requests in flight per region",
  cache_max_mb: "MiB the cached answers may hold",
  max_sessions: "sessions open at once, /mcp and /sse together",
  max_sessions_per_client: "sessions open at once for one bearer token or client address",
  drain_delay: "seconds /ready answers 503 before the server stops accepting",
};

export type TextValues = Partial<Record<OptionKey, unknown>>;

/** Reads and checks `given`; a {@linkcode ConfigError} names the source of the first refused. */
export function checkText(given: TextValues, sourceOf: (key: OptionKey) => string): Settings {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(given) as [OptionKey, unknown][]) {
    const { text }: Option = OPTIONS[key];
    values[key] = text ? text(raw, sourceOf(key)) : raw;
  }
  const result = SCHEMA.safeParse(values);
  if (result.success) return result.data;
  // `Invalid --region cn "ftp://x": expected ...`, the value unless secret or already named.
  const issue = result.error.issues[0]!;
  const [key, index, field] = issue.path as [OptionKey, number?, string?];
  const option: Option = OPTIONS[key];
  const entry = index === undefined ? undefined : (values[key] as unknown[])[index];
  const value = index === undefined ? given[key] : isRecord(entry) ? entry[field ?? ""] : entry;
  const label = isRecord(entry) && field !== "name"
    ? `${sourceOf(key)} ${entry.name}`
    : sourceOf(key);
  const quiet = option.secret || (issue.code === "custom" && issue.params?.quiet);
  const shown = typeof value === "string" && !quiet ? ` "${value}"` : "";
  const hint = HINTS[key] ? ` (${HINTS[key]})` : "";
  throw new ConfigError(`Invalid ${label}${shown}: ${issue.message}${hint}`);
}
