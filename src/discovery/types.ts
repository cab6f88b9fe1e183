/** The shapes every part of discovery shares.
 * @module */

import type { Region } from "../config/mod.ts";

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

export type FoundService = Service & { readonly regions: readonly string[] };

/** Why one region gave no answer; `internal` is a bug in this server, not a fault of the region. */
export type RegionFailureKind =
  | "auth"
  | "http_status"
  | "upstream_error"
  | "invalid_body"
  | "redirect"
  | "timeout"
  | "network"
  | "internal";

export type RegionErrorOptions =
  & ErrorOptions
  & Pick<RegionError, "kind" | "status" | "skipped" | "retryAt">;

/** The message omits the region's name, shown before it: "us: answered HTTP 502". */
export class RegionError extends Error {
  override name = "RegionError";
  declare readonly kind: RegionFailureKind;
  declare readonly status?: number;
  /** Not asked this time: its circuit breaker is open. */
  declare readonly skipped?: boolean;
  declare readonly retryAt?: Date;

  constructor(message: string, { kind, status, skipped, retryAt, ...options }: RegionErrorOptions) {
    super(message, options);
    Object.assign(this, { kind, status, skipped, retryAt });
  }
}

/** A region's answer, stamped by the cache layer. */
export interface RegionAnswer {
  readonly region: string;
  readonly ok: true;
  /** Of a long answer, only the most relevant that a result can show. */
  readonly services: readonly Service[];
  /** Distinct PSMs the region matched, those cut from `services` included. */
  readonly matches: number;
  /** In ms since the epoch. */
  readonly fetchedAt?: number;
  readonly fromCache?: boolean;
  /** The region's failure when an expired cached answer stands in for it. */
  readonly staleReason?: RegionError;
}

export type RegionOutcome =
  | RegionAnswer
  | { readonly region: string; readonly ok: false; readonly error: RegionError };

export interface RegionSearchOptions {
  signal?: AbortSignal;
  refresh?: boolean;
}

/** Searches one region for one keyword; only the caller's cancellation rejects. */
export type RegionSearch = (
  region: Region,
  keyword: string,
  options?: RegionSearchOptions,
) => Promise<RegionOutcome>;

export type RegionSearchWrapper = (next: RegionSearch) => RegionSearch;

export interface SearchResult {
  readonly keyword: string;
  /** `candidates`: fuzzy matches only; `failed`: no region could be searched. */
  readonly status: "found" | "candidates" | "not_found" | "failed";
  readonly services: readonly FoundService[];
  /** Distinct PSMs that matched; a lower bound when a region's answer was cut. */
  readonly totalMatches: number;
  /** One per region that settled before the answer, in configuration order. */
  readonly outcomes: readonly RegionOutcome[];
  readonly suggestions?: Suggestions;
  /** Regions not awaited because another had the exact PSM; they go on to fill the cache. */
  readonly pending: readonly string[];
  /** In ms since the epoch; ages are measured from it. */
  readonly searchedAt: number;
}

/** "Did you mean": the nearest PSMs (or PSM prefixes), closest first. */
export interface Suggestions {
  readonly psms: readonly string[];
  /** The first differs from the keyword only in letter case. */
  readonly caseOnly: boolean;
}
