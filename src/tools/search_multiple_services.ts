/**
 * `search_multiple_services(keywords)`: several PSMs in one call, with progress notifications
 * when the client asks for them.
 *
 * @module
 */

import { z } from "zod";
import type { SearchResult } from "../discovery/mod.ts";
import type { Dependencies, ToolRegistry } from "./deps.ts";
import { patternNote, splitKeywords, toSearchTerm } from "./keywords.ts";

import {
  describeFailures,
  type Detail,
  detailSchema,
  fitStructured,
  fitWithin,
  formatSearchLine,
  formatSearchText,
  keywordSchema,
  leftOutNote,
  notifyRegionFailures,
  resolveRegions,
  retryAdvice,
  searchOptionsShape,
  searchResultSchema,
  type StructuredSearchResult,
  TEXT_BUDGET,
  toolError,
  toStructured,
} from "./search_result.ts";

const MAX_KEYWORDS = 100;

const NO_KEYWORD =
  "No keyword given: pass keywords, PSMs separated by commas such as oec.affiliate.monitor,toutiao.user.info, or an array of them";

const keywordListSchema = z.union([z.string(), z.array(z.string())], {
  error: (issue) =>
    issue.input === undefined
      ? NO_KEYWORD
      : "keywords must be text or an array of text: pass PSMs such as oec.affiliate.monitor,toutiao.user.info",
})
  .transform(splitKeywords)
  .pipe(
    z.array(keywordSchema)
      .min(1, NO_KEYWORD)
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
  results_omitted: z.number().int().optional().describe(
    "Keywords at the end of the list whose results were left out to keep the answer under 64 KiB",
  ),
});

/** Registers `search_multiple_services`. */
export function registerSearchMultipleServices(
  server: ToolRegistry,
  { discovery }: Dependencies,
): void {
  server.registerTool(
    "search_multiple_services",
    {
      title: "Search several PSM services",
      description: "Look up several services (PSMs) in one call, in every region. " +
        `Pass up to ${MAX_KEYWORDS} PSMs or partial keywords, as an array or separated by commas, ` +
        "semicolons, spaces or new lines; " +
        "each gets its own result, as search_psm_service would give it.",
      inputSchema: {
        keywords: keywordListSchema.describe(
          'PSMs or parts of them, separated by commas (oec.affiliate.monitor,toutiao.user.info), semicolons, spaces or new lines, or an array such as ["oec.affiliate.monitor", "toutiao.user.info"]',
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
      const chosen = resolveRegions(regions, discovery.regions);
      if ("error" in chosen) return chosen.error;
      const terms = keywords.map(toSearchTerm);
      const searched = [...new Set(terms.map((term) => term.keyword))];
      const progressToken = _meta?.progressToken;
      const results = await discovery.searchMany(searched, {
        signal,
        refresh,
        waitAllRegions: wait_all_regions,
        regions: chosen.regions,
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
      const summary: Summary = { found: 0, candidates: 0, not_found: 0, failed: 0 };
      for (const result of results) summary[result.status]++;
      const scope = discovery.regions.map((region) => region.name);
      const notes = terms.flatMap((term) => patternNote(term) ?? []);
      const text = formatBatchText(results, { summary, detail, scope, notes });
      const structured = fitBatch(text, {
        keywords: searched,
        summary,
        results: results.map((result) => toStructured(result, { detail, scope })),
      });
      if (!structured) {
        return toolError("The answer is too large to show: search fewer keywords per call");
      }
      return {
        content: [{ type: "text", text }],
        structuredContent: structured,
        isError: summary.failed === results.length,
      };
    },
  );
}

type Summary = z.infer<typeof outputSchema>["summary"];
type BatchStructured = z.infer<typeof outputSchema>;

// Fewer services per keyword first, then fewer keywords (counted in results_omitted), until the
// whole answer stays under 64 KiB.
function fitBatch(text: string, batch: BatchStructured): BatchStructured | undefined {
  let results: StructuredSearchResult[] = batch.results;
  for (;;) {
    const omitted = batch.results.length - results.length;
    const fitted = fitStructured(text, results, {
      wrap: (shown) => ({
        ...batch,
        results: shown,
        ...(omitted > 0 && { results_omitted: omitted }),
      }),
    });
    if (fitted || results.length === 0) return fitted;
    results = results.slice(0, Math.floor(results.length / 2));
  }
}

// A heading with the counts, the regions that failed for the whole batch and `notes` on the
// keywords as given, then a line or a section per keyword, as many as fit in the budget.
function formatBatchText(
  results: readonly SearchResult[],
  { summary, detail, scope, notes }: {
    summary: Summary;
    detail: Detail;
    scope: readonly string[];
    notes: readonly string[];
  },
): string {
  const stated = failedEverywhere(results);
  const heading = [
    `Searched ${results.length} ${results.length === 1 ? "keyword" : "keywords"}: ` +
    `${summary.found} found, ${summary.candidates} with candidates only, ` +
    `${summary.not_found} not found, ${summary.failed} failed.`,
    ...describeBatchGaps(results, { stated, scope }),
    ...notes,
  ].join("\n");
  const blocks = detail === "concise"
    ? results.map((r) => formatSearchLine(r, { scope, stated }))
    : results.map((r) => {
      const title = `## ${r.keyword}\n\n`;
      // Room for the heading and the closing line, so that even the first section fits.
      const budget = TEXT_BUDGET - heading.length - title.length - 200;
      return `${title}${formatSearchText(r, { detail, budget, scope, stated })}`;
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

// The regions that failed alike for every keyword of a batch: stated once in its heading.
function failedEverywhere(results: readonly SearchResult[]): ReadonlySet<string> {
  const [first, ...rest] = results;
  if (!first) return new Set();
  const reasonIn = (result: SearchResult, region: string) => {
    const outcome = result.outcomes.find((o) => o.region === region);
    return outcome && !outcome.ok ? outcome.error.message : undefined;
  };
  const regions = first.outcomes.flatMap((o) => o.ok ? [] : [o.region]).filter((region) =>
    rest.every((result) => reasonIn(result, region) === reasonIn(first, region))
  );
  return new Set(regions);
}

// The regions that failed or were left out for every keyword, said once for the batch.
function describeBatchGaps(
  results: readonly SearchResult[],
  { stated, scope }: { stated: ReadonlySet<string>; scope: readonly string[] },
): string[] {
  const first = results[0]?.outcomes.filter((o) => stated.has(o.region)) ?? [];
  const failed = first.length === 0 ? [] : [
    `Not searched for any keyword: ${describeFailures(first)}. A PSM not found below may be there.${
      retryAdvice(first)
    }`,
  ];
  return [...failed, ...(results.length > 0 ? leftOutNote(results, scope) : [])];
}
