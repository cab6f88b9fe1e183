/**
 * One region's search, the innermost layer of discovery: a JWT from the
 * region's token provider, one GET to the registry (redirects are not
 * followed: they would carry the JWT elsewhere), its answer parsed into
 * services or a typed failure, and one retry with a fresh JWT when the
 * registry refuses the token.
 *
 * @module
 */

import { AuthError, type TokenProvider } from "../auth.ts";
import type { Region } from "../config/mod.ts";
import { isRecord, parseJson } from "../json.ts";
import type { Logger } from "../log.ts";
import { mostRelevant } from "./ranking.ts";
import { redact } from "../secret.ts";
import { cut } from "../text.ts";
import {
  type Fetch,
  isRedirect,
  requestUpstream,
  UpstreamRequestError,
  type UpstreamResponse,
} from "../upstream.ts";
import {
  RegionError,
  type RegionFailureKind,
  type RegionOutcome,
  type RegionSearch,
  type Service,
} from "./types.ts";

const SEARCH_PATH = "api/neptune/ms/service/search";
const MAX_UPSTREAM_MESSAGE = 200;
// An error code is a number or a short name; anything longer is cut, never sent whole.
const MAX_ERROR_CODE = 32;

/** Options for {@linkcode createRegionSearch}. */
export interface RegionSearchDeps {
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
  /** Services kept of each answer, the most relevant to the keyword; all of them when absent. */
  maxCandidates?: number;
}

/**
 * The JWT each region refused even when freshly issued, by region name. Such
 * a refusal is about the region, not the token (other regions may accept it):
 * that same token is not invalidated again for it.
 */
export type RefusedTokens = Map<string, string>;

/**
 * Returns the {@linkcode RegionSearch} that asks the registry itself, with
 * `deps`; it remembers, for as long as it lives, which token each region refused.
 */
export function createRegionSearch(deps: RegionSearchDeps): RegionSearch {
  const refused: RefusedTokens = new Map();
  return (region, keyword, { signal } = {}) =>
    searchRegion(region, keyword, { ...deps, signal, refused });
}

/** Options for {@linkcode searchRegion}. */
export interface SearchRegionOptions extends RegionSearchDeps {
  signal?: AbortSignal;
  /** Tokens regions refused in earlier searches; updated by this one. */
  refused?: RefusedTokens;
}

/**
 * Searches one region for `keyword`, refreshing the JWT and retrying once when
 * the registry rejects it, unless the region had refused that same token when
 * it was fresh. Returns a failed outcome rather than throwing; only the
 * caller's cancellation rejects.
 */
export async function searchRegion(
  region: Region,
  keyword: string,
  options: SearchRegionOptions,
): Promise<RegionOutcome> {
  const tokens = options.tokenFor(region);
  const refused = options.refused ?? new Map();
  try {
    let token = await tokens.getToken({ signal: options.signal });
    let answer = await queryRegion(region, { keyword, token }, options);
    if (answer === "auth_rejected" && refused.get(region.name) !== token) {
      tokens.invalidate(token);
      token = await tokens.getToken({ signal: options.signal });
      answer = await queryRegion(region, { keyword, token }, options);
    }
    if (answer === "auth_rejected") {
      refused.set(region.name, token);
      throw new RegionError(
        "rejected a freshly issued JWT: your account may have no access to this registry",
        { region: region.name, kind: "auth" },
      );
    }
    refused.delete(region.name);
    return { region: region.name, ok: true, ...answer };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return {
      region: region.name,
      ok: false,
      error: toRegionError(region, error, options),
    };
  }
}

async function queryRegion(
  region: Region,
  { keyword, token }: { keyword: string; token: string },
  { fetch, timeoutMs, signal, logger, maxCandidates }: SearchRegionOptions,
): Promise<RegionMatches | "auth_rejected"> {
  const url = new URL(SEARCH_PATH, `${region.baseUrl}/`);
  url.searchParams.set("keyword", keyword);
  url.searchParams.set("search_type", "all");
  const started = performance.now();
  const answer = await requestUpstream(fetch, url.href, {
    headers: { "x-jwt-token": token, Accept: "application/json" },
    // Following a redirect would hand the JWT to whatever origin it names.
    redirect: "manual",
    timeoutMs,
    signal,
  });
  logger.debug("Region {region} answered HTTP {status} for {keyword} in {ms} ms", {
    region: region.name,
    status: answer.status,
    keyword,
    ms: Math.round(performance.now() - started),
  });
  if (isRedirect(answer.status)) throw redirected(region, answer, url);
  const keep = maxCandidates === undefined ? undefined : { keyword, max: maxCandidates };
  return parseSearchAnswer(answer, { region: region.name, token, keep });
}

// Only the target's origin is named: its path and query may carry tokens.
function redirected(region: Region, answer: UpstreamResponse, from: URL): RegionError {
  const location = answer.headers.get("location");
  let target: string | undefined;
  try {
    target = location ? new URL(location, from).origin : undefined;
  } catch {
    target = undefined; // not a URL: said as "elsewhere"
  }
  const where = target && target !== "null"
    ? `to ${cut(target, MAX_UPSTREAM_MESSAGE)}`
    : "elsewhere";
  return new RegionError(`redirected ${where}: check the region's URL`, {
    region: region.name,
    kind: "redirect",
  });
}

/** Options for {@linkcode parseSearchAnswer}. */
export interface ParseSearchAnswerOptions {
  region: string;
  /** The JWT the request carried, scrubbed from any upstream text that echoes it. */
  token?: string;
  /**
   * Keep only the `max` services most relevant to `keyword`, the rest counted; all of them,
   * in the order given, when absent.
   */
  keep?: { keyword: string; max: number };
}

/** The services of one answer and how many distinct PSMs it listed. */
export interface RegionMatches {
  /** Every service, or with `keep` the most relevant ones, the most relevant first. */
  readonly services: Service[];
  /** Distinct PSMs listed, those left out included. */
  readonly matches: number;
}

/**
 * Interprets one Neptune search answer: the services it lists, or
 * `auth_rejected` when the JWT was refused. With `keep`, only the services a
 * result can show become objects: an answer of 50 000 services does not
 * become 50 000 more objects to hold.
 *
 * @throws {RegionError} for any other failure.
 */
export function parseSearchAnswer(
  answer: { status: number; text: string },
  { region, token, keep }: ParseSearchAnswerOptions,
): RegionMatches | "auth_rejected" {
  const { status } = answer;
  const body = parseJson(answer.text);
  const errorCode = isRecord(body) ? Number(body.error_code ?? 0) : 0;
  if (status === 401 || errorCode === 401) return "auth_rejected";
  const detail = isRecord(body) ? describeUpstreamError(body, token) : "";
  const fail = (kind: RegionFailureKind, message: string) =>
    new RegionError(message, { region, kind, status });
  if (status < 200 || status >= 300) throw fail("http_status", `answered HTTP ${status}${detail}`);
  if (!isRecord(body)) throw fail("invalid_body", "answered with a body that is not a JSON object");
  if (errorCode !== 0) {
    throw fail("upstream_error", `answered ${describeErrorCode(body.error_code)}${detail}`);
  }
  if (body.data === undefined || body.data === null) return { services: [], matches: 0 };
  if (!Array.isArray(body.data)) {
    throw fail("invalid_body", "answered with a data field that is not a list");
  }
  if (!keep) {
    const services = body.data.flatMap((item) => parseService(item) ?? []);
    return { services, matches: new Set(services.map((service) => service.psm)).size };
  }
  const { kept, matches } = mostRelevant(keep.keyword, body.data, { max: keep.max, psmOf });
  return { services: kept.map((item) => parseService(item)!), matches };
}

function psmOf(raw: unknown): string | undefined {
  return isRecord(raw) ? optionalText(raw.psm) : undefined;
}

function describeErrorCode(code: unknown): string {
  if (typeof code === "number" && Number.isFinite(code)) return `error_code ${code}`;
  if (typeof code === "string") return `error_code ${cut(code.trim(), MAX_ERROR_CODE)}`;
  return "an error_code that is not a number";
}

function describeUpstreamError(body: Record<string, unknown>, token?: string): string {
  const parts = [body.error_type, body.error_message]
    .filter((part): part is string => typeof part === "string" && part.trim() !== "")
    .map((part) => part.trim());
  if (parts.length === 0) return "";
  const message = redact(parts.join(": "), token ? [token] : []);
  return ` (${cut(message, MAX_UPSTREAM_MESSAGE)})`;
}

function parseService(raw: unknown): Service | undefined {
  const psm = psmOf(raw);
  if (!psm || !isRecord(raw)) return undefined;
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

function toRegionError(
  region: Region,
  error: unknown,
  { timeoutMs, logger }: SearchRegionOptions,
): RegionError {
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
  // A bug here, not a fault of the region: it must not count against the region's health.
  logger.debug("Searching region {region} failed unexpectedly: {stack}", {
    region: region.name,
    stack: error instanceof Error ? error.stack ?? error.message : String(error),
  });
  return new RegionError(
    "failed unexpectedly: try again, and report it if it persists (details in the log at DEBUG)",
    { region: region.name, kind: "internal", cause: error },
  );
}
