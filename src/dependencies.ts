/** The composition root: turns a {@linkcode Config} into what every session's server shares.
 * @module */

import { createAuthSources } from "./auth_sources.ts";
import type { Config, Credential } from "./config/mod.ts";
import { createDiscovery } from "./discovery/mod.ts";
import { DEMO_CATALOGUE } from "./demo.ts";
import type { Instruments } from "./instruments.ts";
import type { Logger } from "./log.ts";
import { Secret } from "./secret.ts";
import { createSearchFormatter } from "./tools/search_result.ts";
import type { Dependencies } from "./tools/deps.ts";
import type { Fetch } from "./upstream.ts";

// Demo mode signs in to its own fake auth service; the user's cookie is never used there.
const DEMO_CREDENTIAL: Credential = {
  kind: "cas_session",
  source: "demo",
  value: new Secret("demo-session"),
};

export interface DependencyOptions {
  fetch: Fetch;
  now: () => number;
  logger: (category: string) => Logger;
  /** The metrics hooks, or some of them (`doctor` times the requests). */
  instruments?: Partial<Instruments>;
}

export function createDependencies(config: Config, options: DependencyOptions): Dependencies {
  const { logger, instruments } = options;
  const upstream = { fetch: options.fetch, now: options.now, timeoutMs: config.timeoutMs };
  const regions = config.demo
    ? config.regions.map((region) => ({ ...region, credential: DEMO_CREDENTIAL }))
    : config.regions;
  const auth = createAuthSources(regions, {
    ...upstream,
    defaultAuthUrl: config.authUrl,
    logger: logger("auth"),
    onRefresh: instruments?.authRefresh,
  });
  const discovery = createDiscovery({
    // Discovery and the tools see names and URLs only, never a credential.
    regions: regions.map(({ name, baseUrl }) => ({ name, baseUrl })),
    ...upstream,
    tokenFor: auth.tokenFor,
    cacheTtlMs: config.cacheTtlMs,
    cacheMaxBytes: config.cacheMaxBytes,
    concurrency: config.concurrency,
    logger: logger("discovery"),
    observe: instruments,
  });
  instruments?.watchRegions?.(discovery.health);
  return {
    discovery,
    // In demo mode the whole catalogue counts as seen: completions and suggestions work at once.
    knownPsms: config.demo ? DEMO_CATALOGUE.map((service) => service.psm) : [],
    auth,
    authUrl: config.authUrl,
    timeoutMs: config.timeoutMs,
    demo: config.demo,
    formatter: createSearchFormatter(),
    onToolCall: instruments?.toolCall,
  };
}
