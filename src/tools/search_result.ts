/**
 * What both search tools share: the keyword they accept, and how a
 * {@linkcode SearchResult} is shown to a model, as structured content and text,
 * in full or concisely, within a budget of {@linkcode TEXT_BUDGET} characters.
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
import { matchCount } from "../discovery/mod.ts";

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

/** How much a search result shows: every field, or one line per service or keyword. */
export type Detail = "concise" | "full";

/** The most characters of text a search result shows; what does not fit is counted instead. */
export const TEXT_BUDGET = 8_000;

/** Services a concise result carries in its structured content, the closest first. */
const CONCISE_SERVICES = 5;

// The longest a single field is shown in text: a registry description can be any length.
const MAX_FIELD_CHARS = 300;

/** The `detail` argument of both search tools; each has its own default. */
export function detailSchema(fallback: Detail) {
  return z.enum(["concise", "full"]).optional().describe(
    `concise: one line per ${
      fallback === "concise" ? "keyword" : "service"
    }, the closest ${CONCISE_SERVICES} services in structuredContent; full: every field of every service. ` +
      `Default ${fallback}. Either way the text stays under ${TEXT_BUDGET} characters and says how many more matched.`,
  );
}

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
const serviceSchema = z.object({
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

/** Converts `result` to its structured form; a concise one keeps the closest few services. */
export function toStructured(
  result: SearchResult,
  { detail = "full" }: { detail?: Detail } = {},
): StructuredSearchResult {
  const services = detail === "concise"
    ? result.services.slice(0, CONCISE_SERVICES)
    : result.services;
  return {
    keyword: result.keyword,
    status: result.status,
    services: services.map(toStructuredService),
    total_matches: result.totalMatches,
    omitted: result.totalMatches - services.length,
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
    matches: matchCount(outcome),
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
 * just now (cached, stale, not awaited), then each service, in full (every
 * field) or concisely (one line each), as many as fit in `budget` characters.
 */
export function formatSearchText(
  result: SearchResult,
  { detail = "full", budget = TEXT_BUDGET }: { detail?: Detail; budget?: number } = {},
): string {
  const head = [summarize(result), ...describeSources(result)].join("\n");
  if (result.status !== "found" && result.status !== "candidates") return head;
  const numbered = result.status === "candidates";
  const services = result.services.map((service, i) => {
    const prefix = numbered ? `${i + 1}. ` : "";
    return detail === "full" ? formatService(service, prefix) : `${prefix}${serviceLine(service)}`;
  });
  const narrow = (shown: number) =>
    `…and ${result.totalMatches - shown} more: use a longer keyword to narrow the list.`;
  const fitted = fitWithin(services, budget - head.length - 2, {
    separator: detail === "full" ? "\n\n" : "\n",
    more: (omitted) => narrow(services.length - omitted),
  });
  // Discovery already kept only the closest candidates: the rest are counted too. An exact
  // match is the answer, however many other PSMs also contain the keyword.
  const cutEarlier = numbered && fitted.omitted === 0 && result.totalMatches > services.length;
  return [head, fitted.text, ...(cutEarlier ? [narrow(services.length)] : [])].join("\n\n");
}

/**
 * Returns one line for `result`, for a concise batch: `oec.live.promotion:
 * found in cn, us: Live promotion campaigns and slots (zhang.wei)`.
 */
export function formatSearchLine(result: SearchResult): string {
  const { keyword, services, totalMatches, outcomes } = result;
  const answered = outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
  const failures = describeFailures(outcomes);
  const caveat = failures && result.status !== "failed" ? ` [failed: ${failures}]` : "";
  const didYouMean = result.suggestions ? `. ${formatDidYouMean(result.suggestions)}` : "";
  switch (result.status) {
    case "found":
      return `${keyword}: found in ${services[0].regions.join(", ")}: ${
        describeBriefly(services[0])
      }${caveat}`;
    case "candidates": {
      const names = services.slice(0, CONCISE_SERVICES).map((s) => s.psm);
      const rest = totalMatches - names.length;
      return `${keyword}: no exact match, ${totalMatches} ${
        totalMatches === 1 ? "candidate" : "candidates"
      }: ${names.join(", ")}${rest > 0 ? ` (+${rest} more)` : ""}${didYouMean}${caveat}`;
    }
    case "not_found":
      return `${keyword}: not found in ${answered}${didYouMean}${caveat}`;
    case "failed":
      return `${keyword}: failed: ${failures}`;
  }
}

/** Options for {@linkcode fitWithin}. */
export interface FitOptions {
  /** Put between blocks. */
  separator: string;
  /** The line that ends a text with `omitted` blocks left out. */
  more: (omitted: number) => string;
}

/**
 * Joins as many `blocks` as fit in `budget` characters, the first always, and
 * ends with `more(omitted)` when some were left out.
 */
export function fitWithin(
  blocks: readonly string[],
  budget: number,
  { separator, more }: FitOptions,
): { text: string; omitted: number } {
  let length = 0;
  let shown = 0;
  for (const block of blocks) {
    const omittedAfter = blocks.length - shown - 1;
    const tail = omittedAfter > 0 ? separator.length + more(omittedAfter).length : 0;
    const added = (shown > 0 ? separator.length : 0) + block.length;
    if (shown > 0 && length + added + tail > budget) break;
    length += added;
    shown++;
  }
  const omitted = blocks.length - shown;
  const kept = blocks.slice(0, shown);
  return { text: [...kept, ...(omitted > 0 ? [more(omitted)] : [])].join(separator), omitted };
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
function describeFailures(outcomes: readonly RegionOutcome[]): string {
  return groupByReason(
    outcomes.flatMap((outcome) => outcome.ok ? [] : [[outcome.region, outcome.error.message]]),
  ).join("; ");
}

/**
 * Returns one `region, region: reason` line per distinct reason, in the order
 * reasons first appear, from `[region, reason]` pairs: the same sentence is
 * not repeated for every region it applies to.
 */
export function groupByReason(pairs: Iterable<readonly [string, string]>): string[] {
  const byReason = new Map<string, string[]>();
  for (const [region, reason] of pairs) {
    byReason.set(reason, [...byReason.get(reason) ?? [], region]);
  }
  return [...byReason].map(([reason, regions]) => `${regions.join(", ")}: ${reason}`);
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
  const labels: [string, string][] = [];
  const add = (label: string, region: string) => labels.push([region, label]);
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
  return groupByReason(labels);
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

// "oec.live.promotion — Live promotion campaigns and slots (zhang.wei)"
function serviceLine(service: FoundService): string {
  return `${service.psm} — ${describeBriefly(service)}`;
}

// "Live promotion campaigns and slots (zhang.wei)"
function describeBriefly(service: FoundService): string {
  const about = clip(service.description ?? service.chineseName ?? "no description");
  return service.owners.length > 0 ? `${about} (${clip(service.owners.join(", "))})` : about;
}

function clip(text: string): string {
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
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
    ...lines.flatMap(([label, value]) => value ? [`${indent}${label}: ${clip(value)}`] : []),
  ].join("\n");
}

function formatDidYouMean({ psms, caseOnly }: Suggestions): string {
  if (caseOnly) return `PSMs are case-sensitive: did you mean ${psms[0]}?`;
  const names = psms.length === 1
    ? psms[0]
    : `${psms.slice(0, -1).join(", ")} or ${psms[psms.length - 1]}`;
  return `Did you mean ${names}?`;
}
