/**
 * MCP over stdin/stdout for desktop clients. Stdout carries JSON-RPC only.
 *
 * @module
 */

import { type McpServer, StdioServerTransport } from "./mcp_sdk.ts";
import process from "node:process";

/** Serves `server` over stdio; resolves when the client closes stdin or the server closes. */
export async function serveStdio(server: McpServer): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => transport.onclose = resolve);
  await server.connect(transport);
  // The SDK's transport does not notice the end of stdin; a client that exits must stop us.
  process.stdin.once("end", () => void server.close());
  await closed;
}
