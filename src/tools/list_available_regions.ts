/**
 * `list_available_regions()`: where searches go, and how.
 *
 * @module
 */

import type { McpServer } from "../mcp_sdk.ts";
import { z } from "zod";
import type { ToolDeps } from "./deps.ts";

const outputSchema = z.object({
  regions: z.array(z.object({ name: z.string(), base_url: z.string() })),
  auth_url: z.string(),
  query_mode: z.literal("concurrent"),
  timeout_ms: z.number().int(),
  demo: z.boolean().describe("True when answers come from the built-in demo catalogue"),
});

/** Registers `list_available_regions` on `server`. */
export function registerListAvailableRegions(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    "list_available_regions",
    {
      title: "List available regions",
      description:
        "List the Neptune registry regions that every search queries concurrently, with their base URLs, " +
        "the JWT auth endpoint and the per-request timeout.",
      outputSchema: outputSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => {
      const { discovery, authUrl, timeoutMs, demo } = deps;
      const regions = discovery.regions.map(({ name, baseUrl }) => ({ name, base_url: baseUrl }));
      const lines = [
        `${regions.length} ${
          regions.length === 1 ? "region is" : "regions are"
        } searched concurrently` +
        `${demo ? " (demo mode: answers come from the built-in sample catalogue)" : ""}:`,
        ...regions.map((r) => `- ${r.name}: ${r.base_url}`),
        `JWT auth endpoint: ${authUrl}`,
        `Timeout per upstream request: ${timeoutMs} ms`,
      ];
      return {
        content: [{ type: "text", text: lines.join("\n") }],
        structuredContent: {
          regions,
          auth_url: authUrl,
          query_mode: "concurrent" as const,
          timeout_ms: timeoutMs,
          demo,
        },
      };
    },
  );
}
