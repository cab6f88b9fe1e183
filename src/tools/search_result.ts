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
import { formatDuration, groupByReason, timeOfDay } from "../wording.ts";
import { matchCount } from "../discovery/mod.ts";
import { cut } from "../text.ts";
import { cutOwners, FIELD_LIMITS, jsonBytes, MAX_RESULT_BYTES, shrinkToFit } from "./bounds.ts";

/** The longest keyword accepted. */
const MAX_KEYWORD_LENGTH = 256;

/** A search keyword: trimmed, non-empty, at most 256 characters. */
export const keywordSchema = z.string({
  error: (issue) =>
    issue.input === undefined
      ? "No keyword given: pass keyword, a PSM such as oec.affiliate.monitor or a part of one such as oec.affiliate"
      : "The keyword must be text: pass a PSM such as oec.affiliate.monitor, or a part of one",
})
  .trim()
  .min(1, "The keyword is empty: give a PSM such as oec.affiliate.monitor, or a part of one")
  .max(
    MAX_KEYWORD_LENGTH,
    `The keyword is longer than ${MAX_KEYWORD_LENGTH} characters: give one PSM or a part of it`,
  );

/**
 * How much a search result shows: `full`, every field of every service;
 * `standard`, every field of an exact match and one line per candidate;
 * `concise`, one line per service or keyword.
 */
export type Detail = "concise" | "standard" | "full";

/** The most characters of text a search result shows; what does not fit is counted instead. */
export const TEXT_BUDGET = 8_000;

/** Services a concise result carries in its structured content, the closest first. */
const CONCISE_SERVICES = 5;

// The longest a description is shown in a one-line candidate.
const LINE_DESCRIPTION_CHARS = 80;

/** The `detail` argument of both search tools; each has its own default. */
export function detailSchema(fallback: Detail) {
  const byDefault = fallback === "concise"
    ? "Default concise"
    : "Default: an exact match in full, candidates one line each (PSM, level, owners, regions)";
  return z.enum(["concise", "full"]).optional().describe(
    `concise: one line per ${
      fallback === "concise" ? "keyword" : "service"
    }, the closest ${CONCISE_SERVICES} services in structuredContent; full: every field of every service. ` +
      `${byDefault}. Either way the text stays under ${TEXT_BUDGET} characters and says how many more matched.`,
  );
}

/** The most region names the `regions` argument takes; a config names a few. */
const MAX_REGIONS = 64;

/** The most unknown region names an error lists; the rest are counted. */
const LISTED_UNKNOWN_REGIONS = 5;

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
    .max(
      MAX_REGIONS,
      `Too many regions: pass at most ${MAX_REGIONS}, or leave regions out to search every region`,
    )
    .optional()
    .describe(
      'Search only these regions, by name, such as ["cn"] (list_available_regions shows them); every region by default',
    ),
};

/** A tool's error result: a sentence saying what to pass instead. */
export type ToolError = {
  content: { type: "text"; text: string }[];
  isError: true;
};

/** Returns an error result of `text`. */
export function toolError(text: string): ToolError {
  return { content: [{ type: "text", text }], isError: true };
}

/**
 * Returns the configured names of the regions `names` asks for, matched
 * without regard to case (`CN` is `cn`), or a tool error naming the unknown
 * ones and the regions that exist.
 */
export function resolveRegions(
  names: readonly string[] | undefined,
  known: readonly { readonly name: string }[],
): { regions?: string[] } | { error: ToolError } {
  if (names === undefined) return {};
  const knownNames = known.map((region) => region.name);
  const byLowerCase = new Map(knownNames.map((name) => [name.toLowerCase(), name]));
  const unknown = [...new Set(names)].filter((name) => !byLowerCase.has(name.toLowerCase()));
  if (unknown.length === 0) {
    return { regions: [...new Set(names.map((name) => byLowerCase.get(name.toLowerCase())!))] };
  }
  const shown = unknown.slice(0, LISTED_UNKNOWN_REGIONS)
    .map((name) => JSON.stringify(cut(name, FIELD_LIMITS.text)));
  const more = unknown.length - shown.length;
  const listed = shown.join(", ") + (more > 0 ? ` and ${more} more` : "");
  return {
    error: toolError(
      `Unknown ${unknown.length === 1 ? "region" : "regions"} ${listed}: use ${
        knownNames.length === 1 ? "" : "any of "
      }${knownNames.join(", ")}, or leave regions out to search every region`,
    ),
  };
}

/**
 * What a search covered: every configured region's name, so that a result can
 * say which were left out by a `regions` filter.
 */
export interface SearchScope {
  readonly regions: readonly string[];
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

/** Options for {@linkcode toStructured} and {@linkcode formatSearchText}. */
export interface FormatOptions {
  detail?: Detail;
  /** Every configured region, to name those a `regions` filter left out. */
  scope?: SearchScope;
  /** Regions whose failure was already stated (in a batch's heading): named, not explained. */
  stated?: ReadonlySet<string>;
}

/**
 * Converts `result` to its structured form, every field cut to
 * {@linkcode FIELD_LIMITS}; a concise one keeps the closest few services.
 */
export function toStructured(
  result: SearchResult,
  { detail = "full", scope }: FormatOptions = {},
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
    message: summarize(result, { scope }),
    ...(result.suggestions && { suggestions: [...result.suggestions.psms] }),
  };
}

function toStructuredRegion(outcome: RegionOutcome): StructuredSearchResult["regions"][number] {
  if (!outcome.ok) {
    return { name: outcome.region, ok: false, status: "failed", error: reasonOf(outcome.error) };
  }
  const { staleReason, fetchedAt, fromCache } = outcome;
  return {
    name: outcome.region,
    ok: true,
    status: regionStatus(outcome),
    matches: matchCount(outcome),
    ...(staleReason && { error: reasonOf(staleReason) }),
    ...(fetchedAt !== undefined && { fetched_at: new Date(fetchedAt).toISOString() }),
    ...(fromCache !== undefined && { from_cache: fromCache }),
  };
}

function regionStatus(answer: RegionAnswer): "live" | "cached" | "stale" {
  if (answer.staleReason) return "stale";
  return answer.fromCache ? "cached" : "live";
}

/** Why a region failed, as a result and a notification say it: the error's message, cut. */
export function reasonOf(error: Error): string {
  return cut(error.message, FIELD_LIMITS.reason);
}

function toStructuredService(service: FoundService) {
  const text = (value: string | undefined) => cut(value, FIELD_LIMITS.text);
  return {
    psm: cut(service.psm, FIELD_LIMITS.psm),
    description: cut(service.description, FIELD_LIMITS.description),
    chinese_name: text(service.chineseName),
    owners: cutOwners(service.owners),
    framework: text(service.framework),
    type: text(service.type),
    deployment_platform: text(service.deploymentPlatform),
    level: text(service.level),
    updated_at: text(service.updatedAt),
    regions: [...service.regions],
  };
}

/**
 * Returns `result` as text: a summary line, a line for each region whose
 * answer is not fresh (stale, not awaited), then each service: an exact match
 * in full unless concise, candidates one line each unless `detail` is full,
 * as many as fit in `budget` characters.
 */
export function formatSearchText(
  result: SearchResult,
  { detail = "full", budget = TEXT_BUDGET, scope, stated }: FormatOptions & { budget?: number } =
    {},
): string {
  const head = [summarize(result, { scope, stated }), ...describeSources(result)].join("\n");
  if (result.status !== "found" && result.status !== "candidates") return head;
  const numbered = result.status === "candidates";
  const inFull = detail === "full" || (detail === "standard" && !numbered);
  const services = result.services.map((service, i) => {
    const prefix = numbered ? `${i + 1}. ` : "";
    return inFull ? formatService(service, prefix) : `${prefix}${serviceLine(service)}`;
  });
  const narrow = (shown: number) =>
    `…and ${result.totalMatches - shown} more: use a longer keyword to narrow the list.`;
  const fitted = fitWithin(services, budget - head.length - 2, {
    separator: inFull ? "\n\n" : "\n",
    more: (omitted) => narrow(services.length - omitted),
  });
  // Discovery already kept only the closest candidates: the rest are counted too. An exact
  // match is the answer, however many other PSMs also contain the keyword.
  const cutEarlier = numbered && fitted.omitted === 0 && result.totalMatches > services.length;
  return [head, fitted.text, ...(cutEarlier ? [narrow(services.length)] : [])].join("\n\n");
}

/**
 * Returns one line for `result`, for a concise batch: `oec.live.promotion:
 * found in cn, us: Live promotion campaigns and slots (zhang.wei)`. Regions
 * in `stated` failed alike for the whole batch, as its heading says: they are
 * not repeated here.
 */
export function formatSearchLine(
  result: SearchResult,
  { scope, stated = new Set() }: { scope?: SearchScope; stated?: ReadonlySet<string> } = {},
): string {
  const { keyword, services, totalMatches, outcomes } = result;
  const answered = outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
  const failed = outcomes.flatMap((o) => !o.ok && !stated.has(o.region) ? [o.region] : []);
  const caveat = failed.length > 0 && result.status !== "failed"
    ? ` [not searched: ${failed.join(", ")}]`
    : "";
  const complete = isComplete(result, scope);
  const didYouMean = result.suggestions && complete
    ? `. ${formatDidYouMean(result.suggestions)}`
    : "";
  switch (result.status) {
    case "found":
      return `${keyword}: found in ${services[0]!.regions.join(", ")}: ${
        describeBriefly(services[0]!)
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
      return `${keyword}: failed: ${describeFailures(outcomes, stated)}`.replace(/: $/, "");
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

/**
 * Returns the one-line summary of `result` with the next step. Spelling advice
 * and "did you mean" come only with a complete answer: when a region failed
 * or was left out, the summary says the PSM may be there instead.
 */
export function summarize(
  result: SearchResult,
  { scope, stated = new Set() }: Omit<FormatOptions, "detail"> = {},
): string {
  const { keyword, services, totalMatches, outcomes } = result;
  const answered = outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
  const missing = describeMissing(result, { scope, stated });
  const didYouMean = result.suggestions && !missing
    ? ` ${formatDidYouMean(result.suggestions)}`
    : "";
  const tail = missing ? ` ${missing}` : "";
  switch (result.status) {
    case "found":
      return `Found ${keyword} in ${services[0]!.regions.join(", ")}.${tail}`;
    case "candidates":
      return `No service is named exactly "${keyword}"; ${totalMatches} ${
        totalMatches === 1 ? "service matches" : "services match"
      }, the closest first.${didYouMean}${tail}`;
    case "not_found":
      if (missing) return `No service matches "${keyword}" in ${answered}.${tail}`;
      if (didYouMean) return `No service matches "${keyword}" in ${answered}.${didYouMean}`;
      return `No service matches "${keyword}" in ${answered}: check the PSM's spelling (product.subsystem.module) or try a shorter part of it.`;
    case "failed":
      return [
        `No region could be searched for "${keyword}": ${describeFailures(outcomes)}.`,
        nextStepFor(outcomes),
      ].filter(Boolean).join(" ");
  }
}

/** Whether every configured region answered `result` (none failed, none left out). */
function isComplete(result: SearchResult, scope?: SearchScope): boolean {
  return describeMissing(result, { scope, stated: new Set() }) === "";
}

// What an answer lacks: regions that failed (the PSM may be there; when to retry) and regions
// a `regions` filter left out. Empty for a complete answer.
function describeMissing(
  result: SearchResult,
  { scope, stated }: { scope?: SearchScope; stated: ReadonlySet<string> },
): string {
  const parts: string[] = [];
  const failures = describeFailures(result.outcomes, stated);
  if (failures) {
    const answered = result.outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
    const where = result.status === "found" ? "" : "; the PSM may be in a region not searched";
    parts.push(`Only ${answered} answered${where}: ${failures}.${retryAdvice(result.outcomes)}`);
  }
  const alreadyStated = result.outcomes.filter((o) => !o.ok && stated.has(o.region));
  if (alreadyStated.length > 0 && result.status !== "found") {
    parts.push(
      `The PSM may be in ${alreadyStated.map((o) => o.region).join(", ")} (not searched).`,
    );
  }
  const leftOut = regionsLeftOut([result], scope);
  if (leftOut.length > 0 && result.status !== "found") {
    parts.push(
      `Left out by the regions filter: ${
        leftOut.join(", ")
      }; leave regions out to search every region.`,
    );
  }
  return parts.join(" ");
}

/**
 * Returns when to search again for the regions that failed in `outcomes`:
 * after a skipped region's breaker lets it be tried, or in a moment for a
 * passing fault; empty for faults that say their own fix.
 */
export function retryAdvice(outcomes: readonly RegionOutcome[]): string {
  const errors = outcomes.flatMap((o) => o.ok ? [] : [o.error]);
  const them = errors.length === 1 ? "it" : "them";
  const at = retryTime(outcomes);
  if (at) return ` Search again after ${at} to cover ${them}.`;
  if (errors.every((e) => SELF_EXPLAINED_KINDS.has(e.kind))) return "";
  return ` Search again in a moment to cover ${them}.`;
}

/**
 * Returns the regions of `scope` that none of `results` searched: those a
 * `regions` filter left out.
 */
export function regionsLeftOut(
  results: readonly SearchResult[],
  scope: SearchScope | undefined,
): string[] {
  const searched = new Set(
    results.flatMap((r) => [...r.outcomes.map((o) => o.region), ...r.pending]),
  );
  return scope?.regions.filter((name) => !searched.has(name)) ?? [];
}

/** Returns the latest time a region skipped in `outcomes` is tried again, as "12:34:56 UTC". */
function retryTime(outcomes: readonly RegionOutcome[]): string | undefined {
  const times = outcomes.flatMap((o) =>
    !o.ok && o.error.retryAt ? [o.error.retryAt.getTime()] : []
  );
  if (times.length === 0) return undefined;
  return timeOfDay(Math.max(...times));
}

/**
 * Returns each failed region and why, regions that failed alike grouped,
 * such as `cn, us: did not answer within 10000 ms`; empty when none failed.
 * Regions in `except` are left out.
 */
export function describeFailures(
  outcomes: readonly RegionOutcome[],
  except: ReadonlySet<string> = new Set(),
): string {
  return groupByReason(
    outcomes.flatMap((outcome) =>
      outcome.ok || except.has(outcome.region) ? [] : [[outcome.region, reasonOf(outcome.error)]]
    ),
  ).join("; ");
}

// These reasons already say what to do: a generic step after them would only mislead.
const SELF_EXPLAINED_KINDS: ReadonlySet<RegionFailureKind> = new Set([
  "auth",
  "redirect",
  "internal",
]);

/**
 * Returns a short line for the regions whose answer is not fresh, those alike
 * on one line: `cn: stale, fetched 7 min ago; the region failed: ...`, `us:
 * not awaited, ...`. Live and cached answers get none (a cached answer's age
 * is in the structured content); failures are named in the summary.
 */
export function describeSources(result: SearchResult): string[] {
  const labels: [string, string][] = [];
  const add = (label: string, region: string) => labels.push([region, label]);
  for (const outcome of result.outcomes) {
    if (!outcome.ok || !outcome.staleReason || outcome.fetchedAt === undefined) continue;
    const fetched = `fetched ${formatDuration(result.searchedAt - outcome.fetchedAt)} ago`;
    add(`stale, ${fetched}; the region failed: ${reasonOf(outcome.staleReason)}`, outcome.region);
  }
  for (const region of result.pending) {
    add("not awaited, the exact PSM was found first (pass wait_all_regions: true to wait)", region);
  }
  return groupByReason(labels);
}

function nextStepFor(outcomes: readonly RegionOutcome[]): string {
  const kinds = outcomes.flatMap((o) => o.ok ? [] : [o.error.kind]);
  if (kinds.every((kind) => SELF_EXPLAINED_KINDS.has(kind))) return "";
  const at = retryTime(outcomes);
  return `Check your network or VPN connection and CAS_SESSION (check_jwt_status), then try again${
    at ? ` after ${at}` : ""
  }.`;
}

// "oec.live.room (P0; cn, us) — Live room state and lifecycle; owners liu.yang, zhang.wei"
function serviceLine(service: FoundService): string {
  const facts = [service.level ?? "", service.regions.join(", ")].filter(Boolean).map(clipText)
    .join("; ");
  const about = service.description ?? service.chineseName;
  const owners = service.owners.length > 0 ? `; owners ${ownersText(service.owners)}` : "";
  return `${cut(service.psm, FIELD_LIMITS.psm)}${facts ? ` (${facts})` : ""}${
    about ? ` — ${cut(about, LINE_DESCRIPTION_CHARS)}` : ""
  }${owners}`;
}

// "Live promotion campaigns and slots (zhang.wei)"
function describeBriefly(service: FoundService): string {
  const about = service.description !== undefined
    ? cut(service.description, FIELD_LIMITS.description)
    : clipText(service.chineseName ?? "no description");
  return service.owners.length > 0 ? `${about} (${ownersText(service.owners)})` : about;
}

// The text cuts each field as structuredContent does (FIELD_LIMITS), with the same marker.
function clipText(text: string): string {
  return cut(text, FIELD_LIMITS.text);
}

function ownersText(owners: readonly string[]): string {
  return cutOwners(owners).join(", ");
}

function formatService(service: FoundService, prefix = ""): string {
  const text = (value: string | undefined) => value && clipText(value);
  const lines: [string, string | undefined][] = [
    ["Name", service.chineseName === service.psm ? undefined : text(service.chineseName)],
    ["Description", cut(service.description, FIELD_LIMITS.description)],
    ["Owners", ownersText(service.owners) || undefined],
    ["Framework", text(service.framework)],
    ["Type", text(service.type)],
    ["Deployment platform", text(service.deploymentPlatform)],
    ["Level", text(service.level)],
    ["Regions", text(service.regions.join(", "))],
    ["Updated at", text(service.updatedAt)],
  ];
  const indent = " ".repeat(prefix.length);
  return [
    `${prefix}PSM: ${cut(service.psm, FIELD_LIMITS.psm)}`,
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

/**
 * Returns `results` with fewer services where needed (each `omitted` counting
 * them) so that `text` and `wrap(results)` together stay under
 * {@linkcode MAX_RESULT_BYTES} as JSON, less `reserve` bytes for what a caller
 * adds later; `wrap` builds the whole structured content from the results.
 * Returns `undefined` when even no services would not fit.
 */
export function fitStructured<T>(
  text: string,
  results: readonly StructuredSearchResult[],
  { wrap, reserve = 0 }: { wrap: (results: StructuredSearchResult[]) => T; reserve?: number },
): T | undefined {
  const fitted = results.map((result) => ({ ...result, services: [...result.services] }));
  const lists = fitted.map((result) => ({
    get length() {
      return result.services.length;
    },
    keep(count: number) {
      result.omitted += result.services.length - count;
      result.services.length = count;
    },
  }));
  // The envelope of a result: content array, type, isError; generous on purpose.
  const budget = MAX_RESULT_BYTES - reserve - jsonBytes(text) - 256;
  return shrinkToFit(lists, budget, () => jsonBytes(wrap(fitted))) ? wrap(fitted) : undefined;
}
