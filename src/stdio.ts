/**
 * MCP over stdin/stdout for desktop clients, through the stdio front
 * (`src/stdio_front/`). Stdout carries JSON-RPC only.
 *
 * @module
 */

import { JSONRPCMessageSchema, type McpServer } from "./mcp_sdk.ts";
import { openStdioFront, type StdioFront } from "./stdio_front/mod.ts";

/** Options for {@linkcode serveStdio}. */
export interface ServeStdioOptions {
  /** Once stdin ends, how long requests already received may take to be answered. */
  drainTimeoutMs: number;
  /** The front already reading stdin (`main.ts` opens one for `--stdio`); by default a new one. */
  front?: StdioFront;
}

/**
 * Serves `server` over stdio; resolves when the server closes, which it does
 * once stdin ends and every request received by then has been answered, or
 * when stdout is gone.
 */
export async function serveStdio(server: McpServer, options: ServeStdioOptions): Promise<void> {
  const front = options.front ??
    openStdioFront({ input: Deno.stdin.readable, output: Deno.stdout });
  const link = front.attach({ validate: (value) => JSONRPCMessageSchema.parse(value) });
  const closed = new Promise<void>((resolve) => link.transport.onclose = resolve);
  // Replays what the front kept, then every line goes to the server.
  await server.connect(link.transport);
  // A client that exits must stop us, but only after the answers to what it already asked
  // (`printf ... | server --stdio`).
  void link.inputEnded.then(async () => {
    await link.answered(options.drainTimeoutMs);
    await server.close();
  });
  // Nobody is left to read the answers (EPIPE): stop instead of crashing.
  void link.outputGone.then(() => {
    link.abandon();
    return server.close();
  });
  await closed;
}
