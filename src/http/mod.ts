/**
 * The HTTP surface as one handler: a table of routes (`/mcp`, the legacy
 * `/sse` and `/messages`, the probes `/health` and `/ready`, `/metrics`),
 * each wrapped in the checks it needs, behind the Host/Origin guard.
 * `Deno.serve` only binds it to a port.
 *
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
import { clientOf, createSessionTable } from "./sessions.ts";
import { createSseEndpoint, MESSAGES_PATH, StreamBackedUpError } from "./sse.ts";
import { compose, type Handler, type Middleware, type Route, toHandler } from "./route.ts";

export type { Handler, ServeInfo } from "./route.ts";

/** Options for {@linkcode createHttpApp}; the limits default to the values the server runs with. */
export interface HttpAppOptions {
  /** Builds the `McpServer` of a new session on `/mcp` or `/sse`. */
  createServer: () => McpServer;
  /**
   * Builds an `McpServer` that answers many clients (plain JSON calls, stateless requests);
   * it must remember no PSM, so that no client learns what another searched.
   */
  createSharedServer: () => McpServer;
  /** The body of `GET /health`. */
  health: () => unknown;
  /**
   * Whether the server can answer searches, for `GET /ready` (503 when not);
   * without it `/ready` answers like `/health`.
   */
  ready?: () => Promise<{ ready: boolean }>;
  /** Served at `/metrics`, with the open sessions added; without it `/metrics` is not served. */
  metrics?: MetricsRegistry;
  /** The address the server binds; on a loopback address only loopback Host names are served. */
  host: string;
  logger: Logger;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** When set, every route but `/health` and `/ready` requires `Authorization: Bearer <token>`. */
  authToken?: Secret;
  /** Origins whose pages may call the server, on top of loopback ones and those on `allowedHosts`. */
  allowedOrigins?: readonly string[];
  /** Host names served on top of loopback ones (such as the name a reverse proxy forwards). */
  allowedHosts?: readonly string[];
  /** Serve `/mcp` without sessions. Default false. */
  stateless?: boolean;
  /** Largest request body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A request body not received whole this long after its read started is answered 408. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Most JSON-RPC messages in one batch (a JSON array) on `/mcp` and `/messages`. Default 32. */
  maxBatchMessages?: number;
  /**
   * Most sessions open at once; when reached, the least recently active idle
   * session makes room for a new one. Default 1000.
   */
  maxSessions?: number;
  /**
   * Most sessions open at once for one client: one bearer token when the
   * server has one, else one address. Default 100.
   */
  maxSessionsPerClient?: number;
  /** A session with no open request (an open stream counts) this long is closed. Default 30 min. */
  sessionIdleMs?: number;
  /** A session whose client sends nothing after `initialize` is closed after this long. Default 60 s. */
  initializeTimeoutMs?: number;
  /** How often a comment line keeps a quiet `/sse` stream open. Default 25 s. */
  sseKeepAliveMs?: number;
  /** The most bytes of an `/sse` stream its client may leave unread before the session is closed. Default 4 MiB. */
  sseMaxUnsentBytes?: number;
  /**
   * The most unsent bytes of every `/sse` stream together; past it the session
   * with the most is closed like one past its own limit. Default 64 MiB.
   */
  sseMaxTotalUnsentBytes?: number;
}

/** The HTTP application: its handler, and a way to end every session. */
export interface HttpApp {
  readonly handle: Handler;
  /**
   * For `Deno.serve`'s `onError`: logs a request the handler threw on (not an
   * `/sse` stream its client stopped reading, logged when it was closed) and
   * answers 500.
   */
  onError(error: unknown): Response;
  /** Number of open MCP sessions, `/mcp` and `/sse` together. */
  sessionCount(): number;
  /** Closes the sessions idle for longer than `sessionIdleMs`; call it now and then. */
  closeIdleSessions(): Promise<void>;
  /**
   * From now on `/ready` answers 503 so that load balancers stop sending
   * requests; every route, `/health` included, is still served.
   */
  drain(): void;
  /**
   * Refuses new MCP requests, gives calls in flight up to `deadlineMs`
   * (default 0) to finish, answers the rest with `SHUTTING_DOWN` (sessions.ts)
   * and closes every session.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/** The default limits, as documented in the README. */
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
    clientOf,
  });
  const plainCalls = createPlainCalls({ createServer: options.createSharedServer, logger });
  const sse = createSseEndpoint({
    createServer: options.createServer,
    logger,
    now,
    sessions,
    clientOf,
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
    // The original's plain JSON call (`{"tool", "arguments"}`) is answered before the transport.
    "/mcp": compose(
      [
        authorized,
        allowMethods(stateless ? ["POST"] : ["GET", "POST", "DELETE"]),
        jsonBody,
        plainCalls.middleware,
      ],
      mcp.route,
    ),
    // The legacy transport lives in sessions: a stateless server has none to offer.
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

/** The URL clients connect to on `host`:`port`, with an IPv6 address in brackets once. */
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
