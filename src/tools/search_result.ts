/** The arguments both search tools take, and their results as text, structured content, warnings.
 * @module */

import { z } from "zod";
import type {
  FoundService,
  RegionOutcome,
  SearchOptions,
  SearchResult,
  Suggestions,
} from "../discovery/mod.ts";
import { formatDuration, groupByReason, timeOfDay } from "../wording.ts";
import { LruMap } from "../lru.ts";
import type { CallToolResult, McpServer } from "../mcp_sdk.ts";
import { CONTROL_CHARACTERS, cut } from "../text.ts";

const MAX_KEYWORD_LENGTH = 256;
const CONCISE_SERVICES = 5;
const LINE_DESCRIPTION_CHARS = 80;
const MAX_REGIONS = 64;
const LISTED_UNKNOWN_REGIONS = 5;

/** The most bytes a tool result takes as JSON, text and structured content together. */
export const MAX_RESULT_BYTES = 64 * 1024;

// A region's failure reason gets 600 characters: our own advice must arrive whole.
export const FIELD_LIMITS = {
  description: 1_000,
  psm: 256,
  reason: 600,
  text: 200,
  owners: 20,
} as const;

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
  )
  // Never quoted back into a text a client shows: a PSM is letters, digits, dots, _ and -.
  .refine(
    (keyword) => keyword.search(CONTROL_CHARACTERS) === -1,
    "The keyword holds a control or text-direction character: give a PSM such as oec.affiliate.monitor, or a part of one",
  );

/** How much a result shows; `standard` is an exact match in full and a line per candidate. */
export type Detail = "concise" | "standard" | "full";

/** The most characters of text a search result shows; what does not fit is counted instead. */
export const TEXT_BUDGET = 8_000;

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

export const searchArgsSchema = z.object({
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
});

export function toolError(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/** Region names are matched regardless of case; unknown ones make an error result. */
export function toSearchOptions(
  { refresh, wait_all_regions, regions }: z.infer<typeof searchArgsSchema>,
  known: readonly { readonly name: string }[],
): SearchOptions | CallToolResult {
  const options = { refresh, waitAllRegions: wait_all_regions };
  if (regions === undefined) return options;
  const byLowerCase = new Map(known.map(({ name }) => [name.toLowerCase(), name]));
  const unknown = [...new Set(regions)].filter((name) => !byLowerCase.has(name.toLowerCase()));
  if (unknown.length === 0) {
    return {
      ...options,
      regions: [...new Set(regions.map((name) => byLowerCase.get(name.toLowerCase())!))],
    };
  }
  const shown = unknown.slice(0, LISTED_UNKNOWN_REGIONS).map((name) => JSON.stringify(clip(name)));
  const more = unknown.length > shown.length ? ` and ${unknown.length - shown.length} more` : "";
  return toolError(
    `Unknown ${unknown.length === 1 ? "region" : "regions"} ${shown.join(", ")}${more}: use ${
      known.length === 1 ? "" : "any of "
    }${known.map(({ name }) => name).join(", ")}, or leave regions out to search every region`,
  );
}

// Keywords the way models write them: lists, JSON arrays, patterns such as `oec.live.*`.

// PSMs hold no whitespace, so any run of it separates keywords as a comma does.
const SEPARATORS = /[,;\s]+/;
// Glob and regular-expression characters never found in a PSM.
const PATTERN_CHARS = /[*?%^$()[\]{}|+\\]/;

export function splitKeywords(input: string | readonly string[]): string[] {
  const parts = typeof input === "string" ? fromText(input) : input;
  return [...new Set(parts.flatMap((part) => part.split(SEPARATORS)).filter(Boolean))];
}

function fromText(text: string): readonly string[] {
  if (!text.trim().startsWith("[")) return [text];
  try {
    const parsed: unknown = JSON.parse(text.trim());
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
  } catch {
    // Not JSON after all: split it as text.
  }
  return [text.replace(/[[\]"']/g, " ")];
}

/** A pattern such as `oec.live.*`, `^oec\.live` or `%live%` becomes the longest text in it. */
export function toSearchTerm(keyword: string): { keyword: string; note?: string } {
  if (!PATTERN_CHARS.test(keyword)) return { keyword };
  const plain = keyword
    .replace(/\\\./g, ".")
    .replace(/\.[*+?]/g, " ")
    .split(/[\s*?%^$()[\]{}|+\\]+/)
    .map((part) => part.replace(/^\.+|\.+$/g, "").trim())
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)[0] ?? keyword;
  return {
    keyword: plain,
    note:
      `Search is by substring, not by pattern: "${keyword}" was searched as "${plain}", which finds every PSM containing it.`,
  };
}

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

export type StructuredSearchResult = z.infer<typeof searchResultSchema>;

export const batchResultSchema = z.object({
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

export type BatchResult = z.infer<typeof batchResultSchema>;

/** `scope`: every configured region; `stated`: failures a batch's heading already explained. */
export interface FormatOptions {
  detail?: Detail;
  scope?: readonly string[];
  stated?: ReadonlySet<string>;
  budget?: number;
}

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
    services: services.map((service) => ({
      psm: cut(service.psm, FIELD_LIMITS.psm),
      description: cut(service.description, FIELD_LIMITS.description),
      chinese_name: clip(service.chineseName),
      owners: cutOwners(service.owners),
      framework: clip(service.framework),
      type: clip(service.type),
      deployment_platform: clip(service.deploymentPlatform),
      level: clip(service.level),
      updated_at: clip(service.updatedAt),
      regions: [...service.regions],
    })),
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
    status: staleReason ? "stale" : fromCache ? "cached" : "live",
    matches: outcome.matches,
    ...(staleReason && { error: reasonOf(staleReason) }),
    ...(fetchedAt !== undefined && { fetched_at: new Date(fetchedAt).toISOString() }),
    ...(fromCache !== undefined && { from_cache: fromCache }),
  };
}

function reasonOf(error: Error): string {
  return cut(error.message, FIELD_LIMITS.reason);
}

// The text cuts each field as structuredContent does.
function clip(text: string): string;
function clip(text: string | undefined): string | undefined;
function clip(text: string | undefined): string | undefined {
  return cut(text, FIELD_LIMITS.text);
}

function cutOwners(owners: readonly string[]): string[] {
  const kept = owners.slice(0, FIELD_LIMITS.owners).map((owner) => clip(owner));
  return owners.length > FIELD_LIMITS.owners ? [...kept, `… [cut: ${owners.length} owners]`] : kept;
}

/** A summary, a line per region whose answer is not fresh, then the services that fit. */
export function formatSearchText(
  result: SearchResult,
  { detail = "full", budget = TEXT_BUDGET, scope, stated }: FormatOptions = {},
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
  // Discovery kept only the closest candidates; an exact match needs no count of the others.
  const cutEarlier = numbered && fitted.omitted === 0 && result.totalMatches > services.length;
  return [head, fitted.text, ...(cutEarlier ? [narrow(services.length)] : [])].join("\n\n");
}

// Room for the notes a tool adds (a pattern searched as text, a list given for one keyword).
const NOTES_RESERVE = 8 * 1024;

export type SearchFormatter = ReturnType<typeof createSearchFormatter>;

/** Formats one keyword's result under 64 KiB less room for notes; recent results are reused (P5). */
export function createSearchFormatter({ maxEntries = 128 } = {}) {
  const recent = new LruMap<string, { text: string; structured: StructuredSearchResult }>(
    maxEntries,
  );
  // The cache's service lists, named by identity: a result made of them has the same matches.
  const ids = new WeakMap<object, number>();
  let lastId = 0;
  const idOf = (services: object) => {
    let id = ids.get(services);
    if (id === undefined) ids.set(services, id = ++lastId);
    return id;
  };
  return {
    format(result: SearchResult, detail: Detail, { scope }: { scope?: readonly string[] } = {}) {
      // The time of the search shows only in the source lines ("stale, fetched 7 min ago").
      const key = JSON.stringify([
        detail,
        scope,
        result.keyword,
        result.pending,
        result.suggestions,
        describeSources(result),
        result.outcomes.map((o) =>
          o.ok
            ? [o.region, idOf(o.services), o.fetchedAt, o.fromCache, o.staleReason?.message]
            : [o.region, o.error.kind, o.error.message]
        ),
      ]);
      const known = recent.get(key);
      if (known) return known;
      const text = formatSearchText(result, { detail, scope });
      const whole = toStructured(result, { detail, scope });
      const structured =
        fitStructured(text, [whole], { wrap: ([one]) => one, reserve: NOTES_RESERVE }) ??
          { ...whole, services: [], omitted: whole.total_matches };
      const formatted = { text, structured };
      recent.set(key, formatted);
      return formatted;
    },
  };
}

// One line for `result` in a concise batch: `oec.live.room: found in cn, us: ...`.
function formatSearchLine(
  result: SearchResult,
  { scope, stated }: { scope: readonly string[]; stated: ReadonlySet<string> },
): string {
  const { keyword, services, totalMatches, outcomes } = result;
  const answered = outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
  const failed = outcomes.flatMap((o) => !o.ok && !stated.has(o.region) ? [o.region] : []);
  const caveat = failed.length > 0 && result.status !== "failed"
    ? ` [not searched: ${failed.join(", ")}]`
    : "";
  const complete = describeMissing(result, { scope, stated: new Set() }) === "";
  const didYouMean = result.suggestions && complete
    ? `. ${formatDidYouMean(result.suggestions)}`
    : "";
  switch (result.status) {
    case "found":
      return `${keyword}: ${describeFound(services[0]!)}${caveat}`;
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

// The first block always, then as many as fit, then `more(omitted)`.
function fitWithin(
  blocks: readonly string[],
  budget: number,
  { separator, more }: { separator: string; more: (omitted: number) => string },
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

/** Spelling advice comes only with a complete answer: else the PSM may be in a region missed. */
export function summarize(
  result: SearchResult,
  { scope, stated = new Set() }: FormatOptions = {},
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
      if (missing || didYouMean) {
        return `No service matches "${keyword}" in ${answered}.${didYouMean}${tail}`;
      }
      return `No service matches "${keyword}" in ${answered}: check the PSM's spelling (product.subsystem.module) or try a shorter part of it.`;
    case "failed":
      return [
        `No region could be searched for "${keyword}": ${describeFailures(outcomes)}.`,
        nextStepFor(outcomes),
      ].filter(Boolean).join(" ");
  }
}

// What an answer lacks: regions that failed or that a `regions` filter left out; empty if none.
function describeMissing(
  result: SearchResult,
  { scope, stated }: { scope?: readonly string[]; stated: ReadonlySet<string> },
): string {
  const parts: string[] = [];
  const failures = describeFailures(result.outcomes, stated);
  if (failures) {
    const answered = result.outcomes.filter((o) => o.ok).map((o) => o.region).join(", ");
    const where = result.status === "found" ? "" : "; the PSM may be in a region not searched";
    parts.push(`Only ${answered} answered${where}: ${failures}.${retryAdvice(result.outcomes)}`);
  }
  if (result.status === "found") return parts.join(" ");
  const inHeading = result.outcomes.flatMap((o) => o.ok || !stated.has(o.region) ? [] : [o.region]);
  if (inHeading.length > 0) parts.push(`The PSM may be in ${inHeading.join(", ")} (not searched).`);
  return [...parts, ...leftOutNote([result], scope)].join(" ");
}

// Nothing for faults that say their own fix.
function retryAdvice(outcomes: readonly RegionOutcome[]): string {
  const them = outcomes.filter((o) => !o.ok).length === 1 ? "it" : "them";
  const at = retryTime(outcomes);
  if (at) return ` Search again after ${at} to cover ${them}.`;
  return selfExplained(outcomes) ? "" : ` Search again in a moment to cover ${them}.`;
}

function nextStepFor(outcomes: readonly RegionOutcome[]): string {
  if (selfExplained(outcomes)) return "";
  const at = retryTime(outcomes);
  const after = at ? ` after ${at}` : "";
  return `Check your network or VPN connection and CAS_SESSION (check_jwt_status), then try again${after}.`;
}

function leftOutNote(
  results: readonly SearchResult[],
  scope: readonly string[] | undefined,
): string[] {
  const searched = new Set(
    results.flatMap((r) => [...r.outcomes.map((o) => o.region), ...r.pending]),
  );
  const leftOut = scope?.filter((name) => !searched.has(name)) ?? [];
  const note = `Left out by the regions filter: ${leftOut.join(", ")}; ` +
    "leave regions out to search every region.";
  return leftOut.length === 0 ? [] : [note];
}

function retryTime(outcomes: readonly RegionOutcome[]): string | undefined {
  const times = outcomes.flatMap((o) => o.ok ? [] : o.error.retryAt?.getTime() ?? []);
  return times.length === 0 ? undefined : timeOfDay(Math.max(...times));
}

// Alike failures grouped: `cn, us: did not answer within 10000 ms`.
function describeFailures(
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
function selfExplained(outcomes: readonly RegionOutcome[]): boolean {
  return outcomes.every((o) => o.ok || ["auth", "redirect", "internal"].includes(o.error.kind));
}

// A line per reason answers are not fresh; a cached answer's age is in structured content only.
function describeSources(result: SearchResult): string[] {
  const stale = result.outcomes.flatMap((o) => {
    if (!o.ok || !o.staleReason || o.fetchedAt === undefined) return [];
    const fetched = `fetched ${formatDuration(result.searchedAt - o.fetchedAt)} ago`;
    return [
      [o.region, `stale, ${fetched}; the region failed: ${reasonOf(o.staleReason)}`] as const,
    ];
  });
  const notAwaited =
    "not awaited, the exact PSM was found first (pass wait_all_regions: true to wait)";
  return groupByReason([...stale, ...result.pending.map((r) => [r, notAwaited] as const)]);
}

function serviceLine(service: FoundService): string {
  const facts = [service.level, service.regions.join(", ")].filter(Boolean).map(clip).join("; ");
  const about = service.description ?? service.chineseName;
  const owners = service.owners.length > 0
    ? `; owners ${cutOwners(service.owners).join(", ")}`
    : "";
  return `${cut(service.psm, FIELD_LIMITS.psm)}${facts ? ` (${facts})` : ""}${
    about ? ` — ${cut(about, LINE_DESCRIPTION_CHARS)}` : ""
  }${owners}`;
}

function describeFound(service: FoundService): string {
  const about = service.description !== undefined
    ? cut(service.description, FIELD_LIMITS.description)
    : clip(service.chineseName ?? "no description");
  const found = `found in ${service.regions.join(", ")}: ${about}`;
  return service.owners.length > 0 ? `${found} (${cutOwners(service.owners).join(", ")})` : found;
}

function formatService(service: FoundService, prefix: string): string {
  const lines: [string, string | undefined][] = [
    ["Name", service.chineseName === service.psm ? undefined : clip(service.chineseName)],
    ["Description", cut(service.description, FIELD_LIMITS.description)],
    ["Owners", cutOwners(service.owners).join(", ")],
    ["Framework", clip(service.framework)],
    ["Type", clip(service.type)],
    ["Deployment platform", clip(service.deploymentPlatform)],
    ["Level", clip(service.level)],
    ["Regions", clip(service.regions.join(", "))],
    ["Updated at", clip(service.updatedAt)],
  ];
  const indent = " ".repeat(prefix.length);
  return [
    `${prefix}PSM: ${cut(service.psm, FIELD_LIMITS.psm)}`,
    ...lines.flatMap(([label, value]) => value ? [`${indent}${label}: ${value}`] : []),
  ].join("\n");
}

function formatDidYouMean({ psms, caseOnly }: Suggestions): string {
  if (caseOnly) return `PSMs are case-sensitive: did you mean ${psms[0]}?`;
  const names = [psms.slice(0, -1).join(", "), psms.at(-1)].filter(Boolean).join(" or ");
  return `Did you mean ${names}?`;
}

/** Halves the longest service lists until `wrap(results)` and `text` fit, or `undefined`. */
export function fitStructured<T>(
  text: string,
  results: readonly StructuredSearchResult[],
  { wrap, reserve = 0 }: { wrap: (results: StructuredSearchResult[]) => T; reserve?: number },
): T | undefined {
  const fitted = results.map((result) => ({ ...result, services: [...result.services] }));
  // 256: the envelope of a result (content array, type, isError), generous on purpose.
  const budget = MAX_RESULT_BYTES - reserve - jsonBytes(text) - 256;
  while (jsonBytes(wrap(fitted)) > budget) {
    const longest = Math.max(0, ...fitted.map((result) => result.services.length));
    if (longest === 0) return undefined;
    const cap = Math.floor(longest / 2);
    for (const result of fitted.filter((result) => result.services.length > cap)) {
      result.omitted += result.services.length - cap;
      result.services.length = cap;
    }
  }
  return wrap(fitted);
}

function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** A batch's text and structured content; `undefined` when even no services would fit. */
export function formatBatch(
  results: readonly SearchResult[],
  { detail, scope, notes }: { detail: Detail; scope: readonly string[]; notes: readonly string[] },
): { text: string; structured: BatchResult } | undefined {
  const summary = { found: 0, candidates: 0, not_found: 0, failed: 0 };
  for (const result of results) summary[result.status]++;
  const text = formatBatchText(results, summary, { detail, scope, notes });
  const all = results.map((result) => toStructured(result, { detail, scope }));
  // Fewer services per keyword first, then fewer keywords, until the answer fits.
  for (let shown = all.length;; shown = Math.floor(shown / 2)) {
    const omitted = all.length - shown;
    const structured = fitStructured(text, all.slice(0, shown), {
      wrap: (fitted) => ({
        keywords: results.map((result) => result.keyword),
        summary,
        results: fitted,
        ...(omitted > 0 && { results_omitted: omitted }),
      }),
    });
    if (structured || shown === 0) return structured && { text, structured };
  }
}

function formatBatchText(
  results: readonly SearchResult[],
  summary: BatchResult["summary"],
  { detail, scope, notes }: Parameters<typeof formatBatch>[1],
): string {
  const failedAlike = failedEverywhere(results);
  const stated = new Set(failedAlike.map((o) => o.region));
  const heading = [
    `Searched ${results.length} ${results.length === 1 ? "keyword" : "keywords"}: ` +
    `${summary.found} found, ${summary.candidates} with candidates only, ` +
    `${summary.not_found} not found, ${summary.failed} failed.`,
    ...(failedAlike.length === 0 ? [] : [
      `Not searched for any keyword: ${describeFailures(failedAlike)}. ` +
      `A PSM not found below may be there.${retryAdvice(failedAlike)}`,
    ]),
    ...(results.length > 0 ? leftOutNote(results, scope) : []),
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
  const { text } = fitWithin(blocks, TEXT_BUDGET - heading.length - 2, {
    separator: detail === "concise" ? "\n" : "\n\n",
    more: (omitted) =>
      `…and ${omitted} more ${omitted === 1 ? "keyword" : "keywords"} not shown: ` +
      `${detail === "full" ? 'pass detail: "concise", or ' : ""}search fewer keywords per call.`,
  });
  return `${heading}\n\n${text}`;
}

// The regions that failed alike for every keyword of a batch: stated once in its heading.
function failedEverywhere([first, ...rest]: readonly SearchResult[]): RegionOutcome[] {
  return (first?.outcomes ?? []).filter((failure) =>
    !failure.ok && rest.every(({ outcomes }) => {
      const same = outcomes.find((o) => o.region === failure.region);
      return same?.ok === false && same.error.message === failure.error.message;
    })
  );
}

/** One `warning` per failed region and reason; the SDK drops it below the session's log level. */
export async function notifyRegionFailures(
  server: Pick<McpServer, "sendLoggingMessage">,
  results: readonly SearchResult[],
  { sessionId }: { sessionId?: string } = {},
): Promise<void> {
  const failed = results.flatMap(({ keyword, outcomes }) =>
    outcomes.flatMap((o) => o.ok ? [] : [{ region: o.region, reason: reasonOf(o.error), keyword }])
  );
  for (const alike of Map.groupBy(failed, (f) => JSON.stringify([f.region, f.reason])).values()) {
    const { region, reason } = alike[0]!;
    const keywords = alike.map((f) => f.keyword);
    const which = keywords.length === 1 ? `"${keywords[0]}"` : `${keywords.length} keywords`;
    const message = `Region ${region} failed for ${which}: ${reason}`;
    const data = { message, region, reason, keywords };
    try {
      await server.sendLoggingMessage({ level: "warning", logger: "discovery", data }, sessionId);
    } catch {
      // The client is gone or the transport closed: the result says the same.
    }
  }
}
