/** The server's metrics, and the hooks the rest of the server records them through.
 * @module */

import type { AuthErrorCode } from "./auth.ts";
import type { RegionHealth, RegionOutcome, RegionSearchWrapper } from "./discovery/mod.ts";
import type { MetricsRegistry } from "./metrics.ts";
import type { ToolCallOutcome } from "./tools/deps.ts";

/** Records tool calls, registry latency, cache lookups, JWT refreshes and circuit states. */
export type Instruments = ReturnType<typeof createInstruments>;

// In seconds: from a fast answer to past the default 10 s timeout.
const LATENCY_BUCKETS_S = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

const CIRCUIT_STATES = ["closed", "half_open", "open"] as const;

export function createInstruments(registry: MetricsRegistry) {
  const toolCalls = registry.counter(
    "byted_mcp_tool_calls_total",
    "Tool calls by tool and outcome (ok, error result, exception, cancelled).",
  );
  const latency = registry.histogram(
    "byted_mcp_upstream_request_duration_seconds",
    "Registry requests by region and outcome (ok or the failure kind), a JWT fetch included.",
    LATENCY_BUCKETS_S,
  );
  const cacheLookups = registry.counter(
    "byted_mcp_cache_lookups_total",
    "Region searches by cache result: hit, miss, or stale (an old answer for a failing region).",
  );
  const authRefreshes = registry.counter(
    "byted_mcp_auth_refreshes_total",
    "JWT requests to the auth services by outcome.",
  );
  return {
    toolCall: (tool: string, outcome: ToolCallOutcome) => toolCalls.inc({ tool, outcome }),
    authRefresh: (outcome: "ok" | AuthErrorCode) => authRefreshes.inc({ outcome }),
    searches: ((next) => async (region, keyword, options) => {
      const outcome = await next(region, keyword, options);
      cacheLookups.inc({ result: cacheResultOf(outcome) });
      return outcome;
    }) satisfies RegionSearchWrapper,
    requests: ((next) => async (region, keyword, options) => {
      const started = performance.now();
      const outcome = await next(region, keyword, options);
      latency.observe(
        { region: region.name, outcome: outcome.ok ? "ok" : outcome.error.kind },
        (performance.now() - started) / 1000,
      );
      return outcome;
    }) satisfies RegionSearchWrapper,
    watchRegions(health: () => readonly RegionHealth[]) {
      registry.gauge(
        "byted_mcp_region_circuit_state",
        "Each region's circuit breaker: 1 for its current state (closed, half_open, open).",
        () =>
          health().flatMap(({ name, state }) =>
            CIRCUIT_STATES.map((s) => [{ region: name, state: s }, s === state ? 1 : 0] as const)
          ),
      );
    },
  };
}

function cacheResultOf(outcome: RegionOutcome): "hit" | "miss" | "stale" {
  if (!outcome.ok || !outcome.fromCache) return "miss";
  return outcome.staleReason ? "stale" : "hit";
}
