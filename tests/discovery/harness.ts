/**
 * A discovery over fake upstreams for the tests of its layers: a fake auth
 * service issuing hour-long JWTs, route tables for the regions, a fake clock,
 * and helpers to hold answers back and count requests in flight.
 *
 * @module
 */

import { createTokenProvider } from "../../src/auth.ts";
import type { Region } from "../../src/config/mod.ts";
import { createDiscovery, type Discovery, type DiscoveryOptions } from "../../src/discovery/mod.ts";
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
  tokenAnswer,
  US,
} from "../fake_upstream.ts";

/** A discovery, the fake upstream behind it, its clock and logger. */
export interface DiscoveryHarness {
  readonly discovery: Discovery;
  readonly upstream: FakeUpstream;
  readonly clock: FakeClock;
  readonly logger: RecordingLogger;
}

/** Options of {@linkcode discoveryOver}: any of {@linkcode DiscoveryOptions} but the dependencies. */
export type HarnessOptions = Partial<
  Pick<
    DiscoveryOptions,
    "regions" | "timeoutMs" | "cacheTtlMs" | "concurrency" | "batchConcurrency"
  >
>;

/** Builds a discovery over `routes` (regions cn and us by default) and a fake auth service. */
export function discoveryOver(
  routes: readonly Route[],
  options: HarnessOptions = {},
): DiscoveryHarness {
  const clock = fakeClock();
  const logger = recordingLogger();
  const authRoute: Route = {
    url: AUTH_URL,
    respond: () => tokenAnswer(jwtExpiringAt(clock.now() + HOUR_MS)),
  };
  const upstream = fakeUpstream([authRoute, ...routes]);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret("cas-session-cookie") },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs,
    logger,
  });
  const discovery = createDiscovery({
    regions: [CN, US] satisfies Region[],
    ...options,
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs,
    logger,
    // Retries go at once: no test waits for the jittered pause.
    sleep: () => Promise.resolve(),
  });
  return { discovery, upstream, clock, logger };
}

/** The keyword a registry request asked for. */
export function keywordOf(request: Request): string {
  return new URL(request.url).searchParams.get("keyword") ?? "";
}

/** A promise with its resolve function, to hold an answer back until the test lets it go. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

/** Creates a closed {@linkcode Gate}. */
export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

/** Lets pending promise callbacks and zero-delay timers run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
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
