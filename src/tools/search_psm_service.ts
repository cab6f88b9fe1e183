/**
 * `search_psm_service(keyword)`: one PSM, or the closest candidates, across
 * every region.
 *
 * @module
 */

import type { ToolDeps, ToolRegistry } from "./deps.ts";
import { notifyRegionFailures } from "./notify_failures.ts";
import {
  detailSchema,
  keywordSchema,
  searchOptionsShape,
  searchResultSchema,
  unknownRegionsError,
} from "./search_result.ts";

/** Registers `search_psm_service` on `server`. */
export function registerSearchPsmService(
  server: ToolRegistry,
  { discovery, formatter }: ToolDeps,
): void {
  server.registerTool(
    "search_psm_service",
    {
      title: "Search PSM service",
      description:
        "Find a service (PSM, product.subsystem.module) in the Neptune registry of every region at once. " +
        "An exact PSM returns that service's details and the regions it is deployed in; " +
        "a partial keyword returns the closest matching PSMs. " +
        "Answers as soon as one region has the exact PSM, and from a short-lived cache.",
      inputSchema: {
        keyword: keywordSchema.describe(
          "A PSM such as oec.affiliate.monitor, or part of one such as oec.affiliate",
        ),
        ...searchOptionsShape,
        detail: detailSchema("full"),
      },
      outputSchema: searchResultSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (
      { keyword, refresh, wait_all_regions, regions, detail = "full" },
      { signal, sessionId },
    ) => {
      const unknown = unknownRegionsError(regions, discovery.regions);
      if (unknown) return unknown;
      const result = await discovery.search(keyword, {
        signal,
        refresh,
        waitAllRegions: wait_all_regions,
        regions,
      });
      await notifyRegionFailures(server, [result], { sessionId });
      const { text, structured } = formatter.format(result, detail);
      return {
        content: [{ type: "text", text }],
        structuredContent: structured,
        isError: result.status === "failed",
      };
    },
  );
}
