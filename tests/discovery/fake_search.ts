/**
 * A fake inner {@linkcode RegionSearch} for testing one discovery layer
 * alone, and builders of the outcomes it returns.
 *
 * @module
 */

import {
  RegionError,
  type RegionErrorOptions,
  type RegionOutcome,
  type RegionSearch,
  type RegionSearchOptions,
  type Service,
} from "../../src/discovery/mod.ts";

/** One call the fake search received. */
export interface SearchCall {
  readonly region: string;
  readonly keyword: string;
  readonly options?: RegionSearchOptions;
}

/** A fake region search and the calls it received, in order. */
export interface FakeSearch {
  readonly search: RegionSearch;
  readonly calls: SearchCall[];
}

/** Creates a {@linkcode FakeSearch} that answers each call with `respond(call number from 1, call)`. */
export function fakeSearch(
  respond: (n: number, call: SearchCall) => RegionOutcome | Promise<RegionOutcome>,
): FakeSearch {
  const calls: SearchCall[] = [];
  const search: RegionSearch = async (region, keyword, options) => {
    const call = { region: region.name, keyword, options };
    calls.push(call);
    return await respond(calls.length, call);
  };
  return { search, calls };
}

/** A region's successful answer listing `psms`. */
export function answered(region: string, psms: string[] = []): RegionOutcome {
  const services = psms.map((psm) => ({ psm, owners: [] }));
  return { region, ok: true, services, matches: new Set(psms).size };
}

/** A region's failure with `message` and `options` (kind, status, cause). */
export function failed(
  region: string,
  message: string,
  options: RegionErrorOptions,
): RegionOutcome {
  return { region, ok: false, error: new RegionError(message, options) };
}

/** The failure of a region that did not answer within 10 s. */
export function timedOut(region: string): RegionOutcome {
  return failed(region, "did not answer within 10000 ms", { kind: "timeout" });
}

/** The error of a failed outcome; throws when it succeeded or is missing. */
export function errorOf(outcome: RegionOutcome | undefined): RegionError {
  if (!outcome) throw new Error("expected an outcome");
  if (outcome.ok) throw new Error(`expected region ${outcome.region} to fail`);
  return outcome.error;
}

/** The services of a successful outcome; throws when it failed or is missing. */
export function servicesOf(outcome: RegionOutcome | undefined): readonly Service[] {
  if (!outcome) throw new Error("expected an outcome");
  if (!outcome.ok) throw new Error(`expected region ${outcome.region} to answer`);
  return outcome.services;
}
