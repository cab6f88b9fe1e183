/**
 * Test doubles for the upstreams: a route-table `fetch` that fails loudly on
 * any request it was not told to expect, a clock, a recording logger, and
 * builders of auth and Neptune answers.
 *
 * @module
 */

import type { Region } from "../src/config/mod.ts";
import type { Logger } from "../src/log.ts";
import type { Fetch } from "../src/upstream.ts";
import { unsignedJwt } from "../src/demo.ts";

/** The first region unit tests search. */
export const CN: Region = { name: "cn", baseUrl: "https://cn.neptune.test" };
/** The second region unit tests search. */
export const US: Region = { name: "us", baseUrl: "https://us.neptune.test" };

/** The auth endpoint unit tests sign in at. */
export const AUTH_URL = "https://auth.test/auth/api/v1/jwt";

/** Neptune's search path, below a region's base URL. */
export const SEARCH_PATH = "/api/neptune/ms/service/search";

/** One hour in milliseconds, the default JWT lifetime. */
export const HOUR_MS = 60 * 60 * 1000;

/** The search endpoint of `region`, without a query. */
export function searchUrl(region: Region): string {
  return `${region.baseUrl}${SEARCH_PATH}`;
}

/** One expected upstream request and its answer. */
export interface Route {
  /** Default GET. */
  method?: string;
  /** Origin and path; the query is matched by `query`. */
  url: string;
  /** Query parameters the request must carry, exactly these values. */
  query?: Record<string, string>;
  /** Headers the request must carry, with these values. */
  headers?: Record<string, string>;
  /** The answer; a function gets the request and may wait or throw. */
  respond: (request: Request) => Response | Promise<Response>;
}

/** A fake upstream: its `fetch`, every request it saw, and a check for surprises. */
export interface FakeUpstream {
  readonly fetch: Fetch;
  readonly requests: Request[];
  /** Requests that matched no route; a test that ends with any has failed. */
  readonly unexpected: string[];
  /** Number of requests whose URL starts with `prefix`. */
  count(prefix: string): number;
  /** Throws when any request matched no route. */
  assertNoUnexpected(): void;
}

/** Creates a fake upstream answering `routes`, first match wins. */
export function fakeUpstream(routes: readonly Route[]): FakeUpstream {
  const requests: Request[] = [];
  const unexpected: string[] = [];
  const fetch: Fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    const route = routes.find((r) => matches(r, request));
    if (!route) {
      const description = `${request.method} ${request.url}`;
      unexpected.push(description);
      throw new Error(`Unexpected upstream request: ${description}`);
    }
    return await raceAbort(Promise.resolve(route.respond(request)), request.signal);
  };
  return {
    fetch,
    requests,
    unexpected,
    count: (prefix) => requests.filter((r) => r.url.startsWith(prefix)).length,
    assertNoUnexpected() {
      if (unexpected.length > 0) {
        throw new Error(`Unexpected upstream requests:\n${unexpected.join("\n")}`);
      }
    },
  };
}

function matches(route: Route, request: Request): boolean {
  const url = new URL(request.url);
  if ((route.method ?? "GET") !== request.method) return false;
  if (`${url.origin}${url.pathname}` !== route.url) return false;
  for (const [name, value] of Object.entries(route.query ?? {})) {
    if (url.searchParams.get(name) !== value) return false;
  }
  for (const [name, value] of Object.entries(route.headers ?? {})) {
    if (request.headers.get(name) !== value) return false;
  }
  return true;
}

// Like a real fetch, a fake one gives up when its signal aborts (timeouts, cancellation).
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

/** Returns a promise that never settles: an upstream that does not answer. */
export function never(): Promise<Response> {
  return new Promise(() => {});
}

/** A clock tests move by hand. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

/** Creates a {@linkcode FakeClock} starting at `start` (ms since the epoch). */
export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A logger that keeps every rendered line, placeholders filled in. */
export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

/**
 * Creates a {@linkcode RecordingLogger}. Like LogTape's, its methods need
 * their `this`: code that detaches one (`const log = logger.warn`) fails here too.
 */
export function recordingLogger(): RecordingLogger {
  return new Recorder();
}

class Recorder implements RecordingLogger {
  readonly lines: string[] = [];

  debug(message: string, properties?: Record<string, unknown>) {
    this.record("debug", message, properties);
  }
  info(message: string, properties?: Record<string, unknown>) {
    this.record("info", message, properties);
  }
  warn(message: string, properties?: Record<string, unknown>) {
    this.record("warn", message, properties);
  }
  error(message: string, properties?: Record<string, unknown>) {
    this.record("error", message, properties);
  }

  private record(level: string, message: string, properties: Record<string, unknown> = {}) {
    const text = message.replace(/\{(\w+)\}/g, (_, key) => String(properties[key]));
    this.lines.push(`${level} ${text} ${JSON.stringify(properties)}`);
  }
}

/** A JWT whose `exp` is `expiresAtMs` (rounded down to seconds). */
export function jwtExpiringAt(expiresAtMs: number, claims: Record<string, unknown> = {}): string {
  return unsignedJwt({ sub: "tester", ...claims, exp: Math.floor(expiresAtMs / 1000) });
}

/** The auth service's success answer carrying `token`. */
export function tokenAnswer(token: string): Response {
  return new Response("<html>ok</html>", { status: 200, headers: { "X-Jwt-Token": token } });
}

/** A Neptune search answer listing `services` (each needs at least a `psm`). */
export function searchAnswer(services: Record<string, unknown>[], status = 200): Response {
  return Response.json(
    { error_code: 0, error_type: "", error_message: "", data: services },
    { status },
  );
}

/** Neptune's answer to a rejected JWT. */
export function authErrorAnswer(status = 401): Response {
  return Response.json({
    error_code: 401,
    error_type: "AUTH_ERROR",
    error_message: "JWT token expired or invalid",
  }, { status });
}

/** A registry answer with HTTP `status` carrying `error_code` and `error_message`. */
export function errorAnswer(errorCode: number, errorMessage: string, status = 200): Response {
  return Response.json({
    error_code: errorCode,
    error_type: "INTERNAL_ERROR",
    error_message: errorMessage,
  }, { status });
}

/** Lets pending promise callbacks and zero-delay timers (the fake clock's too) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What {@linkcode regionsUpstream} answers. */
export interface RegionsUpstreamOptions {
  /** The answer to a search of region cn. */
  cn: Route["respond"];
  /** The answer to a search of region us. */
  us: Route["respond"];
  /** The JWT the auth service issues; by default one that expires an hour after `now()`. */
  token?: string;
  /** Default `Date.now`. */
  now?: () => number;
}

/** A fake upstream of the auth service and the searches of regions cn and us. */
export function regionsUpstream(
  { cn, us, token, now = Date.now }: RegionsUpstreamOptions,
): FakeUpstream {
  return fakeUpstream([
    { url: AUTH_URL, respond: () => tokenAnswer(token ?? jwtExpiringAt(now() + HOUR_MS)) },
    { url: searchUrl(CN), respond: cn },
    { url: searchUrl(US), respond: us },
  ]);
}
