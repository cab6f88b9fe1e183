/** The HTTP surface as one handler: a table of routes, each wrapped in the checks it needs.
 * @module */

import type { Logger } from "../log.ts";
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../metrics.ts";
import { urlHost } from "../net.ts";
import type { McpServer } from "../mcp_sdk.ts";
import type { Secret } from "../secret.ts";
import {
  allowAcceptedOrigins,
  allowMethods,
  type BodyLimits,
  guardHost,
  type HostGuardOptions,
  readJsonBody,
  requireBearer,
} from "./guards.ts";
import { createMcpEndpoint } from "./mcp.ts";
import { json } from "./rpc_messages.ts";
import { createPlainCalls } from "./plain_call.ts";
import { type SessionLimits, SessionTable } from "./sessions.ts";
import { createSseEndpoint, MESSAGES_PATH, type SseLimits, StreamBackedUpError } from "./sse.ts";
import { compose, type Handler, type Middleware, type Route, toHandler } from "./route.ts";

export type { Handler, ServeInfo } from "./route.ts";

/** The limits default to the README's values. */
export interface HttpAppOptions extends HostGuardOptions, BodyLimits, SessionLimits, SseLimits {
  createServer: () => McpServer;
  /** For many clients (plain calls, stateless): it must remember no PSM. */
  createSharedServer: () => McpServer;
  health: () => unknown;
  /** Whether searches can be answered, for `GET /ready`; without it `/ready` is `/health`. */
  ready?: () => Promise<{ ready: boolean }>;
  /** Served at `/metrics`, with the open sessions added; without it `/metrics` is not served. */
  metrics?: MetricsRegistry;
  logger: Logger;
  now?: () => number;
  /** When set, every route but the probes requires `Authorization: Bearer <token>`. */
  authToken?: Secret;
  stateless?: boolean;
}

export interface HttpApp {
  readonly handle: Handler;
  /** For `Deno.serve`'s `onError`: logs the failure (not a backed-up `/sse`) and answers 500. */
  onError(error: unknown): Response;
  sessionCount(): number;
  closeIdleSessions(): Promise<void>;
  /** From now on `/ready` answers 503 so that load balancers send requests elsewhere. */
  drain(): void;
  /** Refuses new requests, gives calls in flight `deadlineMs` (default 0), closes every session. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger, now = Date.now, stateless = false, metrics } = options;
  const sessions = new SessionTable({ ...options, now });
  const mcp = createMcpEndpoint(sessions, {
    ...options,
    now,
    stateless,
    createServer: stateless ? options.createSharedServer : options.createServer,
  });
  const plainCalls = createPlainCalls(sessions, options.createSharedServer, logger);
  const sse = createSseEndpoint(sessions, { ...options, now });
  let draining = false;
  // Every route but the probes is wrapped in `authorized` first: probes cannot send a token.
  const authorized = requireBearer(options.authToken);
  const jsonBody = readJsonBody(options);
  const routes: Record<string, Route> = {
    // Stateless mode has no session to stream on (GET) or end (DELETE).
    "/mcp": compose([
      authorized,
      allowMethods(stateless ? ["POST"] : ["GET", "POST", "DELETE"]),
      jsonBody,
      plainCalls.middleware,
    ], mcp.route),
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
  const wrappers = [withLogging(logger), guardHost(options), allowAcceptedOrigins()];
  return {
    handle: toHandler(compose(wrappers, dispatch)),
    onError(error) {
      if (!(error instanceof StreamBackedUpError)) {
        logger.error("Request failed: {error}", { error });
      }
      return json(500, { error: "Internal server error: see the server's log" });
    },
    sessionCount: () => sessions.count(),
    drain() {
      draining = true;
    },
    closeIdleSessions: () => sessions.closeIdle(),
    async close(closeOptions) {
      await sessions.close(closeOptions);
      await Promise.all([plainCalls.close(), mcp.close()]);
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
