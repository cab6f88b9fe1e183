/**
 * The HTTP surface as one handler: a table of routes (`/mcp`, the legacy `/sse` and `/messages`,
 * the probes, `/metrics`), each wrapped in the checks it needs. `Deno.serve` only binds it.
 * @module
 */

import type { Logger } from "../log.ts";
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../metrics.ts";
import { urlHost } from "../net.ts";
import type { McpServer } from "../mcp_sdk.ts";
import type { Secret } from "../secret.ts";
import {
  allowAcceptedOrigins,
  allowMethods,
  guardHost,
  readJsonBody,
  requireBearer,
} from "./guards.ts";
import { createMcpEndpoint } from "./mcp.ts";
import { json } from "./respond.ts";
import { createPlainCalls } from "./plain_call.ts";
import { createSessionTable } from "./sessions.ts";
import { createSseEndpoint, MESSAGES_PATH, StreamBackedUpError } from "./sse.ts";
import { compose, type Handler, type Middleware, type Route, toHandler } from "./route.ts";

export type { Handler, ServeInfo } from "./route.ts";

/** Options for {@linkcode createHttpApp}; the limits default to the README's values. */
export interface HttpAppOptions {
  /** Builds the `McpServer` of a new session on `/mcp` or `/sse`. */
  createServer: () => McpServer;
  /** Builds a server for many clients (plain calls, stateless): it must remember no PSM. */
  createSharedServer: () => McpServer;
  /** The body of `GET /health`. */
  health: () => unknown;
  /** Whether searches can be answered, for `GET /ready`; without it `/ready` is `/health`. */
  ready?: () => Promise<{ ready: boolean }>;
  /** Served at `/metrics`, with the open sessions added; without it `/metrics` is not served. */
  metrics?: MetricsRegistry;
  /** The address bound; on a loopback address only loopback Host names are served. */
  host: string;
  logger: Logger;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** When set, every route but the probes requires `Authorization: Bearer <token>`. */
  authToken?: Secret;
  /** Origins whose pages may call the server, besides loopback ones and `allowedHosts`. */
  allowedOrigins?: readonly string[];
  /** Host names served besides loopback ones (such as the one a reverse proxy forwards). */
  allowedHosts?: readonly string[];
  /** Serve `/mcp` without sessions. */
  stateless?: boolean;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** A body not received whole this long after its read started is answered 408. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Most JSON-RPC messages in one batch on `/mcp` and `/messages`. Default 32. */
  maxBatchMessages?: number;
  /** Most sessions at once; then the least recently active idle one makes room. Default 1000. */
  maxSessions?: number;
  /** Most sessions of one client (bearer token, else address). Default 100. */
  maxSessionsPerClient?: number;
  /** A session with no open request this long is closed. Default 30 min. */
  sessionIdleMs?: number;
  /** A session whose client sends nothing after `initialize` is closed after this. Default 60 s. */
  initializeTimeoutMs?: number;
  /** How often a comment line keeps a quiet `/sse` stream open. Default 25 s. */
  sseKeepAliveMs?: number;
  /** Most bytes of an `/sse` stream left unread before its session is closed. Default 4 MiB. */
  sseMaxUnsentBytes?: number;
  /** Most unsent bytes of every `/sse` stream; then the one with most is closed. Default 64 MiB. */
  sseMaxTotalUnsentBytes?: number;
}

/** The HTTP application: its handler, and a way to end every session. */
export interface HttpApp {
  readonly handle: Handler;
  /** For `Deno.serve`'s `onError`: logs the failure (not a backed-up `/sse`) and answers 500. */
  onError(error: unknown): Response;
  /** Open MCP sessions, `/mcp` and `/sse` together. */
  sessionCount(): number;
  /** Closes the sessions idle for longer than `sessionIdleMs`; call it now and then. */
  closeIdleSessions(): Promise<void>;
  /** From now on `/ready` answers 503 so that load balancers stop sending requests. */
  drain(): void;
  /** Refuses new requests, gives calls in flight `deadlineMs` (default 0), closes every session. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const HTTP_LIMITS = {
  maxBodyBytes: 1024 * 1024,
  bodyTimeoutMs: 30_000,
  maxBatchMessages: 32,
  maxSessions: 1000,
  maxSessionsPerClient: 100,
  sessionIdleMs: 30 * 60 * 1000,
  initializeTimeoutMs: 60_000,
} as const;

/** Creates the HTTP application; a session lasts until its client ends it or it is idle too long. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger, now = Date.now, stateless = false } = options;
  const sessions = createSessionTable({
    logger,
    now,
    maxSessions: options.maxSessions ?? HTTP_LIMITS.maxSessions,
    maxSessionsPerClient: options.maxSessionsPerClient ?? HTTP_LIMITS.maxSessionsPerClient,
    sessionIdleMs: options.sessionIdleMs ?? HTTP_LIMITS.sessionIdleMs,
    initializeTimeoutMs: options.initializeTimeoutMs ?? HTTP_LIMITS.initializeTimeoutMs,
  });
  const mcp = createMcpEndpoint({
    createServer: stateless ? options.createSharedServer : options.createServer,
    logger,
    now,
    stateless,
    sessions,
  });
  const plainCalls = createPlainCalls({ createServer: options.createSharedServer, logger });
  const sse = createSseEndpoint({
    createServer: options.createServer,
    logger,
    now,
    sessions,
    keepAliveMs: options.sseKeepAliveMs,
    maxUnsentBytes: options.sseMaxUnsentBytes,
    maxTotalUnsentBytes: options.sseMaxTotalUnsentBytes,
  });

  let draining = false;
  // Every route but the probes is wrapped in `authorized` first, so the token guards it:
  // Kubernetes and load balancer probes cannot send one.
  const authorized = requireBearer(options.authToken);
  const jsonBody = readJsonBody({
    maxBytes: options.maxBodyBytes ?? HTTP_LIMITS.maxBodyBytes,
    maxBatchMessages: options.maxBatchMessages ?? HTTP_LIMITS.maxBatchMessages,
    timeoutMs: options.bodyTimeoutMs ?? HTTP_LIMITS.bodyTimeoutMs,
    logger,
  });
  const routes: Record<string, Route> = {
    // Stateless mode has no session to stream on (GET) or end (DELETE).
    "/mcp": compose(
      [
        authorized,
        allowMethods(stateless ? ["POST"] : ["GET", "POST", "DELETE"]),
        jsonBody,
        plainCalls.middleware,
      ],
      mcp.route,
    ),
    "/sse": stateless ? statelessRefusal : compose([authorized, allowMethods(["GET"])], sse.open),
    [MESSAGES_PATH]: stateless
      ? statelessRefusal
      : compose([authorized, allowMethods(["POST"]), jsonBody], sse.post),
    "/health": probe(() => Promise.resolve({ status: 200, body: options.health() })),
    "/ready": probe(async () => {
      if (draining) return { status: 503, body: DRAINING };
      if (!options.ready) return { status: 200, body: options.health() };
      const readiness = await options.ready();
      return { status: readiness.ready ? 200 : 503, body: readiness };
    }),
  };
  const { metrics } = options;
  if (metrics) {
    metrics.gauge("byted_mcp_sessions_open", "Open MCP sessions by transport.", () => [
      [{ transport: "streamable_http" }, mcp.sessionCount()],
      [{ transport: "sse" }, sse.sessionCount()],
    ]);
    routes["/metrics"] = compose([authorized, allowMethods(["GET"])], () =>
      Promise.resolve(
        new Response(metrics.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }),
      ));
  }

  const dispatch: Route = (request, context) => {
    const { pathname } = context.url;
    const route = routes[pathname];
    if (route) return route(request, context);
    return Promise.resolve(json(404, {
      error:
        `Not found: ${pathname}; MCP is served at /mcp (legacy SSE at /sse), health at /health`,
    }));
  };

  const hostGuard = guardHost({
    bindHost: options.host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  });
  return {
    handle: toHandler(compose([withLogging(logger), hostGuard, allowAcceptedOrigins()], dispatch)),
    onError(error) {
      if (!(error instanceof StreamBackedUpError)) {
        logger.error("Request failed: {error}", { error });
      }
      return json(500, { error: "Internal server error: see the server's log" });
    },
    sessionCount: () => mcp.sessionCount() + sse.sessionCount(),
    drain() {
      draining = true;
    },
    closeIdleSessions: () => sessions.closeIdle(),
    async close(closeOptions) {
      await Promise.all([sessions.close(closeOptions), plainCalls.close(closeOptions)]);
      await mcp.close();
    },
  };
}

const DRAINING = {
  ready: false,
  reasons: ["The server is shutting down: its load balancer sends new requests elsewhere"],
};

// A probe answers GET with its JSON body and HEAD with its status alone.
function probe(check: () => Promise<{ status: number; body: unknown }>): Route {
  return compose([allowMethods(["GET", "HEAD"])], async (request) => {
    const { status, body } = await check();
    return request.method === "HEAD" ? new Response(null, { status }) : json(status, body);
  });
}

function statelessRefusal(): Promise<Response> {
  return Promise.resolve(json(404, {
    error:
      "Not found: the legacy SSE transport needs sessions, which --stateless turns off; connect to /mcp",
  }));
}

/** The URL clients connect to on `host`:`port`. */
export function endpointUrl(host: string, port: number): string {
  return `http://${urlHost(host)}:${port}/mcp`;
}

function withLogging(logger: Logger): Middleware {
  return (next) => async (request, context) => {
    const response = await next(request, context);
    logger.debug("{method} {path} -> {status}", {
      method: request.method,
      path: context.url.pathname,
      status: response.status,
    });
    return response;
  };
}
