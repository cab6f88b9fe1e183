/**
 * MCP over stdin/stdout for desktop clients. Stdout carries JSON-RPC only.
 *
 * @module
 */

import { fstatSync } from "node:fs";
import process from "node:process";
import { type McpServer, StdioServerTransport } from "./mcp_sdk.ts";

/**
 * Returns true when stdin is a pipe or a socket, as when a desktop client
 * launched the server to talk MCP with it; false for a terminal, a file or
 * `/dev/null`, and when it cannot be told.
 */
export function stdinIsPipe(): boolean {
  if (Deno.stdin.isTerminal()) return false;
  // node:fs reads the open descriptor, so no read permission on /dev/stdin is needed.
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/** Options for {@linkcode serveStdio}. */
export interface ServeStdioOptions {
  /** Once stdin ends, how long requests already received may take to be answered. */
  drainTimeoutMs: number;
}

type Message = Parameters<NonNullable<StdioServerTransport["onmessage"]>>[0];
type RequestId = string | number;

/**
 * Serves `server` over stdio; resolves when the server closes, which it does
 * once stdin ends and every request received by then has been answered, or
 * when stdout is gone.
 */
export async function serveStdio(server: McpServer, options: ServeStdioOptions): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => transport.onclose = resolve);
  await server.connect(transport);
  const pending = trackUnanswered(transport);
  // The SDK's transport does not notice the end of stdin; a client that exits must stop us,
  // but only after the answers to what it already asked (`printf ... | server --stdio`).
  process.stdin.once("end", async () => {
    await pending.answered(options.drainTimeoutMs);
    await server.close();
  });
  // Nobody is left to read the answers (EPIPE): stop instead of crashing.
  process.stdout.once("error", () => {
    pending.abandon();
    void server.close();
  });
  await closed;
}

function trackUnanswered(transport: StdioServerTransport) {
  const unanswered = new Set<RequestId>();
  let allAnswered: (() => void) | undefined;
  const settle = (id: RequestId) => {
    if (unanswered.delete(id) && unanswered.size === 0) allAnswered?.();
  };
  const receive = transport.onmessage;
  transport.onmessage = (...args: Parameters<NonNullable<typeof receive>>) => {
    const [message] = args;
    if (isRequest(message)) unanswered.add(message.id);
    // A cancelled request is never answered.
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) settle(cancelled);
    receive?.(...args);
  };
  const send = transport.send.bind(transport);
  transport.send = async (...args: Parameters<typeof send>) => {
    await send(...args);
    const [message] = args;
    if (isResponse(message)) settle(message.id);
  };
  return {
    /** Resolves when nothing is left unanswered, or after `timeoutMs`. */
    answered(timeoutMs: number): Promise<void> {
      if (unanswered.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        allAnswered = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    /** Gives up on every answer still owed. */
    abandon() {
      unanswered.clear();
      allAnswered?.();
    },
  };
}

function isRequest(message: Message): message is Message & { id: RequestId; method: string } {
  return "method" in message && "id" in message;
}

function isResponse(message: Message): message is Message & { id: RequestId } {
  return !("method" in message) && "id" in message;
}

function cancelledRequestId(message: Message): RequestId | undefined {
  if (!("method" in message) || message.method !== "notifications/cancelled") return undefined;
  const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === "string" || typeof requestId === "number" ? requestId : undefined;
}
