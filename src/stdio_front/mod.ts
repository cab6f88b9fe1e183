/**
 * MCP over stdin/stdout, in front of a server that may still be loading.
 * While it loads, the front answers `initialize`, `ping` and `tools/list`
 * from answers generated at build time (`deno task generate`) and keeps
 * every other message; once the server is attached, it replays them in order
 * (`initialize` too, so the server knows its client, its duplicate answer
 * dropped) and then passes every line through. It imports nothing at run
 * time, so a desktop client's handshake is answered as fast as Deno starts.
 *
 * @module
 */

import type { JSONRPCMessage, Transport } from "../mcp_sdk.ts";
import { isRecord } from "../json.ts";
import { answerEarly, type FrontAnswers } from "./answer.ts";

export type { FrontAnswers } from "./answer.ts";

/** Where the front writes: `Deno.stdout`, or a fake in tests. */
export interface Output {
  /** Writes some of `bytes` and resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options for {@linkcode openStdioFront}. */
export interface StdioFrontOptions {
  /** The client's messages, one JSON-RPC message a line: `Deno.stdin.readable`. */
  input: ReadableStream<Uint8Array>;
  /** Where answers go, one a line: `Deno.stdout`. */
  output: Output;
  /** What to answer before the server is attached; without them every message waits for it. */
  answers?: FrontAnswers;
  /** How long after the handshake's last answer the server is asked for; 50 ms by default. */
  graceMs?: number;
}

/** The front: answers early, and hands everything to the server once it is attached. */
export interface StdioFront {
  /**
   * Resolves once the server is wanted: a request came that only it can
   * answer, `graceMs` passed since `tools/list` was answered (what follows
   * the handshake is mostly calls), or stdin ended.
   */
  readonly needed: Promise<void>;
  /** Connects the server's side; call once. */
  attach(options: AttachOptions): StdioLink;
}

/** Options for {@linkcode StdioFront.attach}. */
export interface AttachOptions {
  /** Checks a parsed line as the SDK's stdio transport does (`JSONRPCMessageSchema.parse`). */
  validate(value: unknown): JSONRPCMessage;
}

/** The server's side of the front. */
export interface StdioLink {
  /** The transport to give `server.connect`; its `start` replays what was kept. */
  readonly transport: Transport;
  /** Resolves when stdin has ended (every line read by then is with the server once started). */
  readonly inputEnded: Promise<void>;
  /** Resolves when stdout is gone: nobody reads the answers any more (EPIPE). */
  readonly outputGone: Promise<void>;
  /** Resolves when every request handed to the server is answered or cancelled, or after `timeoutMs`. */
  answered(timeoutMs: number): Promise<void>;
  /** Gives up on every answer still owed. */
  abandon(): void;
}

type RequestId = string | number;

const HANDSHAKE_GRACE_MS = 50;

// Replayed requests carry an id of their own, so their answers can be told apart and dropped.
const REPLAY_ID_PREFIX = "stdio-front-replay:";

/** Starts reading `input` at once and answering what the front can. */
export function openStdioFront(options: StdioFrontOptions): StdioFront {
  const { answers, graceMs = HANDSHAKE_GRACE_MS } = options;
  const needed = Promise.withResolvers<void>();
  const inputEnded = Promise.withResolvers<void>();
  const outputGone = Promise.withResolvers<void>();
  const write = serialWriter(options.output, () => outputGone.resolve());
  const kept: string[] = [];
  const replayIds = new Set<RequestId>();
  const stopReading = new AbortController();
  let deliver: ((line: string) => void) | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const need = () => {
    clearTimeout(grace);
    needed.resolve();
  };
  // Not at once: the client is busy with the tool list, and loading the server would take the
  // CPU from it. Not earlier either: the first timer of a process costs ~3 ms to set up.
  const needSoon = () => grace ??= setTimeout(need, graceMs);
  const receive = (line: string) => {
    if (deliver) return deliver(line);
    const early = answers ? answerEarly(line, answers) : undefined;
    if (early) {
      const written = write(`${JSON.stringify(early.response)}\n`);
      if (early.replay) {
        const id = `${REPLAY_ID_PREFIX}${replayIds.size + 1}`;
        replayIds.add(id);
        kept.push(JSON.stringify({ ...early.replay, id }));
      }
      if (early.endsHandshake) void written.then(needSoon);
      return;
    }
    kept.push(line);
    if (!isNotificationLine(line)) need();
  };
  readLines(options.input, { onLine: receive, signal: stopReading.signal }).finally(() => {
    need();
    inputEnded.resolve();
  });

  return {
    needed: needed.promise,
    attach({ validate }) {
      need();
      const link = createLink({
        write,
        validate,
        replayIds,
        // The server is connected: what was kept goes first, in the order it came.
        onStart(toServer) {
          deliver = toServer;
          for (const line of kept.splice(0)) toServer(line);
        },
        onClose: () => stopReading.abort(),
      });
      return { ...link, inputEnded: inputEnded.promise, outputGone: outputGone.promise };
    },
  };
}

function createLink(
  { write, validate, replayIds, onStart, onClose }: {
    write: (text: string) => Promise<void>;
    validate: AttachOptions["validate"];
    replayIds: Set<RequestId>;
    onStart: (deliver: (line: string) => void) => void;
    onClose: () => void;
  },
) {
  const unanswered = createUnanswered();
  let closed = false;
  const transport: Transport = {
    start() {
      onStart(deliver);
      return Promise.resolve();
    },
    async send(message) {
      if (closed) return;
      const id = responseId(message);
      if (id !== undefined && replayIds.delete(id)) return;
      await write(`${JSON.stringify(message)}\n`);
      if (id !== undefined) unanswered.settle(id);
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      onClose();
      transport.onclose?.();
      return Promise.resolve();
    },
  };
  const deliver = (line: string) => {
    if (closed) return;
    let message: JSONRPCMessage;
    try {
      message = validate(JSON.parse(line));
    } catch (error) {
      // As the SDK's own stdio transport: a malformed line is reported, not answered.
      transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const id = requestId(message);
    if (id !== undefined && !replayIds.has(id)) unanswered.add(id);
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) unanswered.settle(cancelled);
    transport.onmessage?.(message);
  };
  return { transport, deliver, answered: unanswered.answered, abandon: unanswered.abandon };
}

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
        await writeAll(output, encoder.encode(text));
      } catch {
        gone = true;
        onGone();
      }
    });
    return tail;
  };
}

async function writeAll(output: Output, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await output.write(bytes.subarray(written));
  }
}

// Lines as the SDK's stdio transport splits them: on "\n", a trailing "\r" removed, the
// unterminated rest dropped at the end. Blank lines carry nothing and are skipped.
async function readLines(
  input: ReadableStream<Uint8Array>,
  { onLine, signal }: { onLine: (line: string) => void; signal: AbortSignal },
): Promise<void> {
  let buffered = "";
  try {
    for await (const chunk of input.pipeThrough(new TextDecoderStream(), { signal })) {
      buffered += chunk;
      for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end).replace(/\r$/, "");
        buffered = buffered.slice(end + 1);
        if (line.trim() !== "") onLine(line);
      }
    }
  } catch {
    // Stdin failed or the front was closed: either way, nothing more will be read.
  }
}

function isNotificationLine(line: string): boolean {
  const message = parseObject(line);
  return message !== undefined && typeof message.method === "string" && !("id" in message);
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function requestId(message: JSONRPCMessage): RequestId | undefined {
  return "method" in message && "id" in message ? message.id : undefined;
}

function responseId(message: JSONRPCMessage): RequestId | undefined {
  return !("method" in message) && "id" in message ? message.id : undefined;
}

function cancelledRequestId(message: JSONRPCMessage): RequestId | undefined {
  if (!("method" in message) || message.method !== "notifications/cancelled") return undefined;
  const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === "string" || typeof requestId === "number" ? requestId : undefined;
}
