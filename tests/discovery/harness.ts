/**
 * A discovery over fake upstreams for the tests of its layers: a fake auth
 * service issuing hour-long JWTs, route tables for the regions, a fake clock,
 * and a counter of requests in flight.
 *
 * @module
 */

import { createTokenProvider, type TokenProvider } from "../../src/auth.ts";
import type { Credential } from "../../src/config/mod.ts";
import type { Region } from "../../src/config/mod.ts";
import {
  createDiscovery,
  type Discovery,
  type DiscoveryOptions,
  type RegionSearchWrapper,
} from "../../src/discovery/mod.ts";
import { Secret } from "../../src/secret.ts";
import {
  AUTH_URL,
  CN,
  type FakeClock,
  fakeClock,
  type FakeUpstream,
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  type RecordingLogger,
  recordingLogger,
  type Route,
  SEARCH_PATH,
  tokenAnswer,
  US,
} from "../fake_upstream.ts";

/** The SSO cookie the fake auth service expects. */
export const CAS_SESSION = "cas-session-cookie-value";

/** A discovery, the fake upstream behind it, its clock and logger. */
export interface DiscoveryHarness {
  readonly discovery: Discovery;
  readonly upstream: FakeUpstream;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
  /** Every JWT the fake auth service issued, in order. */
  readonly issued: string[];
  /** The search requests sent to `region`, in order. */
  searches(region: Region): Request[];
  /** Resolves once every region search, those left in the background by early answers too, ended. */
  settled(): Promise<void>;
}

/** Options of {@linkcode discoveryOver}: any of {@linkcode DiscoveryOptions} but the dependencies. */
export type HarnessOptions =
  & Partial<
    Pick<
      DiscoveryOptions,
      | "regions"
      | "timeoutMs"
      | "cacheTtlMs"
      | "cacheMaxBytes"
      | "concurrency"
      | "observe"
    >
  >
  & {
    /** `null` builds the token provider without a credential. Default the cookie {@linkcode CAS_SESSION}. */
    credential?: Credential | null;
    /** Replaces the token provider backed by the fake auth service. */
    tokens?: TokenProvider;
  };

/**
 * Builds a discovery over `routes` (regions cn and us by default) and a fake
 * auth service that issues a distinct hour-long JWT for {@linkcode CAS_SESSION}
 * on each request, with one token provider shared by all regions.
 */
export function discoveryOver(
  routes: readonly Route[],
  { credential, tokens, ...options }: HarnessOptions = {},
): DiscoveryHarness {
  const clock = fakeClock();
  const logger = recordingLogger();
  const issued: string[] = [];
  const authRoute: Route = {
    url: AUTH_URL,
    headers: { cookie: `CAS_SESSION=${CAS_SESSION}` },
    respond: () => {
      const token = jwtExpiringAt(clock.now() + HOUR_MS, { n: issued.length + 1 });
      issued.push(token);
      return tokenAnswer(token);
    },
  };
  const upstream = fakeUpstream([authRoute, ...routes]);
  const inFlight = new Set<Promise<unknown>>();
  const track: RegionSearchWrapper = (next) => (region, keyword, options) => {
    const outcome = next(region, keyword, options);
    const tracked = outcome.catch(() => {}).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return outcome;
  };
  const timeoutMs = options.timeoutMs ?? 5_000;
  const provider = tokens ?? createTokenProvider({
    authUrl: AUTH_URL,
    credential: credential === undefined
      ? { kind: "cas_session", value: new Secret(CAS_SESSION) }
      : credential ?? undefined,
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs,
    logger,
  });
  const discovery = createDiscovery({
    regions: [CN, US] satisfies Region[],
    cacheTtlMs: 0,
    cacheMaxBytes: 64 * 1024 * 1024,
    concurrency: 8,
    ...options,
    tokenFor: () => provider,
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs,
    logger,
    // Retries go at once: no test waits for the jittered pause.
    sleep: () => Promise.resolve(),
    observe: { ...options.observe, searches: track },
  });
  return {
    discovery,
    upstream,
    clock,
    logger,
    issued,
    searches: (region) =>
      upstream.requests.filter((r) => r.url.startsWith(`${region.baseUrl}${SEARCH_PATH}`)),
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/** The keyword a registry request asked for. */
export function keywordOf(request: Request): string {
  return new URL(request.url).searchParams.get("keyword") ?? "";
}

/** Counts requests in flight, and the most seen at once. */
export interface InFlightCounter {
  readonly now: number;
  readonly max: number;
  /** Wraps an answer so that the request counts as in flight until it settles. */
  track<T>(answer: () => Promise<T>): Promise<T>;
}

/** Creates an {@linkcode InFlightCounter}. */
export function inFlightCounter(): InFlightCounter {
  let now = 0;
  let max = 0;
  return {
    get now() {
      return now;
    },
    get max() {
      return max;
    },
    async track(answer) {
      max = Math.max(max, ++now);
      try {
        return await answer();
      } finally {
        now--;
      }
    },
  };
}
