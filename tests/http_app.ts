/**
 * The HTTP application over the demo catalogue, as the HTTP tests build it.
 *
 * @module
 */

import { createHttpApp, type HttpApp, type HttpAppOptions } from "../src/http/mod.ts";
import type { Config } from "../src/config/mod.ts";
import { createInstruments } from "../src/instruments.ts";
import { createDependencies } from "../src/dependencies.ts";
import { checkReadiness, describeHealth } from "../src/health.ts";
import { createServer } from "../src/server.ts";
import type { Fetch } from "../src/upstream.ts";
import { recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, testConfig } from "./harness.ts";

/** Options for {@linkcode createTestApp}: the app's own, and the upstream. */
export interface TestAppOptions extends Partial<HttpAppOptions> {
  /** The upstream; the demo catalogue by default. */
  fetch?: Fetch;
  /** The configuration; the test upstreams in demo mode by default. */
  config?: Config;
  /** Milliseconds since the epoch, for the server's parts (the breakers, the cache). */
  clock?: () => number;
}

/** An HTTP app bound (in name) to `host`, serving the demo catalogue. */
export function createTestApp(
  host = "localhost",
  { fetch, config = testConfig(["--demo"]), clock = Date.now, ...options }: TestAppOptions = {},
): HttpApp {
  const deps = createDependencies(config, {
    fetch: fetch ?? demoFetchFor(config),
    now: clock,
    logger: () => recordingLogger(),
    instruments: options.metrics && createInstruments(options.metrics),
  });
  const startedAt = Date.now() - 5_000;
  return createHttpApp({
    createServer: () => createServer(deps),
    health: () => describeHealth(deps, { startedAt, now: Date.now }),
    ready: () => checkReadiness(deps),
    host,
    logger: recordingLogger(),
    ...options,
  });
}

/** An upstream whose searches never answer until aborted; auth is the demo's. */
export function hangingUpstream() {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const aborted: string[] = [];
  const started = Promise.withResolvers<void>();
  const fetch: Fetch = (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(config.authUrl)) return demo(input, init);
    started.resolve();
    return new Promise((_, reject) => {
      request.signal.addEventListener("abort", () => {
        aborted.push(request.url);
        reject(request.signal.reason);
      }, { once: true });
    });
  };
  return { fetch, aborted, started: started.promise };
}

/** A raw `tools/call` of search_psm_service, id 7. */
export const SEARCH_CALL = {
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "search_psm_service", arguments: { keyword: "oec.live.promotion" } },
};
