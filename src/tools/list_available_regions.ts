/** `list_available_regions()`: names the variable a credential comes from, never its value.
 * @module */

import { z } from "zod";
import type { AuthSource } from "../auth_sources.ts";
import type { Region } from "../config/mod.ts";
import type { RegionHealth } from "../discovery/mod.ts";
import { credentialFrom, credentialKindOf, credentialKindSchema } from "./check_jwt_status.ts";
import type { Dependencies, ToolRegistry } from "./deps.ts";

const regionSchema = z.object({
  name: z.string(),
  base_url: z.string().describe("The registry's search base URL"),
  auth_url: z.string().describe("Where this region's JWT comes from"),
  credential_kind: credentialKindSchema,
  credential_source: z.string().optional().describe(
    "The environment variable the credential comes from (its value is never shown); absent when none is set",
  ),
  unconfigured: z.string().optional().describe(
    "Present when the region has no credential: which variable to set; its searches are skipped",
  ),
  health: z.object({
    state: z.enum(["closed", "open", "half_open"]).describe(
      "closed: searched normally; open: skipped for a while after repeated failures; half_open: being tried again",
    ),
    last_outcome: z.string().optional().describe("ok, or why the last search failed"),
    last_error: z.string().optional(),
    last_latency_ms: z.number().int().optional(),
    last_checked_at: z.string().optional(),
  }).describe("The last search observed; nothing is asked to fill it"),
});

const outputSchema = z.object({
  regions: z.array(regionSchema),
  auth_url: z.string().describe("The auth endpoint of regions that do not name their own"),
  query_mode: z.literal("concurrent"),
  timeout_ms: z.number().int(),
  demo: z.boolean().describe("True when answers come from the built-in demo catalogue"),
});

type RegionReport = z.infer<typeof regionSchema>;

export function registerListAvailableRegions(server: ToolRegistry, deps: Dependencies): void {
  server.registerTool(
    "list_available_regions",
    {
      title: "List available regions",
      description:
        "List the Neptune registry regions that every search queries concurrently: each one's base URL, " +
        "its JWT auth endpoint, where its credential comes from, and how its last search went; " +
        "also the per-request timeout.",
      outputSchema: outputSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => {
      const { discovery, auth, authUrl, timeoutMs, demo } = deps;
      const health = new Map(discovery.health().map((h) => [h.name, h]));
      const sources = new Map(auth.sources.flatMap((s) => s.regions.map((name) => [name, s])));
      const regions = discovery.regions.map((region) =>
        reportRegion(region, sources.get(region.name), health.get(region.name))
      );
      const sharedAuth = regions.every((r) => r.auth_url === authUrl);
      const counted = regions.length === 1 ? "1 region is" : `${regions.length} regions are`;
      const lines = [
        `${counted} searched concurrently` +
        `${demo ? " (demo mode: answers come from the built-in sample catalogue)" : ""}:`,
        ...regions.map((r) => formatRegion(r, { sharedAuth })),
        sharedAuth ? `JWT auth endpoint: ${authUrl}` : `Default JWT auth endpoint: ${authUrl}`,
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

function reportRegion(
  { name, baseUrl }: Region,
  source: AuthSource | undefined,
  health: RegionHealth | undefined,
): RegionReport {
  return {
    name,
    base_url: baseUrl,
    auth_url: source?.authUrl ?? "",
    credential_kind: credentialKindOf(source?.credential),
    credential_source: source?.credential?.source,
    unconfigured: source?.unconfigured,
    health: {
      state: health?.state ?? "closed",
      last_outcome: health?.lastOutcome,
      last_error: health?.lastError,
      last_latency_ms: health?.lastLatencyMs === undefined
        ? undefined
        : Math.round(health.lastLatencyMs),
      last_checked_at: health?.lastCheckedAt?.toISOString(),
    },
  };
}

function formatRegion(region: RegionReport, { sharedAuth }: { sharedAuth: boolean }): string {
  const details = [
    ...(sharedAuth ? [] : [`auth ${region.auth_url}`]),
    describeCredential(region),
    // A region without a credential fails every search the same way: that is said once.
    region.unconfigured && region.health.last_error === region.unconfigured
      ? undefined
      : describeCircuit(region.health),
  ].filter(Boolean);
  return `- ${region.name}: ${region.base_url} (${details.join("; ")})`;
}

function describeCredential(region: RegionReport): string | undefined {
  if (!region.credential_source) return region.unconfigured;
  if (region.credential_source === "demo") {
    return "demo session from the built-in demo auth service, nothing contacted";
  }
  return credentialFrom(region.credential_kind, region.credential_source);
}

function describeCircuit(health: RegionReport["health"]): string {
  if (health.last_outcome === undefined) return "not searched yet";
  const latency = health.last_latency_ms === undefined ? "" : ` in ${health.last_latency_ms} ms`;
  const last = health.last_outcome === "ok"
    ? `last search ok${latency}`
    : `last search failed${latency}: ${health.last_error ?? health.last_outcome}`;
  return health.state === "closed" ? last : `${last}; skipped for now (circuit ${health.state})`;
}
