/**
 * `search_multiple_services(keywords)`: several PSMs in one call, a few at a
 * time, with progress notifications when the client asks for them.
 *
 * @module
 */

import { z } from "zod";
import type { SearchResult } from "../discovery/mod.ts";
import type { ToolDeps, ToolRegistry } from "./deps.ts";
import { notifyRegionFailures } from "./notify_failures.ts";
import {
  type Detail,
  detailSchema,
  fitWithin,
  formatSearchLine,
  formatSearchText,
  keywordSchema,
  searchOptionsShape,
  searchResultSchema,
  TEXT_BUDGET,
  toStructured,
  unknownRegionsError,
} from "./search_result.ts";

/** The most keywords one call may search. */
const MAX_KEYWORDS = 100;

/** Comma-separated keywords: split, trimmed, empties dropped, duplicates once, 1 to 100. */
const keywordListSchema = z.string()
  .transform((text) => [...new Set(text.split(",").map((k) => k.trim()).filter(Boolean))])
  .pipe(
    z.array(keywordSchema)
      .min(
        1,
        "No keyword given: pass PSMs separated by commas, such as oec.affiliate.monitor,toutiao.user.info",
      )
      .max(
        MAX_KEYWORDS,
        `Too many keywords: pass at most ${MAX_KEYWORDS} per call and split the rest`,
      ),
  );

const outputSchema = z.object({
  keywords: z.array(z.string()).describe("The distinct keywords searched, in the order given"),
  summary: z.object({
    found: z.number().int(),
    candidates: z.number().int(),
    not_found: z.number().int(),
    failed: z.number().int(),
  }),
  results: z.array(searchResultSchema),
});

/** Registers `search_multiple_services` on `server`. */
export function registerSearchMultipleServices(
  server: ToolRegistry,
  { discovery }: ToolDeps,
): void {
  server.registerTool(
    "search_multiple_services",
    {
      title: "Search several PSM services",
      description: "Look up several services (PSMs) in one call, in every region. " +
        `Pass up to ${MAX_KEYWORDS} PSMs or partial keywords separated by commas; ` +
        "each gets its own result, as search_psm_service would give it.",
      inputSchema: {
        keywords: keywordListSchema.describe(
          "Comma-separated PSMs or parts of them, such as oec.affiliate.monitor,toutiao.user.info",
        ),
        ...searchOptionsShape,
        detail: detailSchema("concise"),
      },
      outputSchema: outputSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (
      { keywords, refresh, wait_all_regions, regions, detail = "concise" },
      { signal, sessionId, _meta, sendNotification },
    ) => {
      const unknown = unknownRegionsError(regions, discovery.regions);
      if (unknown) return unknown;
      const progressToken = _meta?.progressToken;
      const results = await discovery.searchMany(keywords, {
        signal,
        refresh,
        waitAllRegions: wait_all_regions,
        regions,
        onProgress: progressToken === undefined
          ? undefined
          : (progress, total) =>
            void sendNotification({
              method: "notifications/progress",
              params: {
                progressToken,
                progress,
                total,
                message: `${progress} of ${total} searched`,
              },
            }).catch(() => {}), // progress is best effort; the result still arrives
      });
      await notifyRegionFailures(server, results, { sessionId });
      const summary = countByStatus(results);
      return {
        content: [{ type: "text", text: formatBatchText(results, summary, detail) }],
        structuredContent: {
          keywords,
          summary,
          results: results.map((result) => toStructured(result, { detail })),
        },
        isError: summary.failed === results.length,
      };
    },
  );
}

type Summary = z.infer<typeof outputSchema>["summary"];

function countByStatus(results: readonly SearchResult[]): Summary {
  const summary: Summary = { found: 0, candidates: 0, not_found: 0, failed: 0 };
  for (const result of results) summary[result.status]++;
  return summary;
}

// A heading with the counts, then a line per keyword (concise) or a section per keyword (full),
// as many as fit in the budget; a full section is itself held to the budget a single search has.
function formatBatchText(
  results: readonly SearchResult[],
  summary: Summary,
  detail: Detail,
): string {
  const heading = `Searched ${results.length} ${results.length === 1 ? "keyword" : "keywords"}: ` +
    `${summary.found} found, ${summary.candidates} with candidates only, ` +
    `${summary.not_found} not found, ${summary.failed} failed.`;
  const blocks = detail === "concise" ? results.map(formatSearchLine) : results.map((r) => {
    const title = `## ${r.keyword}\n\n`;
    // Room for the heading and the closing line, so that even the first section fits.
    const budget = TEXT_BUDGET - heading.length - title.length - 200;
    return `${title}${formatSearchText(r, { detail, budget })}`;
  });
  const separator = detail === "concise" ? "\n" : "\n\n";
  const { text } = fitWithin(blocks, TEXT_BUDGET - heading.length - 2, {
    separator,
    more: (omitted) =>
      `…and ${omitted} more ${omitted === 1 ? "keyword" : "keywords"} not shown: ` +
      `${detail === "full" ? 'pass detail: "concise", or ' : ""}search fewer keywords per call.`,
  });
  return `${heading}\n\n${text}`;
}
