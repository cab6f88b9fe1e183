/** The original server's plain JSON call on `/mcp` (`{"tool": ..., "arguments": {...}}`), run
 * through a real `McpServer` so that its result is what an MCP client would get.
 * @module */

import { isRecord } from "../json.ts";
import type { Logger } from "../log.ts";
import { type CallToolResult, Client, InMemoryTransport, type McpServer } from "../mcp_sdk.ts";
import { linkAbort } from "../async.ts";
import { cut } from "../text.ts";
import { SHUTTING_DOWN } from "../shutdown.ts";
import type { SessionTable } from "./sessions.ts";
import { json } from "./rpc_messages.ts";
import type { Middleware } from "./route.ts";

// The SDK client gives up on a request after 60 s by default; a batch may take longer.
const CALL_TIMEOUT_MS = 10 * 60_000;

// A client may name a tool of 1 MiB.
const MAX_LOGGED_TOOL = 256;

// An unknown name is quoted back twice: never at the length a client chose.
const MAX_SHOWN_TOOL_NAME = 100;
// The code the SDK's McpServer reports an unknown tool or arguments failing the schema with.
const INVALID_PARAMS = /^MCP error -32602: /;

/** `close` it once `table` is closed, which gave the calls their deadline. */
export function createPlainCalls(
  table: SessionTable,
  createServer: () => McpServer,
  logger: Logger,
): { middleware: Middleware; close(): Promise<void> } {
  let connection: Promise<{ client: Client; server: McpServer }> | undefined;

  async function run(tool: string, args: Record<string, unknown>, signal: AbortSignal) {
    connection ??= (async () => {
      const server = createServer();
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: "plain-json-call", version: "1" });
      await client.connect(clientSide);
      return { client, server };
    })();
    const { client } = await connection;
    const result = await client.callTool({ name: tool, arguments: args }, undefined, {
      signal,
      timeout: CALL_TIMEOUT_MS,
    }) as CallToolResult;
    const [first] = result.content;
    const text = first?.type === "text" ? first.text : "";
    if (!result.isError || result.structuredContent || !INVALID_PARAMS.test(text)) {
      return answer(200, tool, result);
    }
    // A script's author reads this one: name the tools instead of the SDK's "not found".
    if (!text.endsWith(`Tool ${tool} not found`)) return answer(400, tool, result);
    const { tools } = await client.listTools(undefined, { signal });
    const names = tools.map((known) => known.name).join(", ");
    const shown = cut(tool, MAX_SHOWN_TOOL_NAME);
    return failure(400, shown, `Unknown tool ${shown}: call one of ${names}`);
  }

  return {
    middleware: (next) => async (request, context) => {
      const call = plainCallOf(context.body);
      if (call === undefined) return await next(request, context);
      if ("problem" in call) return failure(400, call.tool, call.problem);
      if (table.closing()) return failure(503, call.tool, SHUTTING_DOWN.message);
      // `request.signal` tells at once that the client left (`completed` only after the work);
      // linked only while the call runs: Deno.serve also aborts it after a normal answer.
      const abandoned = linkAbort(request.signal);
      const answered = run(call.tool, call.arguments, abandoned.signal);
      // Closing the server once the table is closed ends the call: it is answered below.
      const untrack = table.track({ settled: () => answered });
      try {
        return await answered;
      } catch (error) {
        if (table.closing()) return failure(503, call.tool, SHUTTING_DOWN.message);
        const tool = cut(call.tool, MAX_LOGGED_TOOL);
        if (abandoned.signal.aborted) {
          logger.debug("A plain JSON call to {tool} was left by its client", { tool });
          return failure(400, call.tool, "The client went away before the answer");
        }
        logger.warn("A plain JSON call to {tool} failed: {error}", { tool, error });
        return failure(500, call.tool, "The call failed: see the server's log");
      } finally {
        abandoned.unlink();
        untrack();
      }
    },
    async close() {
      const open = await connection;
      await open?.client.close();
      await open?.server.close();
    },
  };
}

type PlainCall =
  | { tool: string; arguments: Record<string, unknown> }
  | { tool: string | null; problem: string };

// A JSON-RPC message has `jsonrpc`; a plain call has `tool` instead. Anything else is left to
// the MCP transport, which answers it as before.
function plainCallOf(body: unknown): PlainCall | undefined {
  if (!isRecord(body) || "jsonrpc" in body || !("tool" in body)) return undefined;
  const { tool, arguments: args = {} } = body;
  if (typeof tool !== "string" || tool === "") {
    return {
      tool: null,
      problem:
        'The "tool" field must name a tool, such as {"tool": "search_psm_service", "arguments": {"keyword": "oec.live.promotion"}}',
    };
  }
  if (!isRecord(args)) {
    return {
      tool,
      problem: 'The "arguments" field must be a JSON object of the tool\'s arguments',
    };
  }
  return { tool, arguments: args };
}

// The answer to a plain call, whatever its outcome: `structuredContent` is null when absent.
function answer(status: number, tool: string | null, result: CallToolResult): Response {
  const { isError = false, content, structuredContent = null } = result;
  return json(status, { tool, isError, content, structuredContent });
}

function failure(status: number, tool: string | null, message: string): Response {
  return answer(status, tool, { isError: true, content: [{ type: "text", text: message }] });
}
