/**
 * MCP over stdin/stdout for desktop clients: one JSON-RPC message a line,
 * read in linear time and bounded in length. Stdout carries JSON-RPC only.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import { isRecord } from "./json.ts";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type McpServer,
  type Transport,
} from "./mcp_sdk.ts";

/** The longest line read from stdin; a longer one is refused with a JSON-RPC parse error. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

const PARSE_ERROR = -32700;
// Not -32000: the SDK's client reads that code as "connection closed", which hides the message.
const INTERNAL_ERROR = -32603;

/** Where answers are written: `Deno.stdout`, or a fake in tests. */
export interface Output {
  /** Writes some of `bytes` and resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options for {@linkcode createLineSplitter}. */
export interface LineSplitterOptions {
  /** Lines longer than this many bytes are dropped and reported to `onOversized`. */
  maxLineBytes: number;
  /** Receives each non-blank line, without its "\n" or "\r\n". */
  onLine(line: string): void;
  /** Called once for each line that passed `maxLineBytes`, as soon as it did. */
  onOversized(): void;
}

/** Splits a byte stream into lines; each byte is looked at once, however the stream is cut. */
export interface LineSplitter {
  /** Takes the next bytes of the stream. */
  push(chunk: Uint8Array): void;
  /** How many bytes were searched for a line end so far (each byte pushed is, once). */
  readonly scannedBytes: number;
}

/**
 * Returns a splitter of UTF-8 lines ended by "\n" (a "\r" before it is
 * dropped too); an unterminated rest is never delivered.
 */
export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { maxLineBytes, onLine, onOversized } = options;
  const decoder = new TextDecoder();
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let skipping = false;
  let scannedBytes = 0;
  const keep = (bytes: Uint8Array) => {
    if (skipping || bytes.length === 0) return;
    pending += bytes.length;
    if (pending > maxLineBytes) {
      pieces = [];
      pending = 0;
      skipping = true;
      onOversized();
      return;
    }
    // A copy: a chunk read from stdin is a view into a buffer much larger than the piece kept.
    pieces.push(bytes.slice());
  };
  const endLine = () => {
    if (skipping) {
      skipping = false;
      return;
    }
    const line = decoder.decode(concatBytes(pieces, pending)).replace(/\r$/, "");
    pieces = [];
    pending = 0;
    if (line.trim() !== "") onLine(line);
  };
  return {
    push(chunk) {
      for (let start = 0; start < chunk.length;) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline;
        scannedBytes += end - start + (newline === -1 ? 0 : 1);
        keep(chunk.subarray(start, end));
        if (newline === -1) return;
        endLine();
        start = newline + 1;
      }
    },
    get scannedBytes() {
      return scannedBytes;
    },
  };
}

/** Options for {@linkcode serveStdio}. */
export interface ServeStdioOptions {
  /** Once stdin ends, how long requests already received may take to be answered. */
  drainTimeoutMs: number;
  /** The client's messages; `Deno.stdin.readable` by default. */
  input?: ReadableStream<Uint8Array>;
  /** Where answers go; `Deno.stdout` by default. */
  output?: Output;
  /** The longest line accepted; 4 MiB by default. */
  maxLineBytes?: number;
}

/**
 * Serves `server` over stdio; resolves when the server closes, which it does
 * once stdin ends and every request received by then has been answered (or
 * `drainTimeoutMs` passed), or when stdout is gone.
 */
export async function serveStdio(server: McpServer, options: ServeStdioOptions): Promise<void> {
  const { input = Deno.stdin.readable, output = Deno.stdout } = options;
  const outputGone = Promise.withResolvers<void>();
  const write = serialWriter(output, () => outputGone.resolve());
  const unanswered = createUnanswered();
  const reader = input.getReader();
  const inputEnded = Promise.withResolvers<void>();
  let closed = false;
  const transport: Transport = {
    start() {
      readAll(reader, splitter).finally(inputEnded.resolve);
      return Promise.resolve();
    },
    async send(message) {
      if (closed) return;
      await write(`${JSON.stringify(message)}\n`);
      const id = responseId(message);
      if (id !== undefined) unanswered.settle(id);
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      reader.cancel().catch(() => {});
      transport.onclose?.();
      return Promise.resolve();
    },
  };
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const splitter = createLineSplitter({
    maxLineBytes,
    onLine: (line) => receive(line, { transport, unanswered, closed: () => closed }),
    onOversized: () =>
      void write(errorLine(null, {
        code: PARSE_ERROR,
        message:
          `Parse error: a line passed ${maxLineBytes} bytes and was dropped: send each message on one line of at most that size`,
      })),
  });
  const closedDown = new Promise<void>((resolve) => transport.onclose = resolve);
  await server.connect(transport);
  // A client that exits must stop us, but only after the answers to what it already asked
  // (`printf ... | server --stdio`).
  void inputEnded.promise.then(async () => {
    await unanswered.answered(options.drainTimeoutMs);
    await server.close();
  });
  // Nobody is left to read the answers (EPIPE): stop instead of crashing.
  void outputGone.promise.then(() => {
    unanswered.abandon();
    return server.close();
  });
  await closedDown;
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  splitter: LineSplitter,
): Promise<void> {
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      splitter.push(next.value);
    }
  } catch {
    // Stdin failed or the transport was closed: either way, nothing more will be read.
  }
}

function receive(
  line: string,
  { transport, unanswered, closed }: {
    transport: Transport;
    unanswered: ReturnType<typeof createUnanswered>;
    closed: () => boolean;
  },
) {
  if (closed()) return;
  let message: JSONRPCMessage;
  try {
    message = JSONRPCMessageSchema.parse(JSON.parse(line));
  } catch (error) {
    // As the SDK's own stdio transport: a malformed line is reported, not answered.
    transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  const id = requestId(message);
  if (id !== undefined) unanswered.add(id);
  const cancelled = cancelledRequestId(message);
  if (cancelled !== undefined) unanswered.settle(cancelled);
  transport.onmessage?.(message);
}

/** Options for {@linkcode refuseFirstRequest}. */
export interface RefuseFirstRequestOptions {
  /** How long to wait for the first line. */
  timeoutMs: number;
  /** The client's messages; `Deno.stdin.readable` by default. */
  input?: ReadableStream<Uint8Array>;
  /** Where the answer goes; `Deno.stdout` by default. */
  output?: Output;
  /** The longest first line read; 4 MiB by default. */
  maxLineBytes?: number;
}

/**
 * Answers the first request on stdin (a client's `initialize`) with a
 * JSON-RPC error carrying `message`, so that a server that cannot start tells
 * its client why; resolves once answered, or when stdin ends, holds no
 * request, or `timeoutMs` passed.
 */
export async function refuseFirstRequest(
  message: string,
  options: RefuseFirstRequestOptions,
): Promise<void> {
  const { input = Deno.stdin.readable, output = Deno.stdout } = options;
  const reader = input.getReader();
  const first = Promise.withResolvers<string | undefined>();
  const splitter = createLineSplitter({
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    onLine: first.resolve,
    onOversized: () => first.resolve(undefined),
  });
  const timer = setTimeout(() => first.resolve(undefined), options.timeoutMs);
  readAll(reader, splitter).finally(() => first.resolve(undefined));
  const line = await first.promise;
  clearTimeout(timer);
  reader.cancel().catch(() => {});
  const id = line === undefined ? undefined : requestIdOf(line);
  if (id === undefined) return;
  const answer = errorLine(id, { code: INTERNAL_ERROR, message });
  await serialWriter(output, () => {})(answer);
}

function requestIdOf(line: string): string | number | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (!isRecord(value) || typeof value.method !== "string") return undefined;
    return typeof value.id === "string" || typeof value.id === "number" ? value.id : undefined;
  } catch {
    return undefined;
  }
}

function errorLine(
  id: string | number | null,
  error: { code: number; message: string },
): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error })}\n`;
}

type RequestId = string | number;

function createUnanswered() {
  const ids = new Set<RequestId>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  return {
    add: (id: RequestId) => ids.add(id),
    settle(id: RequestId) {
      if (ids.delete(id) && ids.size === 0) wake();
    },
    answered(timeoutMs: number): Promise<void> {
      if (ids.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    },
    abandon() {
      ids.clear();
      wake();
    },
  };
}

// Writes one message at a time, whole; once the reader is gone, the rest is dropped.
function serialWriter(output: Output, onGone: () => void): (text: string) => Promise<void> {
  const encoder = new TextEncoder();
  let tail = Promise.resolve();
  let gone = false;
  return (text) => {
    tail = tail.then(async () => {
      if (gone) return;
      try {
        const bytes = encoder.encode(text);
        for (let written = 0; written < bytes.length;) {
          written += await output.write(bytes.subarray(written));
        }
      } catch {
        gone = true;
        onGone();
      }
    });
    return tail;
  };
}

function requestId(message: JSONRPCMessage): RequestId | undefined {
  return isJSONRPCRequest(message) ? message.id : undefined;
}

function responseId(message: JSONRPCMessage): RequestId | undefined {
  const answers = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
  return answers ? message.id ?? undefined : undefined;
}

function cancelledRequestId(message: JSONRPCMessage): RequestId | undefined {
  if (!("method" in message) || message.method !== "notifications/cancelled") return undefined;
  const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === "string" || typeof requestId === "number" ? requestId : undefined;
}
