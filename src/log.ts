/**
 * Logging to stderr only (stdout belongs to the stdio transport), through
 * LogTape, with every line redacted before it is written.
 *
 * @module
 */

import { configure, getLogger, getTextFormatter, type LogRecord } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";
import { redact, type Secret } from "./secret.ts";

/** What modules need from a logger; LogTape's loggers satisfy it, and so do test recorders. */
export interface Logger {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

const ROOT_CATEGORY = "byted-live-promotion";

/** Options for {@linkcode setupLogging}. */
export interface SetupLoggingOptions {
  /** Values scrubbed from every line, on top of anything shaped like a JWT. */
  secrets?: readonly Secret[];
  /** Where formatted lines go; standard error by default. */
  write?: (line: string) => void;
}

/** Sends every log record at `level` or above to stderr, one redacted line each. */
export async function setupLogging(level: LogLevel, options: SetupLoggingOptions = {}) {
  const { secrets = [], write = writeStderr } = options;
  const format = getTextFormatter({
    timestamp: "date-time-tz",
    category: ".",
    value: (value) => typeof value === "string" ? value : Deno.inspect(value),
  });
  await configure({
    reset: true,
    sinks: { stderr: (record: LogRecord) => write(redact(format(record), secrets)) },
    loggers: [
      { category: [ROOT_CATEGORY], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** The logger of one part of the server, such as `auth` or `http`. */
export function logger(category: string): Logger {
  return getLogger([ROOT_CATEGORY, category]);
}

const encoder = new TextEncoder();

function writeStderr(line: string) {
  const bytes = encoder.encode(line);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}
