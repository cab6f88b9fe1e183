/**
 * The JSON file given by `--config FILE` (`MCP_CONFIG`): a `regions` list and
 * any other option, checked with zod so that every problem is reported at
 * once with its place in the file (`regions[2].auth_url: not a URL`).
 * Credentials never go in the file; they stay in the environment.
 *
 * @module
 */

import { z } from "zod";
import { parseJson } from "../json.ts";
import { SHARED_CREDENTIAL_VARIABLES } from "./credentials.ts";
import { REGION_NAME_PATTERN } from "./regions.ts";
import {
  bareHost,
  ConfigError,
  hostProblem,
  httpUrlProblem,
  INTEGER_OPTIONS,
  type IntegerOption,
  LOG_LEVELS,
  originProblem,
} from "./values.ts";

function wholeNumber({ min, max }: IntegerOption) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
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
  // The name of a variable, never a value: lets a region on another site use the shared one.
  credential: z.enum(SHARED_CREDENTIAL_VARIABLES, {
    error:
      "expected the name CAS_SESSION or SERVICE_ACCOUNT_SECRET (the value stays in the environment)",
  }).optional(),
});

const configFileSchema = z.strictObject({
  port: wholeNumber(INTEGER_OPTIONS.port),
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
  timeout_ms: wholeNumber(INTEGER_OPTIONS.timeoutMs),
  cache_ttl: wholeNumber(INTEGER_OPTIONS.cacheTtl),
  concurrency: wholeNumber(INTEGER_OPTIONS.concurrency),
  cache_max_mb: wholeNumber(INTEGER_OPTIONS.cacheMaxMb),
  max_sessions: wholeNumber(INTEGER_OPTIONS.maxSessions),
  max_sessions_per_client: wholeNumber(INTEGER_OPTIONS.maxSessionsPerClient),
  drain_delay: wholeNumber(INTEGER_OPTIONS.drainDelay),
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
    const { line, column } = jsonErrorPlace(text);
    throw new ConfigFileError([
      `the file is not valid JSON at line ${line}, column ${column}: check the commas and quotes there and just before`,
    ]);
  }
  const result = configFileSchema.safeParse(json, { error: describeIssue });
  if (result.success) return result.data;
  throw new ConfigFileError(result.error.issues.flatMap(formatIssue));
}

/**
 * Returns the line and column (from 1) where `text` stops being JSON. V8 names
 * the offset in most messages; for the others it is the shortest prefix that
 * fails otherwise than by ending early. The message itself is never shown: it
 * may quote the file.
 */
export function jsonErrorPlace(text: string): { line: number; column: number } {
  const offset = jsonErrorOffset(text);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

function jsonErrorOffset(text: string): number {
  const named = namedOffset(jsonError(text));
  if (named !== undefined) return named;
  // Each prefix before the fault fails only by ending early; from the fault on, otherwise.
  const endsEarly = (end: number) => {
    const message = jsonError(text.slice(0, end)) ?? "";
    return /Unexpected end|Unterminated/.test(message) || namedOffset(message) === end;
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (endsEarly(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

function namedOffset(message: string | undefined): number | undefined {
  const position = message?.match(/at position (\d+)/);
  return position ? Number(position[1]) : undefined;
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
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

/** Options for {@linkcode readConfigFile}. */
export interface ReadConfigFileOptions {
  /** Reads the config file named by `--config`; `Deno.readTextFileSync` by default. */
  readFile?: (path: string) => string;
}

/**
 * Reads and parses the config file at `path`; no path gives an empty file.
 *
 * @throws {ConfigError} when it cannot be read, or listing every problem with its place.
 */
export function readConfigFile(
  path: string | undefined,
  options: ReadConfigFileOptions = {},
): ConfigFile {
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
