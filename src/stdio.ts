/** MCP over stdin/stdout for desktop clients; stdout carries JSON-RPC only. Our own transport,
 * not the SDK's `StdioServerTransport` (docs/design.md says why).
 * @module */

import { settledWithin } from "./async.ts";
import { concatBytes } from "./bytes.ts";
import { isRecord, parseJson } from "./json.ts";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type McpServer,
  type RequestId,
  type Transport,
} from "./mcp_sdk.ts";
import { SHUTDOWN_DEADLINE_MS, SHUTTING_DOWN } from "./shutdown.ts";
import { cancellation, Unanswered } from "./unanswered.ts";

const MAX_LINE_BYTES = 4 * 1024 * 1024;
// How long answers to the requests read before stdin ended are waited for.
const DRAIN_TIMEOUT_MS = 30_000;
const encoder = new TextEncoder();
const PARSE_ERROR = -32700;
// Not -32000: the SDK's client reads that code as "connection closed", which hides the message.
const INTERNAL_ERROR = -32603;

/**
 * Yields each non-blank UTF-8 line of `reader` without its "\n" or "\r\n", and `undefined` for a
 * line over `maxLineBytes` (dropped) as soon as it passes it; each byte is looked at once.
 */
export async function* readLines(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<string | undefined> {
  const decoder = new TextDecoder();
  let pieces: Uint8Array[] = [];
  let size = 0;
  let skipping = false;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const chunk = next.value;
      for (let start = 0; start < chunk.length;) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline;
        if (!skipping && end > start) {
          size += end - start;
          if (size > maxLineBytes) {
            [pieces, skipping] = [[], true];
            yield undefined;
          } else {
            // A copy: a chunk read from stdin is a view into a buffer much larger than the piece.
            pieces.push(chunk.slice(start, end));
          }
        }
        if (newline === -1) break;
        const line = skipping ? "" : decoder.decode(concatBytes(pieces, size)).replace(/\r$/, "");
        [pieces, size, skipping] = [[], 0, false];
        if (line.trim() !== "") yield line;
        start = newline + 1;
      }
    }
  } catch {
    // Stdin failed or the reader was cancelled: either way, nothing more will be read.
  }
}

/** Stdin and stdout by default; `output` is written one whole message at a time. */
export interface StdioOptions {
  input?: ReadableStream<Uint8Array>;
  output?: WritableStream<Uint8Array>;
  /** Once aborted, stdin is no longer read; calls in flight get 5 s, then a shutdown error. */
  stop?: AbortSignal;
}

/**
 * Resolves once stdin ended (or `stop` was aborted) and what it asked is answered (or 30 s, or
 * 5 s after `stop`, passed), or stdout is gone.
 */
export async function serveStdio(server: McpServer, options: StdioOptions = {}): Promise<void> {
  const { input = Deno.stdin.readable, output = Deno.stdout.writable, stop } = options;
  const writer = output.getWriter();
  // Nobody is left to read the answers (EPIPE): stop instead of crashing.
  let lastWrite: Promise<unknown> = Promise.resolve();
  const write = (text: string) =>
    lastWrite = writer.write(encoder.encode(text)).catch(() => server.close());
  const reader = input.getReader();
  const stopped = Promise.withResolvers<void>();
  const stopReading = () => {
    stopped.resolve();
    reader.cancel().catch(() => {});
  };
  if (stop?.aborted) stopReading();
  else stop?.addEventListener("abort", stopReading, { once: true });
  const unanswered = new Unanswered();
  let closed = false;
  const receive = (line: string | undefined) => {
    if (closed || stop?.aborted) return;
    if (line === undefined) {
      const message =
        `Parse error: a line passed ${MAX_LINE_BYTES} bytes and was dropped: send each message on one line of at most that size`;
      return void write(errorLine(null, { code: PARSE_ERROR, message }));
    }
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch (error) {
      // As the SDK's own stdio transport: a malformed line is reported, not answered.
      return transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
    if (isJSONRPCRequest(message)) unanswered.add(message.id);
    if ("method" in message && message.method === "notifications/cancelled") {
      const id = message.params?.requestId;
      if (typeof id === "string" || typeof id === "number") unanswered.answered(id, true);
    }
    transport.onmessage?.(message);
  };
  // A client that exits must stop us, but only after the answers to what it already asked
  // (`printf ... | server --stdio`).
  const readUntilEnd = async () => {
    for await (const line of readLines(reader, MAX_LINE_BYTES)) receive(line);
    await settledWithin(Promise.race([unanswered.drained(), stopped.promise]), DRAIN_TIMEOUT_MS);
    if (stop?.aborted) {
      await settledWithin(unanswered.drained(), SHUTDOWN_DEADLINE_MS);
      for (const requestId of unanswered.ids()) {
        if (!unanswered.has(requestId)) continue; // answered while an earlier error was written
        // Cancelled first, so that the handler's late answer is never sent after the error.
        transport.onmessage?.(cancellation(requestId, SHUTTING_DOWN.message));
        await write(errorLine(requestId, SHUTTING_DOWN));
      }
    }
    await lastWrite;
    await server.close();
  };
  const transport: Transport = {
    start() {
      void readUntilEnd();
      return Promise.resolve();
    },
    async send(message) {
      if (closed) return;
      // Counted before the write, so that shutdown never answers it a second time meanwhile.
      const answer = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
      if (answer && message.id !== undefined) unanswered.answered(message.id);
      await write(`${JSON.stringify(message)}\n`);
    },
    close() {
      if (!closed) {
        closed = true;
        unanswered.clear();
        reader.cancel().catch(() => {});
        transport.onclose?.();
      }
      return Promise.resolve();
    },
  };
  const closedDown = new Promise<void>((resolve) => transport.onclose = resolve);
  await server.connect(transport);
  await closedDown;
}

/** Answers the first request on stdin (a client's `initialize`) with `message` as its error. */
export async function refuseFirstRequest(
  message: string,
  options: StdioOptions & { timeoutMs: number },
): Promise<void> {
  const { input = Deno.stdin.readable, output = Deno.stdout.writable } = options;
  const reader = input.getReader();
  // Cancelling the reader ends the line reader, and with it the wait.
  const timer = setTimeout(() => reader.cancel().catch(() => {}), options.timeoutMs);
  const { value: line } = await readLines(reader, MAX_LINE_BYTES).next();
  clearTimeout(timer);
  reader.cancel().catch(() => {});
  const request = line === undefined ? undefined : parseJson(line);
  // Deliberately not the SDK's strict guard: a client slightly off the spec (no `jsonrpc`, an
  // extra key) must still be told why the server did not start, not just see stdout close.
  const id = isRecord(request) && typeof request.method === "string" ? request.id : undefined;
  if (typeof id === "string" || typeof id === "number") {
    const answer = encoder.encode(errorLine(id, { code: INTERNAL_ERROR, message }));
    await output.getWriter().write(answer).catch(() => {});
  }
}

function errorLine(id: RequestId | null, error: { code: number; message: string }): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error })}\n`;
}
