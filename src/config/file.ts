/** The JSON config file: any option but credentials and commands, every problem reported at once.
 * @module */

import { z } from "zod";
import { parseJson } from "../json.ts";
import { ConfigError, SCHEMA, type Settings } from "./options.ts";

// Not in the file: credentials stay in the environment, and commands are not settings.
const OMITTED = { config: true, auth_token: true, json: true, help: true, version: true } as const;
const FILE_SCHEMA = SCHEMA.omit(OMITTED);

// Where `text` stops being JSON; V8's message is never shown: it may quote the file.
function notJson(text: string): string {
  const before = text.slice(0, jsonErrorOffset(text)).split("\n");
  return `the file is not valid JSON at line ${before.length}, column ${
    before.at(-1)!.length + 1
  }: check the commas and quotes there and just before`;
}

function jsonErrorOffset(text: string): number {
  const failure = (end: number) => {
    try {
      JSON.parse(text.slice(0, end));
      return "";
    } catch (error) {
      return String(error);
    }
  };
  const offsetIn = (message: string) => Number(message.match(/at position (\d+)/)?.[1] ?? NaN);
  const named = offsetIn(failure(text.length));
  if (!Number.isNaN(named)) return named;
  // Each prefix before the fault fails only by ending early; from the fault on, otherwise.
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const message = failure(middle);
    if (/Unexpected end|Unterminated/.test(message) || offsetIn(message) === middle) low = middle;
    else high = middle - 1;
  }
  return low;
}

// For issues without a message of their own; no value is echoed: it may be a pasted cookie.
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return "missing";
  return `expected ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
}

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

function formatPath(path: PropertyKey[]): string {
  return path.length === 0 ? "the file" : z.core.toDotPath(path);
}

/** The largest config file read; a list of regions takes a few hundred bytes. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Options for {@linkcode readConfigFile}: `readFile` replaces reading from disk. */
export interface ReadConfigFileOptions {
  readFile?: (path: string) => string;
}

/** Reads the config file at `path`, if any; a {@linkcode ConfigError} lists every problem. */
export function readConfigFile(
  path: string | undefined,
  { readFile = readCappedTextFile }: ReadConfigFileOptions = {},
): Settings {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(describeReadError(error, path), { cause: error });
  }
  const json = parseJson(text);
  const result = json === undefined
    ? undefined
    : FILE_SCHEMA.safeParse(json, { error: describeIssue });
  if (result?.success) return result.data;
  const problems = result?.error.issues.flatMap(formatIssue) ?? [notJson(text)];
  const count = problems.length;
  const [noun, pronoun] = count === 1 ? ["problem", "it"] : ["problems", "them"];
  const list = problems.map((problem) => `  ${problem}`).join("\n");
  throw new ConfigError(
    `Invalid config file ${path} (${count} ${noun}), fix ${pronoun} and restart:\n${list}`,
  );
}

// Reads one byte past the cap at most, whatever size is reported: think `--config /dev/zero`.
function readCappedTextFile(path: string): string {
  using file = Deno.openSync(path);
  const buffer = new Uint8Array(MAX_CONFIG_FILE_BYTES + 1);
  let size = 0;
  while (size < buffer.length) {
    const read = file.readSync(buffer.subarray(size));
    if (read === null) break;
    size += read;
  }
  if (size > MAX_CONFIG_FILE_BYTES) {
    const limit = `${MAX_CONFIG_FILE_BYTES / 1024 / 1024} MiB`;
    throw new ConfigError(
      `Config file ${path} is larger than ${limit}, the limit: check that --config or MCP_CONFIG names the JSON config file`,
    );
  }
  return new TextDecoder().decode(buffer.subarray(0, size));
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
