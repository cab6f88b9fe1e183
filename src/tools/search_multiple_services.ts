/** `search_multiple_services(keywords)`: several PSMs in one call, with progress notifications.
 * @module */

import { z } from "zod";
import type { Dependencies, ToolRegistry } from "./deps.ts";
import {
  batchResultSchema,
  detailSchema,
  formatBatch,
  keywordSchema,
  notifyRegionFailures,
  searchArgsSchema,
  splitKeywords,
  toolError,
  toSearchOptions,
  toSearchTerm,
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
        ...searchArgsSchema.shape,
        detail: detailSchema("concise"),
      },
      outputSchema: batchResultSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (
      { keywords, detail = "concise", ...args },
      { signal, sessionId, _meta, sendNotification },
    ) => {
      const options = toSearchOptions(args, discovery.regions);
      if ("isError" in options) return options;
      const terms = keywords.map(toSearchTerm);
      const searched = [...new Set(terms.map((term) => term.keyword))];
      const progressToken = _meta?.progressToken;
      const results = await discovery.searchMany(searched, {
        ...options,
        signal,
        onProgress(progress, total) {
          if (progressToken === undefined) return;
          const message = `${progress} of ${total} searched`;
          const params = { progressToken, progress, total, message };
          // Best effort: the result arrives all the same.
          void sendNotification({ method: "notifications/progress", params }).catch(() => {});
        },
      });
      await notifyRegionFailures(server, results, { sessionId });
      const scope = discovery.regions.map((region) => region.name);
      const notes = terms.flatMap((term) => term.note ?? []);
      const batch = formatBatch(results, { detail, scope, notes });
      if (!batch) {
        return toolError("The answer is too large to show: search fewer keywords per call");
      }
      return {
        content: [{ type: "text", text: batch.text }],
        structuredContent: batch.structured,
        isError: batch.structured.summary.failed === results.length,
      };
    },
  );
}
