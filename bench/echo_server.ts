/**
 * The baseline of the HTTP scenarios: a minimal stateful MCP server built
 * the way the SDK's examples build one (one `McpServer` and transport per
 * session), on 127.0.0.1, with an `echo` tool and a `relay` tool that makes
 * one upstream request (the least a server in front of an upstream does).
 * Run it as a process:
 * `deno run --allow-net=127.0.0.1 bench/echo_server.ts`; it announces
 * `listening on <url>` on standard error like the real server.
 *
 * @module
 */

import { z } from "zod";
import { McpServer, WebStandardStreamableHTTPServerTransport } from "../src/mcp_sdk.ts";

function createEchoServer(): McpServer {
  const server = new McpServer({ name: "bench-echo", version: "0.0.0" });
  server.registerTool(
    "echo",
    { description: "Returns its text", inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "relay",
    {
      description: "Fetches a URL on 127.0.0.1 with an X-Jwt-Token header and returns the body",
      inputSchema: { url: z.string(), jwt: z.string() },
    },
    async ({ url, jwt }) => {
      const response = await fetch(url, { headers: { "x-jwt-token": jwt } });
      return { content: [{ type: "text", text: await response.text() }] };
    },
  );
  return server;
}

function createHandler(): (request: Request) => Promise<Response> {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  return async (request) => {
    const sessionId = request.headers.get("mcp-session-id");
    const known = sessionId ? sessions.get(sessionId) : undefined;
    if (known) return await known.handleRequest(request);
    if (sessionId) return Response.json({ error: "unknown session" }, { status: 404 });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await createEchoServer().connect(transport);
    return await transport.handleRequest(request);
  };
}

if (import.meta.main) {
  const handler = createHandler();
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.error(`listening on http://127.0.0.1:${port}/mcp`),
  }, (request) => {
    if (new URL(request.url).pathname !== "/mcp") return new Response(null, { status: 404 });
    return handler(request);
  });
}
