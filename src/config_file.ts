/**
 * The JSON file given by `--config FILE` (`MCP_CONFIG`): a `regions` list and
 * any other option, checked with zod so that every problem is reported at
 * once with its place in the file (`regions[2].auth_url: not a URL`).
 * Credentials never go in the file; they stay in the environment.
 *
 * @module
 */

import { z } from "zod";
import { parseJson } from "./json.ts";

/** Log levels as written by users, any case, to the level they mean. */
export const LOG_LEVELS = {
  debug: "debug",
  info: "info",
  warning: "warning",
  warn: "warning",
  error: "error",
} as const;

/** The longest `--timeout` accepted, in milliseconds. */
export const MAX_TIMEOUT_MS = 600_000;

/** The longest `--cache-ttl` accepted, in seconds. */
export const MAX_CACHE_TTL_SECONDS = 86_400;

/** The most `--concurrency` accepted. */
export const MAX_CONCURRENCY = 256;

/** What a region's name may look like: it becomes part of variable names (`CAS_SESSION_cn`). */
export const REGION_NAME_PATTERN = /^[A-Za-z0-9][\w-]*$/;

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

function wholeNumber(min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
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

function checked(problemOf: (raw: string) => string | undefined) {
  return z.string().superRefine((raw, context) => {
    const problem = problemOf(raw);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });
}

const httpUrl = checked(httpUrlProblem).transform((raw) => new URL(raw.trim()).href);
const host = checked(hostProblem).transform(bareHost);

const regionSchema = z.strictObject({
  name: z.string().regex(
    REGION_NAME_PATTERN,
    "expected letters, digits, _ or -, starting with a letter or digit",
  ),
  base_url: httpUrl.transform((href) => href.replace(/\/+$/, "")),
  auth_url: httpUrl.optional(),
});

const configFileSchema = z.strictObject({
  port: wholeNumber(0, 65_535),
  host,
  log_level: z.string().transform((raw, context) => {
    const level = LOG_LEVELS[raw.trim().toLowerCase() as keyof typeof LOG_LEVELS];
    if (!level) {
      context.addIssue({ code: "custom", message: "expected DEBUG, INFO, WARNING or ERROR" });
      return z.NEVER;
    }
    return level;
  }),
  stdio: z.boolean(),
  demo: z.boolean(),
  auth_url: httpUrl,
  timeout_ms: wholeNumber(1, MAX_TIMEOUT_MS),
  cache_ttl: wholeNumber(0, MAX_CACHE_TTL_SECONDS),
  concurrency: wholeNumber(1, MAX_CONCURRENCY),
  stateless: z.boolean(),
  no_auth: z.boolean(),
  allowed_origins: z.array(checked(originProblem).transform((raw) => new URL(raw.trim()).origin)),
  allowed_hosts: z.array(host),
  regions: z.array(regionSchema).min(1, "give at least one region").superRefine(
    (regions, context) => {
      regions.forEach((region, index) => {
        if (regions.findIndex((r) => r.name === region.name) === index) return;
        context.addIssue({
          code: "custom",
          path: [index, "name"],
          message: `region "${region.name}" is given twice`,
        });
      });
    },
  ),
}).partial();

/** The options a config file holds, validated; every one is optional. */
export type ConfigFile = z.infer<typeof configFileSchema>;

/** A config file that could not be used: `problems` each name their place in the file. */
export class ConfigFileError extends Error {
  override name = "ConfigFileError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(problems.join("; "), options);
    this.problems = problems;
  }
}

/**
 * Parses the text of a config file.
 *
 * @throws {ConfigFileError} listing every problem, each as `path: what is wrong`.
 */
export function parseConfigFile(text: string): ConfigFile {
  const json = parseJson(text);
  if (json === undefined) {
    throw new ConfigFileError(["the file is not valid JSON: check its commas and quotes"]);
  }
  const result = configFileSchema.safeParse(json, { error: describeIssue });
  if (result.success) return result.data;
  throw new ConfigFileError(result.error.issues.flatMap(formatIssue));
}

// Only for issues whose schema gave no message of its own. No value is echoed: a pasted
// cookie in the wrong place must not end up in an error message.
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    return issue.input === undefined ? "missing" : `expected ${article(issue.expected)}`;
  }
  return undefined;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

// Keys under which people put a cookie, secret or token: the file must not hold one.
const CREDENTIAL_KEY = /cas_session|cookie|secret|token|password/i;

function formatIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) =>
      `${formatPath([...issue.path, key])}: ${
        CREDENTIAL_KEY.test(key)
          ? "credentials are not read from the file, set CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET_<region> in the environment"
          : "not an option of the config file, see the README"
      }`
    );
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Returns `path` as written in JavaScript, such as `regions[2].auth_url`. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "the file";
  return path.map((key, index) =>
    typeof key === "number" ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`
  ).join("");
}
