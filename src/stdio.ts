/**
 * MCP over stdin/stdout for desktop clients. Not the SDK's `StdioServerTransport`: its reader
 * copies the whole buffer on every chunk (quadratic in a line's length) and closes on a line
 * over its limit, and its `send` resolves before the bytes are written, so an answer could be
 * lost at exit. Here lines are read in linear time and bounded; stdout carries JSON-RPC only.
 *
 * @module
 */

import { settledWithin } from "./async.ts";
import { concatBytes } from "./bytes.ts";
import { isRecord } from "./json.ts";
import { cancelledIdsOf, requestIdsOf } from "./http/rpc_messages.ts";
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type McpServer,
  type RequestId,
  type Transport,
} from "./mcp_sdk.ts";

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
  maxLineBytes: number;
  /** Receives each non-blank line, without its "\n" or "\r\n". */
  onLine(line: string): void;
  /** Called once for each line over `maxLineBytes`, as soon as it passes it; the line is dropped. */
  onOversized(): void;
}

/** Splits a byte stream into lines; each byte is looked at once, however the stream is cut. */
export interface LineSplitter {
  push(chunk: Uint8Array): void;
  /** How many bytes were searched for a line end so far. */
  readonly scannedBytes: number;
}

/** Returns a splitter of UTF-8 lines; an unterminated rest is never delivered. */
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
    const line = skipping ? "" : decoder.decode(concatBytes(pieces, pending)).replace(/\r$/, "");
    pieces = [];
    pending = 0;
    skipping = false;
    if (line.trim() !== "") onLine(line);
  };
  return {
    push(chunk) {
      for (let start = 0; start < chunk.length;) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline + 1;
        scannedBytes += end - start;
        keep(chunk.subarray(start, newline === -1 ? end : newline));
        if (newline !== -1) endLine();
        start = end;
      }
    },
    get scannedBytes() {
      return scannedBytes;
    },
  };
}

/** Where {@linkcode serveStdio} and {@linkcode refuseFirstRequest} read and write. */
export interface StdioOptions {
  /** The client's messages; `Deno.stdin.readable` by default. */
  input?: ReadableStream<Uint8Array>;
  /** Where answers go; `Deno.stdout` by default. */
  output?: Output;
  /** The longest line accepted; 4 MiB by default. */
  maxLineBytes?: number;
}

/**
 * Serves `server` over stdio; resolves when the server closes: once stdin ends and every
 * request received by then is answered (or `drainTimeoutMs` passed), or when stdout is gone.
 */
export async function serveStdio(
  server: McpServer,
  options: StdioOptions & { drainTimeoutMs: number },
): Promise<void> {
  const { input = Deno.stdin.readable, output = Deno.stdout } = options;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // Nobody is left to read the answers (EPIPE): stop instead of crashing.
  const write = serialWriter(output, () => void server.close());
  const reader = input.getReader();
  const unanswered = new Set<RequestId>();
  let drained: PromiseWithResolvers<void> | undefined;
  const settle = (id: RequestId) => {
    if (unanswered.delete(id) && unanswered.size === 0) drained?.resolve();
  };
  let closed = false;
  const transport: Transport = {
    start() {
      // A client that exits must stop us, but only after the answers to what it already asked
      // (`printf ... | server --stdio`).
      readAll(reader, splitter).finally(async () => {
        drained = Promise.withResolvers();
        if (unanswered.size > 0) await settledWithin(drained.promise, options.drainTimeoutMs);
        await server.close();
      });
      return Promise.resolve();
    },
    async send(message) {
      if (closed) return;
      await write(`${JSON.stringify(message)}\n`);
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
        if (message.id !== undefined) settle(message.id);
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      drained?.resolve();
      reader.cancel().catch(() => {});
      transport.onclose?.();
      return Promise.resolve();
    },
  };
  const splitter = createLineSplitter({
    maxLineBytes,
    onLine(line) {
      if (closed) return;
      let message: JSONRPCMessage;
      try {
        message = JSONRPCMessageSchema.parse(JSON.parse(line));
      } catch (error) {
        // As the SDK's own stdio transport: a malformed line is reported, not answered.
        transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      for (const id of requestIdsOf(message)) unanswered.add(id);
      for (const id of cancelledIdsOf(message)) settle(id);
      transport.onmessage?.(message);
    },
    onOversized: () =>
      void write(errorLine(null, {
        code: PARSE_ERROR,
        message:
          `Parse error: a line passed ${maxLineBytes} bytes and was dropped: send each message on one line of at most that size`,
      })),
  });
  const closedDown = new Promise<void>((resolve) => transport.onclose = resolve);
  await server.connect(transport);
  await closedDown;
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, splitter: LineSplitter) {
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      splitter.push(next.value);
    }
  } catch {
    // Stdin failed or the transport was closed: either way, nothing more will be read.
  }
}

/**
 * Answers the first request on stdin (a client's `initialize`) with a JSON-RPC error carrying
 * `message`, so that a server that cannot start tells its client why; resolves once answered,
 * or when stdin ends, holds no request, or `timeoutMs` passed.
 */
export async function refuseFirstRequest(
  message: string,
  options: StdioOptions & { timeoutMs: number },
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
  const id = line === undefined ? undefined : firstRequestId(line);
  if (id !== undefined) {
    await serialWriter(output, () => {})(errorLine(id, { code: INTERNAL_ERROR, message }));
  }
}

function firstRequestId(line: string): RequestId | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? requestIdsOf(value)[0] : undefined;
  } catch {
    return undefined;
  }
}

function errorLine(id: RequestId | null, error: { code: number; message: string }): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error })}\n`;
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
