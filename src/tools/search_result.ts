/**
 * What both search tools share: the keyword they accept, and how a
 * {@linkcode SearchResult} is shown to a model, as structured content and text.
 *
 * @module
 */

import { z } from "zod";
import type {
  FoundService,
  RegionAnswer,
  RegionFailureKind,
  RegionOutcome,
  SearchResult,
  Suggestions,
} from "../discovery/mod.ts";

/** The longest keyword accepted. */
export const MAX_KEYWORD_LENGTH = 256;

/** A search keyword: trimmed, non-empty, at most {@linkcode MAX_KEYWORD_LENGTH} characters. */
export const keywordSchema = z.string()
  .trim()
  .min(1, "The keyword is empty: give a PSM such as oec.affiliate.monitor, or a part of one")
  .max(
    MAX_KEYWORD_LENGTH,
    `The keyword is longer than ${MAX_KEYWORD_LENGTH} characters: give one PSM or a part of it`,
  );

/** The options both search tools accept next to their keywords. */
export const searchOptionsShape = {
  refresh: z.boolean().optional().describe(
    "Ask every region again instead of answering from the cache (the new answers are cached)",
  ),
  wait_all_regions: z.boolean().optional().describe(
    "Wait for every region even when one already has the exact PSM; by default the answer comes as soon as one has it",
  ),
  regions: z.array(z.string().trim().min(1, "A region name is empty: see list_available_regions"))
    .min(1, "No region given: leave regions out to search every region")
    .optional()
    .describe(
      'Search only these regions, by name, such as ["cn"] (list_available_regions shows them); every region by default',
    ),
};

/**
 * Returns a tool error naming the unknown names among `names` and the known
 * regions, or `undefined` when every name is known.
 */
export function unknownRegionsError(
  names: readonly string[] | undefined,
  known: readonly { readonly name: string }[],
): { content: { type: "text"; text: string }[]; isError: true } | undefined {
  const knownNames = known.map((region) => region.name);
  const unknown = [...new Set(names ?? [])].filter((name) => !knownNames.includes(name));
  if (unknown.length === 0) return undefined;
  const listed = unknown.map((name) => JSON.stringify(name)).join(", ");
  const text = `Unknown ${unknown.length === 1 ? "region" : "regions"} ${listed}: use ${
    knownNames.length === 1 ? "" : "any of "
  }${knownNames.join(", ")}, or leave regions out to search every region`;
  return { content: [{ type: "text", text }], isError: true };
}

/** One service in a tool result. */
export const serviceSchema = z.object({
  psm: z.string(),
  description: z.string().optional(),
  chinese_name: z.string().optional(),
  owners: z.array(z.string()),
  framework: z.string().optional(),
  type: z.string().optional(),
  deployment_platform: z.string().optional(),
  level: z.string().optional(),
  updated_at: z.string().optional(),
  regions: z.array(z.string()).describe("Regions whose registry lists this PSM"),
});

/** The structured result of searching one keyword. */
export const searchResultSchema = z.object({
  keyword: z.string(),
  status: z.enum(["found", "candidates", "not_found", "failed"]).describe(
    "found: exact PSM match; candidates: fuzzy matches only; not_found: no match; failed: no region could be searched",
  ),
  services: z.array(serviceSchema).describe("The exact match alone, or the best candidates"),
  total_matches: z.number().int().describe("Distinct PSMs that matched"),
  omitted: z.number().int().describe("Matches left out of services"),
  regions: z.array(z.object({
    name: z.string(),
    ok: z.boolean().describe("Whether the region's answer is in this result (stale ones included)"),
    status: z.enum(["live", "cached", "stale", "failed", "pending"]).describe(
      "live: asked now; cached: served from the cache; stale: the region failed and an expired cached answer stands in; failed: no answer; pending: not awaited because another region had the exact PSM",
    ),
    matches: z.number().int().optional(),
    error: z.string().optional().describe("Why the region failed (also for a stale answer)"),
    fetched_at: z.string().optional().describe("ISO 8601 time the registry gave this answer"),
    from_cache: z.boolean().optional(),
  })).describe("Every region: those that answered or failed, then those not awaited"),
  message: z.string().describe("One-line summary with the next step"),
  suggestions: z.array(z.string()).optional().describe(
    "Known PSMs near a keyword that looks mistyped, closest first",
  ),
});

/** The structured form of a search result, as `searchResultSchema` describes it. */
export type StructuredSearchResult = z.infer<typeof searchResultSchema>;

/** Converts `result` to its structured form. */
export function toStructured(result: SearchResult): StructuredSearchResult {
  return {
    keyword: result.keyword,
    status: result.status,
    services: result.services.map(toStructuredService),
    total_matches: result.totalMatches,
    omitted: result.totalMatches - result.services.length,
    regions: [
      ...result.outcomes.map(toStructuredRegion),
      ...result.pending.map((name) => ({ name, ok: false, status: "pending" as const })),
    ],
    message: summarize(result),
    ...(result.suggestions && { suggestions: [...result.suggestions.psms] }),
  };
}

function toStructuredRegion(outcome: RegionOutcome): StructuredSearchResult["regions"][number] {
  if (!outcome.ok) {
    return { name: outcome.region, ok: false, status: "failed", error: outcome.error.message };
  }
  const { staleReason, fetchedAt, fromCache } = outcome;
  return {
    name: outcome.region,
    ok: true,
    status: regionStatus(outcome),
    matches: outcome.services.length,
    ...(staleReason && { error: staleReason.message }),
    ...(fetchedAt !== undefined && { fetched_at: new Date(fetchedAt).toISOString() }),
    ...(fromCache !== undefined && { from_cache: fromCache }),
  };
}

function regionStatus(answer: RegionAnswer): "live" | "cached" | "stale" {
  if (answer.staleReason) return "stale";
  return answer.fromCache ? "cached" : "live";
}

function toStructuredService(service: FoundService) {
  return {
    psm: service.psm,
    description: service.description,
    chinese_name: service.chineseName,
    owners: [...service.owners],
    framework: service.framework,
    type: service.type,
    deployment_platform: service.deploymentPlatform,
    level: service.level,
    updated_at: service.updatedAt,
    regions: [...service.regions],
  };
}

/**
 * Returns `result` as text: a summary line, a line for each region not asked
 * just now (cached, stale, not awaited), then each service's details.
 */
export function formatSearchText(result: SearchResult): string {
  const blocks = [[summarize(result), ...describeSources(result)].join("\n")];
  if (result.status === "found") blocks.push(formatService(result.services[0]));
  if (result.status === "candidates") {
    blocks.push(...result.services.map((service, i) => formatService(service, `${i + 1}. `)));
    const omitted = result.totalMatches - result.services.length;
    if (omitted > 0) {
      blocks.push(`…and ${omitted} more: use a longer keyword to narrow the list.`);
    }
  }
  return blocks.join("\n\n");
}

/** Returns the one-line summary of `result`, naming failed regions and the next step. */
export function summarize(result: SearchResult): string {
  const { keyword, services, totalMatches, outcomes } = result;
  const answered = outcomes.filter((o) => o.ok).map((o) => o.region);
  const failures = describeFailures(outcomes);
  const caveat = failures ? ` Only ${answered.join(", ")} answered: ${failures}.` : "";
  const didYouMean = result.suggestions && formatDidYouMean(result.suggestions);
  switch (result.status) {
    case "found":
      return `Found ${keyword} in ${services[0].regions.join(", ")}.${caveat}`;
    case "candidates":
      return `No service is named exactly "${keyword}"; ${totalMatches} ${
        totalMatches === 1 ? "service matches" : "services match"
      }, the closest first.${didYouMean ? ` ${didYouMean}` : ""}${caveat}`;
    case "not_found":
      if (didYouMean) {
        return `No service matches "${keyword}" in ${answered.join(", ")}. ${didYouMean}${caveat}`;
      }
      return `No service matches "${keyword}" in ${
        answered.join(", ")
      }: check the PSM's spelling (product.subsystem.module) or try a shorter part of it.${caveat}`;
    case "failed":
      return [`No region could be searched for "${keyword}": ${failures}.`, nextStepFor(outcomes)]
        .filter(Boolean).join(" ");
  }
}

/**
 * Returns each failed region and why, regions that failed alike grouped,
 * such as `cn, us: did not answer within 10000 ms`; empty when none failed.
 */
export function describeFailures(outcomes: readonly RegionOutcome[]): string {
  const byReason = new Map<string, string[]>();
  for (const outcome of outcomes) {
    if (outcome.ok) continue;
    const regions = byReason.get(outcome.error.message) ?? [];
    byReason.set(outcome.error.message, [...regions, outcome.region]);
  }
  return [...byReason].map(([reason, regions]) => `${regions.join(", ")}: ${reason}`).join("; ");
}

// These reasons already say what to do: a generic step after them would only mislead.
const SELF_EXPLAINED_KINDS: ReadonlySet<RegionFailureKind> = new Set([
  "auth",
  "redirect",
  "internal",
]);

/**
 * Returns a short line for the regions whose answer was not asked for just
 * now, those alike on one line: `cn, us: cached, fetched 40 s ago`, `cn:
 * stale, fetched 7 min ago; the region failed: ...`, `us: not awaited, ...`.
 * Live answers and failures (named in the summary) get none.
 */
export function describeSources(result: SearchResult): string[] {
  const byLabel = new Map<string, string[]>();
  const add = (label: string, region: string) =>
    byLabel.set(label, [...byLabel.get(label) ?? [], region]);
  for (const outcome of result.outcomes) {
    if (!outcome.ok || !outcome.fromCache || outcome.fetchedAt === undefined) continue;
    const fetched = `fetched ${formatAge(result.searchedAt - outcome.fetchedAt)} ago`;
    add(
      outcome.staleReason
        ? `stale, ${fetched}; the region failed: ${outcome.staleReason.message}`
        : `cached, ${fetched}`,
      outcome.region,
    );
  }
  for (const region of result.pending) {
    add("not awaited, the exact PSM was found first (pass wait_all_regions: true to wait)", region);
  }
  return [...byLabel].map(([label, regions]) => `${regions.join(", ")}: ${label}`);
}

function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function nextStepFor(outcomes: readonly RegionOutcome[]): string {
  const kinds = outcomes.flatMap((o) => o.ok ? [] : [o.error.kind]);
  if (kinds.every((kind) => SELF_EXPLAINED_KINDS.has(kind))) return "";
  return "Check your network or VPN connection and CAS_SESSION (check_jwt_status), then try again.";
}

function formatService(service: FoundService, prefix = ""): string {
  const lines: [string, string | undefined][] = [
    ["Name", service.chineseName === service.psm ? undefined : service.chineseName],
    ["Description", service.description],
    ["Owners", service.owners.join(", ") || undefined],
    ["Framework", service.framework],
    ["Type", service.type],
    ["Deployment platform", service.deploymentPlatform],
    ["Level", service.level],
    ["Regions", service.regions.join(", ")],
    ["Updated at", service.updatedAt],
  ];
  const indent = " ".repeat(prefix.length);
  return [
    `${prefix}PSM: ${service.psm}`,
    ...lines.flatMap(([label, value]) => value ? [`${indent}${label}: ${value}`] : []),
  ].join("\n");
}

function formatDidYouMean({ psms, caseOnly }: Suggestions): string {
  if (caseOnly) return `PSMs are case-sensitive: did you mean ${psms[0]}?`;
  const names = psms.length === 1
    ? psms[0]
    : `${psms.slice(0, -1).join(", ")} or ${psms[psms.length - 1]}`;
  return `Did you mean ${names}?`;
}
