/**
 * The baseline of the stdio start-up scenario (P6): a minimal SDK server as
 * the SDK's examples write one, one `McpServer` on the SDK's
 * `StdioServerTransport`, with the server's four tools: the same names,
 * texts and input and output schemas (rebuilt as zod schemas from the
 * `tools/list` snapshot in `tests/testdata/`), each answering a fixed text.
 * Run it as `deno run bench/sdk_stdio.ts`; it needs no permission.
 *
 * @module
 */

import { z } from "zod";
import tools from "../tests/testdata/tools_list.json" with { type: "json" };
import { McpServer } from "../src/mcp_sdk.ts";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

function createMinimalServer(): McpServer {
  const server = new McpServer({ name: "bench-sdk-stdio", version: "0.0.0" });
  for (const tool of tools) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: zodShapeOf(tool.inputSchema),
      outputSchema: zodObjectOf(tool.outputSchema),
      annotations: tool.annotations,
    }, () => ({ content: [{ type: "text", text: tool.name }] }));
  }
  return server;
}

type JsonSchema = Parameters<typeof z.fromJSONSchema>[0];

// The snapshot's JSON types `$schema` as any string; zod wants one of the drafts it knows.
function zodObjectOf(schema: object): z.ZodObject {
  return z.fromJSONSchema(schema as JsonSchema) as z.ZodObject;
}

// Inputs as the server declares them, a plain shape (unknown keys stripped, not refused); none
// for a tool without arguments.
function zodShapeOf(
  { properties = {}, required = [] }: { properties?: object; required?: string[] },
): z.ZodRawShape | undefined {
  if (Object.keys(properties).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => {
      const type = z.fromJSONSchema(schema as JsonSchema);
      return [name, required.includes(name) ? type : type.optional()];
    }),
  );
}

if (import.meta.main) await createMinimalServer().connect(new StdioServerTransport());
