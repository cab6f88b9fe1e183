/** `search_psm_service(keyword)`: one PSM, or the closest candidates, in every region.
 * @module */

import type { Dependencies, ToolRegistry } from "./deps.ts";
import {
  detailSchema,
  keywordSchema,
  notifyRegionFailures,
  searchArgsSchema,
  searchResultSchema,
  splitKeywords,
  toSearchOptions,
  toSearchTerm,
} from "./search_result.ts";

export function registerSearchPsmService(
  server: ToolRegistry,
  { discovery, formatter }: Dependencies,
): void {
  server.registerTool(
    "search_psm_service",
    {
      title: "Search PSM service",
      description:
        "Find a service (PSM, product.subsystem.module) in the Neptune registry of every region at once. " +
        "An exact PSM returns that service's details and the regions it is deployed in; " +
        "a partial keyword returns the closest matching PSMs (search is by substring, not by pattern). " +
        "Answers as soon as one region has the exact PSM, and from a short-lived cache. " +
        "For several PSMs, use search_multiple_services.",
      inputSchema: {
        keyword: keywordSchema.describe(
          "A PSM such as oec.affiliate.monitor, or part of one such as oec.affiliate",
        ),
        ...searchArgsSchema.shape,
        detail: detailSchema("full"),
      },
      outputSchema: searchResultSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ keyword, detail, ...args }, { signal, sessionId }) => {
      const options = toSearchOptions(args, discovery.regions);
      if ("isError" in options) return options;
      const { searched, notes } = readKeyword(keyword);
      const result = await discovery.search(searched, { ...options, signal });
      await notifyRegionFailures(server, [result], { sessionId });
      const scope = discovery.regions.map((region) => region.name);
      const { text, structured } = formatter.format(result, detail ?? "standard", { scope });
      return {
        content: [{ type: "text", text: [...notes, text].join("\n") }],
        structuredContent: { ...structured, message: [...notes, structured.message].join(" ") },
        isError: result.status === "failed",
      };
    },
  );
}

// A list searches its first keyword, a pattern the text it holds; the notes say so.
function readKeyword(keyword: string): { searched: string; notes: string[] } {
  const all = splitKeywords(keyword);
  const term = toSearchTerm(all.length > 1 ? all[0]! : keyword);
  const list = `"${keyword}" holds ${all.length} keywords: only "${all[0]}" was searched; ` +
    "pass them all to search_multiple_services to search each.";
  const notes = [all.length > 1 ? list : undefined, term.note];
  return { searched: term.keyword, notes: notes.filter((note) => note !== undefined) };
}
