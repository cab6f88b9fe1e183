/**
 * Logging to stderr only (stdout belongs to the stdio transport), through
 * LogTape, with every line redacted before it is written. Lines are written
 * in the background through a bounded buffer: a host that never reads our
 * stderr costs log lines (counted), never an answer.
 *
 * @module
 */

import {
  compareLogLevel,
  configure,
  getConfig,
  getLogger,
  getTextFormatter,
  type LogLevel as LogTapeLevel,
  type LogRecord,
} from "@logtape/logtape";
import { redact, type Secret } from "./secret.ts";

/** The levels a user may set, lower-cased; `warning` is LogTape's name for warn. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** What modules need from a logger; LogTape's loggers satisfy it, and so do test recorders. */
export interface Logger {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** Writes `text` somewhere and resolves once it is written; standard error by default. */
export type LogWriter = (text: string) => Promise<void>;

/** The running log output, as {@linkcode setupLogging} returns it. */
export interface LogOutput {
  /** How many log lines were dropped so far because the buffer was full or the write failed. */
  dropped(): number;
  /** Resolves once every buffered line is written; never, while the writer is stuck. */
  flush(): Promise<void>;
}

const ROOT_CATEGORY = "byted-live-promotion";

/** How much unwritten log text is kept, in characters, before new lines are dropped. */
const DEFAULT_LOG_BUFFER_CHARS = 1024 * 1024;

/** Options for {@linkcode setupLogging}. */
export interface SetupLoggingOptions {
  /** Values scrubbed from every line, on top of anything shaped like a JWT. */
  secrets?: readonly Secret[];
  /** Where formatted lines go; standard error by default. */
  write?: LogWriter;
  /** Unwritten text kept at most, in characters; 1 MiB by default. */
  maxBufferedChars?: number;
}

/**
 * Sends every log record at `level` or above to stderr, one redacted line
 * each, and returns the output's drop count and a way to flush it.
 */
export async function setupLogging(
  level: LogLevel,
  options: SetupLoggingOptions = {},
): Promise<LogOutput> {
  const { secrets = [], write = writeStderr, maxBufferedChars } = options;
  const format = getTextFormatter({
    timestamp: "date-time-tz",
    category: ".",
    value: (value) => typeof value === "string" ? oneLine(value) : Deno.inspect(value),
  });
  const buffer = createLogBuffer(write, {
    maxChars: maxBufferedChars,
    onDropped: (count) =>
      logger("log").warn(
        "{count} log lines dropped: standard error was not read fast enough",
        { count },
      ),
  });
  await configure({
    reset: true,
    sinks: { stderr: (record: LogRecord) => buffer.push(redact(format(record), secrets)) },
    loggers: [
      { category: [ROOT_CATEGORY], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  return { dropped: buffer.dropped, flush: buffer.flush };
}

// A keyword from a client or a message from an upstream may hold line breaks: written as they
// are, they would forge log lines of their own. Control characters are escaped instead, and so
// are the ones that reorder or break a line on screen without being controls: the bidirectional
// marks, embeddings, overrides and isolates (U+202E shows the rest of a line reversed), the line
// and paragraph separators, and U+FEFF (invisible). Other format characters, such as the zero
// width joiner inside emoji, are left alone.
const CONTROL_CHARACTERS =
  /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function oneLine(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * An error as one short log value: its name and the first line of its
 * message, without the stack (Deno's own errors may carry one in the message).
 * For failures that are expected, such as a client going away.
 */
export function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split("\n")[0] ?? "";
  const firstLine = error.message.split("\n")[0] ?? "";
  return firstLine.startsWith(`${error.name}:`) ? firstLine : `${error.name}: ${firstLine}`;
}

/**
 * The logger of one part of the server, such as `auth` or `http`. A call
 * below the configured level returns at once: LogTape would build (and then
 * drop) a whole record for it, which costs on every request.
 */
export function logger(category: string): Logger {
  const target = getLogger([ROOT_CATEGORY, category]);
  return {
    debug: (message, properties) => {
      if (isEnabled("debug")) target.debug(message, properties);
    },
    info: (message, properties) => {
      if (isEnabled("info")) target.info(message, properties);
    },
    warn: (message, properties) => {
      if (isEnabled("warning")) target.warn(message, properties);
    },
    error: (message, properties) => {
      if (isEnabled("error")) target.error(message, properties);
    },
  };
}

// Read from LogTape's configuration on each call (a short scan), so that a new `configure`
// (tests reconfigure) takes effect at once; with no configuration nothing is written anyway.
function isEnabled(level: LogTapeLevel): boolean {
  const root = getConfig()?.loggers.find(({ category }) =>
    Array.isArray(category)
      ? category.length === 1 && category[0] === ROOT_CATEGORY
      : category === ROOT_CATEGORY
  );
  if (!root) return false;
  return root.lowestLevel === undefined ||
    (root.lowestLevel !== null && compareLogLevel(level, root.lowestLevel) >= 0);
}

/** A bounded queue of text in front of a slow writer, from {@linkcode createLogBuffer}. */
export interface LogBuffer extends LogOutput {
  /** Queues `line` for writing, or drops it (counted) when it does not fit; never waits. */
  push(line: string): void;
}

/** Options for {@linkcode createLogBuffer}. */
export interface LogBufferOptions {
  /** Unwritten text kept at most, in characters. */
  maxChars?: number;
  /** Called once the writer caught up after dropping `count` lines. */
  onDropped?: (count: number) => void;
}

/**
 * Returns a buffer that writes pushed lines through `write` one batch at a
 * time, keeps at most `maxChars` unwritten, and drops (and counts) the rest.
 */
export function createLogBuffer(write: LogWriter, options: LogBufferOptions = {}): LogBuffer {
  const { maxChars = DEFAULT_LOG_BUFFER_CHARS, onDropped } = options;
  let queue: string[] = [];
  let bufferedChars = 0;
  let droppedTotal = 0;
  let unreported = 0;
  let writing: Promise<void> | undefined;

  async function drain() {
    while (queue.length > 0) {
      const lines = queue;
      const text = lines.join("");
      queue = [];
      try {
        await write(text);
      } catch {
        // Standard error is closed: there is nowhere left to report this.
        droppedTotal += lines.length;
      }
      bufferedChars -= text.length;
      if (queue.length === 0 && unreported > 0) {
        const count = unreported;
        unreported = 0;
        onDropped?.(count);
      }
    }
    writing = undefined;
  }

  return {
    push(line) {
      if (bufferedChars + line.length > maxChars) {
        droppedTotal++;
        unreported++;
        return;
      }
      queue.push(line);
      bufferedChars += line.length;
      writing ??= drain();
    },
    dropped: () => droppedTotal,
    flush: () => writing ?? Promise.resolve(),
  };
}

const encoder = new TextEncoder();

async function writeStderr(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stderr.write(bytes.subarray(written));
}
