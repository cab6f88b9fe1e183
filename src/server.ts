/**
 * The MCP server and what it depends on: {@linkcode createDependencies}
 * turns a {@linkcode Config} into the parts the tools use, and
 * {@linkcode createServer} builds one `McpServer` over them.
 *
 * @module
 */

import { SERVER_NAME, VERSION } from "./about.ts";
import { AjvJsonSchemaValidator, type JsonSchemaValidator, McpServer } from "./mcp_sdk.ts";
import { type Credential, isoTime } from "./auth.ts";
import { createAuthSources } from "./auth_sources.ts";
import type { Config } from "./config/mod.ts";
import {
  createDiscovery,
  createRecentPsms,
  type Discovery,
  type RecentPsms,
} from "./discovery/mod.ts";
import { DEMO_CATALOGUE } from "./demo.ts";
import type { Instruments } from "./instruments.ts";
import type { Logger } from "./log.ts";
import { registerFindPsmPrompt } from "./prompts.ts";
import { registerPsmResource } from "./resources.ts";
import { Secret } from "./secret.ts";
import { createSearchFormatter } from "./tools/format_cache.ts";
import type { SessionDeps } from "./tools/deps.ts";
import { registerTools, type ToolDeps } from "./tools/mod.ts";
import { groupByReason } from "./tools/search_result.ts";
import type { Fetch } from "./upstream.ts";

export { SERVER_NAME, VERSION } from "./about.ts";

const INSTRUCTIONS =
  "Look up internal services (PSMs, product.subsystem.module) in the Neptune registry of every region. " +
  "Use search_psm_service for one PSM or a partial name, search_multiple_services for several (an array, or separated by commas or new lines), " +
  "list_available_regions to see where searches go, and check_jwt_status when searches fail to authenticate.";

// Demo mode signs in to its own fake auth service; the user's cookie is never used there.
const DEMO_CREDENTIAL: Credential = {
  kind: "cas_session",
  source: "demo",
  value: new Secret("demo-session"),
};

/** Options for {@linkcode createDependencies}. */
export interface DependencyOptions {
  fetch: Fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** The logger of a part of the server, by name: `auth`, `discovery`. */
  logger: (category: string) => Logger;
  /** Where tool calls, registry requests, cache lookups and JWT refreshes are counted. */
  instruments?: Instruments;
}

/** Builds the token providers and discovery client that every session shares. */
export function createDependencies(config: Config, options: DependencyOptions): ToolDeps {
  const { fetch, now, logger, instruments } = options;
  const regions = config.demo
    ? config.regions.map((region) => ({ ...region, credential: DEMO_CREDENTIAL }))
    : config.regions;
  const auth = createAuthSources(regions, {
    defaultAuthUrl: config.authUrl,
    fetch,
    now,
    timeoutMs: config.timeoutMs,
    logger: logger("auth"),
    onRefresh: instruments?.authRefresh,
  });
  // In demo mode the whole catalogue counts as seen: completions and suggestions work at once.
  const knownPsms = config.demo ? DEMO_CATALOGUE.map((service) => service.psm) : [];
  const discovery = createDiscovery({
    // Discovery and the tools see names and URLs only, never a credential.
    regions: regions.map(({ name, baseUrl }) => ({ name, baseUrl })),
    tokenFor: auth.tokenFor,
    fetch,
    now,
    timeoutMs: config.timeoutMs,
    cacheTtlMs: config.cacheTtlMs,
    cacheMaxBytes: config.cacheMaxBytes,
    concurrency: config.concurrency,
    logger: logger("discovery"),
    observe: instruments && { searches: instruments.searches, requests: instruments.requests },
  });
  instruments?.watchRegions(discovery.health);
  return {
    discovery,
    // A stateless server answers one client's request, then the next client's: it must not
    // carry the first one's PSMs over, so it remembers none.
    newRecentPsms: () =>
      createRecentPsms({ initial: knownPsms, capacity: config.stateless ? 0 : undefined }),
    auth,
    authUrl: config.authUrl,
    timeoutMs: config.timeoutMs,
    demo: config.demo,
    formatter: createSearchFormatter(),
    onToolCall: instruments?.toolCall,
  };
}

/** Options for {@linkcode createServer}. */
export interface ServerOptions {
  /** A JSON-schema validator to share; without it the SDK builds a new Ajv for every server. */
  jsonSchemaValidator?: JsonSchemaValidator;
}

/**
 * Creates an `McpServer` with the four tools, the `psm://{psm}` resource
 * template and the `find_psm` prompt; one per session or stdio connection,
 * each with its own memory of the PSMs it has seen.
 */
export function createServer(deps: ToolDeps, options: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: "ByteDance PSM lookup (Neptune)", version: VERSION },
    {
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: options.jsonSchemaValidator,
      // Logging: clients may set a level, and failed regions are sent as warnings.
      capabilities: { logging: {} },
    },
  );
  const session = sessionDeps(deps);
  registerTools(server, session);
  registerPsmResource(server, session);
  registerFindPsmPrompt(server, session);
  return server;
}

// The shared dependencies with a memory of PSMs for this server alone, which its searches fill.
function sessionDeps(deps: ToolDeps): SessionDeps {
  const recentPsms = deps.newRecentPsms();
  return { ...deps, recentPsms, discovery: rememberingIn(deps.discovery, recentPsms) };
}

function rememberingIn(discovery: Discovery, recentPsms: RecentPsms): Discovery {
  return {
    ...discovery,
    search: (keyword, options) => discovery.search(keyword, { ...options, recentPsms }),
    searchMany: (keywords, options) => discovery.searchMany(keywords, { ...options, recentPsms }),
  };
}

/**
 * Returns a function that creates servers sharing one JSON-schema validator
 * (a new Ajv by default), for HTTP, where a server is built per session or
 * (stateless) per request.
 */
export function serverFactory(
  deps: ToolDeps,
  { jsonSchemaValidator = new AjvJsonSchemaValidator() }: ServerOptions = {},
): () => McpServer {
  return () => createServer(deps, { jsonSchemaValidator });
}

/** The body of `GET /health`. */
export interface Health {
  status: "ok";
  version: string;
  uptime_s: number;
  demo: boolean;
  regions: string[];
  auth: { configured: boolean; valid: boolean; expires_at?: string };
}

/** Describes the server's health without contacting any upstream. */
export function describeHealth(deps: ToolDeps, { startedAt, now }: {
  startedAt: number;
  now: () => number;
}): Health {
  const statuses = deps.auth.sources.map((source) => source.tokens.status());
  const expiries = statuses.flatMap((status) => status.expiresAt ?? []);
  return {
    status: "ok",
    version: VERSION,
    uptime_s: Math.floor((now() - startedAt) / 1000),
    demo: deps.demo,
    regions: deps.discovery.regions.map((r) => r.name),
    // Every source must be ready for the server to be; the first expiry is the one that counts.
    auth: {
      configured: statuses.every((status) => status.configured),
      valid: statuses.every((status) => status.valid),
      expires_at: isoTime(
        expiries.length > 0
          ? new Date(Math.min(...expiries.map((date) => date.getTime())))
          : undefined,
      ),
    },
  };
}

/** The body of `GET /ready`: whether searches can be answered, and why not. */
export interface Readiness {
  ready: boolean;
  /** Why not, one line per reason with the regions it concerns; empty when ready. */
  reasons: string[];
  regions: { name: string; ready: boolean; reason?: string }[];
}

/**
 * Ready when at least one region has a valid JWT and its circuit is not
 * open. A JWT is obtained when none is held, as a search would (one request
 * however many wait, failures answered from memory for a few seconds); no
 * registry is asked: the circuit breakers already know which regions fail.
 */
export async function checkReadiness(deps: ToolDeps): Promise<Readiness> {
  const tokenErrors = new Map<string, string>();
  await Promise.all(deps.auth.sources.map(async ({ tokens, regions }) => {
    try {
      await tokens.getToken();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const name of regions) tokenErrors.set(name, message);
    }
  }));
  const regions = deps.discovery.health().map(({ name, state, openUntil, lastError }) => {
    const tokenError = tokenErrors.get(name);
    if (tokenError) return { name, ready: false, reason: `no JWT: ${tokenError}` };
    if (state === "open") {
      const until = openUntil?.toISOString().slice(11, 19);
      return { name, ready: false, reason: `skipped until ${until} UTC: ${lastError}` };
    }
    return { name, ready: true };
  });
  const ready = regions.some((region) => region.ready);
  // "cn, us: no JWT: CAS_SESSION is not set: ..." rather than the same sentence per region.
  const reasons = ready
    ? []
    : groupByReason(regions.flatMap(({ name, reason }) => reason ? [[name, reason] as const] : []));
  return { ready, reasons, regions };
}
