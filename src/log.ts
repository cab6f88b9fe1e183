/** Logging to stderr only (stdout is the stdio transport's), redacted, through a bounded buffer:
 * a host that never reads our stderr costs log lines (counted), never an answer.
 * @module */

import {
  compareLogLevel,
  configure,
  getConfig,
  getLogger,
  getTextFormatter,
  type LogRecord,
} from "@logtape/logtape";
import { redact, type Secret } from "./secret.ts";
import { CONTROL_CHARACTERS } from "./text.ts";

/** The levels a user may set, lower-cased; `warning` is LogTape's name for warn. */
export type LogLevel = "debug" | "info" | "warning" | "error";

export type LogMethod = (message: string, properties?: Record<string, unknown>) => void;

/** What modules need from a logger; LogTape's loggers satisfy it, and so do test recorders. */
export type Logger = Record<"debug" | "info" | "warn" | "error", LogMethod>;

export type LogWriter = (text: string) => Promise<void>;

/** Lines dropped so far, and a flush (that never ends while stuck). */
export interface LogOutput {
  dropped(): number;
  flush(): Promise<void>;
}

const ROOT_CATEGORY = "byted-live-promotion";

/** Sends records at `level` and above to `write`, one redacted line each, through a buffer. */
export async function setupLogging(
  level: LogLevel,
  { secrets = [], write = writeStderr, maxBufferedChars = 1024 * 1024 }: {
    secrets?: readonly Secret[];
    write?: LogWriter;
    maxBufferedChars?: number;
  } = {},
): Promise<LogOutput> {
  const format = getTextFormatter({
    timestamp: "date-time-tz",
    category: ".",
    value: (value) => typeof value === "string" ? oneLine(value) : Deno.inspect(value),
  });
  const buffer = createLogBuffer(write, maxBufferedChars, (count) => {
    logger("log").warn("{count} log lines dropped: standard error was not read fast enough", {
      count,
    });
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

// Escaped so that a keyword or an upstream message cannot forge a log line.
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function oneLine(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** An expected error as one short log value: its name and first line, no stack. */
export function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split("\n")[0] ?? "";
  const firstLine = error.message.split("\n")[0] ?? "";
  return firstLine.startsWith(`${error.name}:`) ? firstLine : `${error.name}: ${firstLine}`;
}

/**
 * The logger of one part of the server, such as `auth`. A call below the configured level
 * returns at once: LogTape would build (and then drop) a whole record for it on every request.
 */
export function logger(category: string): Logger {
  const target = getLogger([ROOT_CATEGORY, category]);
  const at = (level: LogLevel): LogMethod => (message, properties) => {
    if (isEnabled(level)) target[level](message, properties);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warning"), error: at("error") };
}

// Read on each call, so that a new `configure` (tests reconfigure) takes effect at once.
function isEnabled(level: LogLevel): boolean {
  // A one-element category array prints as its element.
  const root = getConfig()?.loggers.find(({ category }) => String(category) === ROOT_CATEGORY);
  if (!root || root.lowestLevel === null) return false;
  return compareLogLevel(level, root.lowestLevel ?? "trace") >= 0;
}

// Writes pushed lines one batch at a time, keeps at most `maxChars` unwritten, and drops and
// counts the rest; `onDropped` is told the count once the writer has caught up. `push` never waits.
function createLogBuffer(
  write: LogWriter,
  maxChars: number,
  onDropped: (count: number) => void,
): LogOutput & { push(line: string): void } {
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
        // Promise.try: a writer that throws at once must not end this drain before `writing` is set.
        await Promise.try(write, text);
      } catch {
        // Standard error is closed: there is nowhere left to report these.
        droppedTotal += lines.length;
      }
      bufferedChars -= text.length;
      if (queue.length === 0 && unreported > 0) {
        const count = unreported;
        unreported = 0;
        onDropped(count);
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

async function writeStderr(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stderr.write(bytes.subarray(written));
}
