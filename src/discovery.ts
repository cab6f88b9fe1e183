/**
 * The Neptune client: searches every region concurrently, turns each region's
 * answer into one {@linkcode RegionOutcome}, and selects what to show: the
 * exact PSM when there is one, else ranked fuzzy candidates.
 *
 * @module
 */

import { AuthError, type TokenProvider } from "./auth.ts";
import type { Region } from "./config.ts";
import { isRecord, parseJson } from "./json.ts";
import type { Logger } from "./log.ts";
import { redact } from "./secret.ts";
import { type Fetch, requestUpstream, UpstreamRequestError } from "./upstream.ts";

/** One service as the registry describes it; every field but `psm` may be missing. */
export interface Service {
  readonly psm: string;
  readonly description?: string;
  readonly chineseName?: string;
  readonly owners: readonly string[];
  readonly framework?: string;
  readonly type?: string;
  readonly deploymentPlatform?: string;
  readonly level?: string;
  readonly updatedAt?: string;
}

/** A service with the regions it was found in. */
export interface FoundService extends Service {
  readonly regions: readonly string[];
}

/** Why one region gave no answer. */
export type RegionFailureKind =
  | "auth"
  | "http_status"
  | "upstream_error"
  | "invalid_body"
  | "timeout"
  | "network";

/** Options for {@linkcode RegionError}. */
export interface RegionErrorOptions extends ErrorOptions {
  region: string;
  kind: RegionFailureKind;
  /** Not asked this time: it failed for an earlier keyword of the same batch. */
  skipped?: boolean;
}

/**
 * One region's failure. The message is the reason as a fragment without the
 * region's name ("answered HTTP 502"), to be shown after it: "us: answered HTTP 502".
 */
export class RegionError extends Error {
  override name = "RegionError";
  readonly region: string;
  readonly kind: RegionFailureKind;
  readonly skipped: boolean;

  constructor(message: string, options: RegionErrorOptions) {
    super(message, options);
    this.region = options.region;
    this.kind = options.kind;
    this.skipped = options.skipped ?? false;
  }
}

/** What one region answered: its services, or why it could not. */
export type RegionOutcome =
  | { readonly region: string; readonly ok: true; readonly services: readonly Service[] }
  | { readonly region: string; readonly ok: false; readonly error: RegionError };

/**
 * `found`: an exact PSM match; `candidates`: fuzzy matches only; `not_found`:
 * no region knows the keyword; `failed`: no region could be searched.
 */
export type SearchStatus = "found" | "candidates" | "not_found" | "failed";

/** The answer to one keyword across all regions. */
export interface SearchResult {
  readonly keyword: string;
  readonly status: SearchStatus;
  /** The exact match alone, or the best candidates, at most `maxCandidates`. */
  readonly services: readonly FoundService[];
  /** Distinct PSMs that matched, including those not in `services`. */
  readonly totalMatches: number;
  /** One per configured region, in configuration order. */
  readonly outcomes: readonly RegionOutcome[];
}

/** Searches the configured regions. */
export interface Discovery {
  readonly regions: readonly Region[];
  /** Searches every region for `keyword`; never rejects but for cancellation. */
  search(keyword: string, options?: { signal?: AbortSignal }): Promise<SearchResult>;
  /**
   * Searches each keyword (duplicates once), a few at a time, and returns the
   * results in the order given. `onProgress` is told after each keyword.
   */
  searchMany(keywords: readonly string[], options?: SearchManyOptions): Promise<SearchResult[]>;
}

/** Options for {@linkcode Discovery.searchMany}. */
export interface SearchManyOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Options for {@linkcode createDiscovery}. */
export interface DiscoveryOptions {
  regions: readonly Region[];
  /** The token source of a region; several regions may share one. */
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
  /** Fuzzy candidates shown at most. Default 20. */
  maxCandidates?: number;
  /** Keywords of one batch searched at the same time. Default 4. */
  batchConcurrency?: number;
}

const SEARCH_PATH = "api/neptune/ms/service/search";
const MAX_UPSTREAM_MESSAGE = 200;

/** Creates a {@linkcode Discovery} over `options.regions`. */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { regions, logger, maxCandidates = 20, batchConcurrency = 4 } = options;

  async function search(
    keyword: string,
    { signal, down }: { signal?: AbortSignal; down?: Map<string, RegionError> } = {},
  ) {
    const outcomes = await Promise.all(regions.map((region) => {
      const earlier = down?.get(region.name);
      return earlier ? skipped(earlier) : searchRegion(region, keyword, { ...options, signal });
    }));
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      logger[outcome.error.skipped ? "debug" : "warn"](
        "Region {region} failed for {keyword}: {reason}",
        {
          region: outcome.region,
          keyword,
          reason: outcome.error.message,
        },
      );
    }
    return selectMatches(keyword, outcomes, { maxCandidates });
  }

  return {
    regions,
    search,
    async searchMany(keywords, { signal, onProgress } = {}) {
      const unique = [...new Set(keywords)];
      // A region that timed out, was unreachable or refused a fresh JWT will not do better for
      // the next keyword of the same batch: it is not asked again.
      const down = new Map<string, RegionError>();
      let done = 0;
      return await mapConcurrently(unique, batchConcurrency, async (keyword) => {
        const result = await search(keyword, { signal, down });
        for (const outcome of result.outcomes) {
          if (!outcome.ok && skipsRestOfBatch(outcome.error)) {
            down.set(outcome.region, outcome.error);
          }
        }
        onProgress?.(++done, unique.length);
        return result;
      });
    },
  };
}

/** Options for {@linkcode searchRegion}. */
export interface SearchRegionOptions {
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
  signal?: AbortSignal;
}

// A failure to get a token is not among them: the token provider already answers those at
// once for a while, and its message is the one the user needs on every keyword.
function skipsRestOfBatch(error: RegionError): boolean {
  if (error.skipped || error.cause instanceof AuthError) return false;
  return error.kind === "timeout" || error.kind === "network" || error.kind === "auth";
}

function skipped(earlier: RegionError): Promise<RegionOutcome> {
  const error = new RegionError(
    `skipped: ${earlier.message} for an earlier keyword of this batch`,
    {
      region: earlier.region,
      kind: earlier.kind,
      skipped: true,
      cause: earlier,
    },
  );
  return Promise.resolve({ region: earlier.region, ok: false, error });
}

/**
 * Searches one region for `keyword`, refreshing the JWT and retrying once when
 * the registry rejects it. Returns a failed outcome rather than throwing; only
 * the caller's cancellation rejects.
 */
export async function searchRegion(
  region: Region,
  keyword: string,
  options: SearchRegionOptions,
): Promise<RegionOutcome> {
  const tokens = options.tokenFor(region);
  try {
    let token = await tokens.getToken({ signal: options.signal });
    let answer = await queryRegion(region, { keyword, token }, options);
    if (answer === "auth_rejected") {
      tokens.invalidate(token);
      token = await tokens.getToken({ signal: options.signal });
      answer = await queryRegion(region, { keyword, token }, options);
    }
    if (answer === "auth_rejected") {
      throw new RegionError(
        "rejected a freshly issued JWT: your account may have no access to this registry",
        { region: region.name, kind: "auth" },
      );
    }
    return { region: region.name, ok: true, services: answer };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return {
      region: region.name,
      ok: false,
      error: toRegionError(region, error, options.timeoutMs),
    };
  }
}

async function queryRegion(
  region: Region,
  { keyword, token }: { keyword: string; token: string },
  { fetch, timeoutMs, signal, logger }: SearchRegionOptions,
): Promise<Service[] | "auth_rejected"> {
  const url = new URL(SEARCH_PATH, `${region.baseUrl}/`);
  url.searchParams.set("keyword", keyword);
  url.searchParams.set("search_type", "all");
  const started = performance.now();
  const answer = await requestUpstream(fetch, url.href, {
    headers: { "x-jwt-token": token, Accept: "application/json" },
    timeoutMs,
    signal,
  });
  logger.debug("Region {region} answered HTTP {status} for {keyword} in {ms} ms", {
    region: region.name,
    status: answer.status,
    keyword,
    ms: Math.round(performance.now() - started),
  });
  return parseSearchAnswer(answer, { region: region.name, token });
}

/** Options for {@linkcode parseSearchAnswer}. */
export interface ParseSearchAnswerOptions {
  region: string;
  /** The JWT the request carried, scrubbed from any upstream text that echoes it. */
  token?: string;
}

/**
 * Interprets one Neptune search answer: the services it lists, or
 * `auth_rejected` when the JWT was refused.
 *
 * @throws {RegionError} for any other failure.
 */
export function parseSearchAnswer(
  answer: { status: number; text: string },
  { region, token }: ParseSearchAnswerOptions,
): Service[] | "auth_rejected" {
  const { status } = answer;
  const body = parseJson(answer.text);
  const errorCode = isRecord(body) ? Number(body.error_code ?? 0) : 0;
  if (status === 401 || errorCode === 401) return "auth_rejected";
  const detail = isRecord(body) ? describeUpstreamError(body, token) : "";
  const fail = (kind: RegionFailureKind, message: string) =>
    new RegionError(message, { region, kind });
  if (status < 200 || status >= 300) throw fail("http_status", `answered HTTP ${status}${detail}`);
  if (!isRecord(body)) throw fail("invalid_body", "answered with a body that is not a JSON object");
  if (errorCode !== 0) {
    throw fail("upstream_error", `answered error_code ${body.error_code}${detail}`);
  }
  if (body.data === undefined || body.data === null) return [];
  if (!Array.isArray(body.data)) {
    throw fail("invalid_body", "answered with a data field that is not a list");
  }
  return body.data.flatMap((item) => parseService(item) ?? []);
}

function describeUpstreamError(body: Record<string, unknown>, token?: string): string {
  const parts = [body.error_type, body.error_message]
    .filter((part): part is string => typeof part === "string" && part.trim() !== "")
    .map((part) => part.trim());
  if (parts.length === 0) return "";
  const message = redact(parts.join(": "), token ? [token] : []);
  return ` (${
    message.length > MAX_UPSTREAM_MESSAGE ? `${message.slice(0, MAX_UPSTREAM_MESSAGE)}…` : message
  })`;
}

function parseService(raw: unknown): Service | undefined {
  if (!isRecord(raw)) return undefined;
  const psm = optionalText(raw.psm);
  if (!psm) return undefined;
  return {
    psm,
    description: optionalText(raw.description),
    chineseName: optionalText(raw.service_chinese_name),
    owners: parseOwners(raw.owners),
    framework: optionalText(raw.framework),
    type: optionalText(raw.type),
    deploymentPlatform: optionalText(raw.deployment_platform),
    level: optionalText(raw.level),
    updatedAt: optionalText(raw.updated_at),
  };
}

function parseOwners(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [];
  return list.flatMap((owner) => optionalText(owner) ?? []);
}

function optionalText(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function toRegionError(region: Region, error: unknown, timeoutMs: number): RegionError {
  if (error instanceof RegionError) return error;
  if (error instanceof UpstreamRequestError) {
    const reason = {
      timeout: `did not answer within ${timeoutMs} ms`,
      network: `could not be reached: ${error.message}`,
      too_large: `answered too much: ${error.message}`,
    }[error.kind];
    const kind = error.kind === "too_large" ? "invalid_body" : error.kind;
    return new RegionError(reason, { region: region.name, kind, cause: error });
  }
  if (error instanceof AuthError) {
    return new RegionError(error.message, { region: region.name, kind: "auth", cause: error });
  }
  return new RegionError("failed unexpectedly: try again", {
    region: region.name,
    kind: "network",
    cause: error,
  });
}

/** Options for {@linkcode selectMatches}. */
export interface SelectMatchesOptions {
  maxCandidates: number;
}

/**
 * Chooses what to show for `keyword` from every region's outcome: the exact
 * PSM (with every region it is in) when any region has it, else the fuzzy
 * candidates merged by PSM and ranked, at most `maxCandidates`.
 */
export function selectMatches(
  keyword: string,
  outcomes: readonly RegionOutcome[],
  { maxCandidates }: SelectMatchesOptions,
): SearchResult {
  const merged = mergeByPsm(outcomes);
  const exact = merged.get(keyword);
  const base = { keyword, totalMatches: merged.size, outcomes };
  if (exact) return { ...base, status: "found", services: [exact] };
  if (merged.size > 0) {
    const ranked = [...merged.values()].sort(byRelevanceTo(keyword));
    return { ...base, status: "candidates", services: ranked.slice(0, maxCandidates) };
  }
  const anyAnswered = outcomes.some((outcome) => outcome.ok);
  return { ...base, status: anyAnswered ? "not_found" : "failed", services: [] };
}

function mergeByPsm(outcomes: readonly RegionOutcome[]): Map<string, FoundService> {
  const merged = new Map<string, FoundService>();
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    for (const service of outcome.services) {
      const seen = merged.get(service.psm);
      if (seen?.regions.includes(outcome.region)) continue;
      merged.set(
        service.psm,
        seen
          ? { ...seen, regions: [...seen.regions, outcome.region] }
          : { ...service, regions: [outcome.region] },
      );
    }
  }
  return merged;
}

// Prefix of the PSM, then prefix of a segment, then anywhere; then shorter, then alphabetical.
function byRelevanceTo(keyword: string) {
  const needle = keyword.toLowerCase();
  const tier = (psm: string) => {
    const name = psm.toLowerCase();
    if (name.startsWith(needle)) return 0;
    if (name.split(".").some((segment) => segment.startsWith(needle))) return 1;
    return name.includes(needle) ? 2 : 3;
  };
  return (a: FoundService, b: FoundService) =>
    tier(a.psm) - tier(b.psm) || a.psm.length - b.psm.length || a.psm.localeCompare(b.psm);
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  }
  const workers = Math.min(Math.max(1, limit), items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
