/**
 * Tells the client about regions that failed during a search as MCP `warning` log
 * notifications, so that a host shows them even when the model glosses over the result.
 *
 * @module
 */

import type { ToolRegistry } from "./deps.ts";
import type { SearchResult } from "../discovery/mod.ts";
import { reasonOf } from "./search_result.ts";

/**
 * Sends one `warning` per failed region and reason across `results`, naming the keywords it
 * failed for, to the session `sessionId`; the SDK drops it below the session's log level.
 */
export async function notifyRegionFailures(
  server: Pick<ToolRegistry, "sendLoggingMessage">,
  results: readonly SearchResult[],
  { sessionId }: { sessionId?: string } = {},
): Promise<void> {
  const failures = new Map<string, { region: string; reason: string; keywords: string[] }>();
  for (const { keyword, outcomes } of results) {
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      const reason = reasonOf(outcome.error);
      const key = JSON.stringify([outcome.region, reason]);
      const failure = failures.get(key) ?? { region: outcome.region, reason, keywords: [] };
      failure.keywords.push(keyword);
      failures.set(key, failure);
    }
  }
  for (const failure of failures.values()) {
    const count = failure.keywords.length;
    const message = `Region ${failure.region} failed for ${
      count === 1 ? `"${failure.keywords[0]}"` : `${count} keywords`
    }: ${failure.reason}`;
    try {
      await server.sendLoggingMessage({
        level: "warning",
        logger: "discovery",
        data: { message, ...failure },
      }, sessionId);
    } catch {
      // The client is gone or the transport closed: the result says the same.
    }
  }
}
