/**
 * Tells the client about regions that failed during a search, as MCP log
 * notifications at `warning` level, so that a host shows them even when the
 * model glosses over the result. The SDK drops them below the session's level.
 *
 * @module
 */

import type { ToolRegistry } from "./deps.ts";
import type { SearchResult } from "../discovery/mod.ts";
import { reasonOf } from "./search_result.ts";

/** Where a notification goes: the session the search ran in, if any. */
export interface NotifyOptions {
  sessionId?: string;
}

/**
 * Sends one `warning` notification per failed region and reason across
 * `results`, naming the region, the reason and the keywords it failed for.
 * Reasons are the redacted messages of the results, cut as in the result, never a credential.
 */
export async function notifyRegionFailures(
  server: Pick<ToolRegistry, "sendLoggingMessage">,
  results: readonly SearchResult[],
  { sessionId }: NotifyOptions = {},
): Promise<void> {
  for (const failure of groupFailures(results)) {
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

interface RegionFailure {
  region: string;
  reason: string;
  keywords: string[];
}

function groupFailures(results: readonly SearchResult[]): RegionFailure[] {
  const byRegionAndReason = new Map<string, RegionFailure>();
  for (const { keyword, outcomes } of results) {
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      const reason = reasonOf(outcome.error);
      const key = JSON.stringify([outcome.region, reason]);
      const failure = byRegionAndReason.get(key) ??
        { region: outcome.region, reason, keywords: [] };
      failure.keywords.push(keyword);
      byRegionAndReason.set(key, failure);
    }
  }
  return [...byRegionAndReason.values()];
}
