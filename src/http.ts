/**
 * The HTTP surface as one `(Request) => Promise<Response>`: `/mcp` (streamable
 * HTTP, one `McpServer` per session), `/health`, and a guard against DNS
 * rebinding around them. `Deno.serve` only binds it to a port.
 *
 * @module
 */

import { type McpServer, WebStandardStreamableHTTPServerTransport } from "./mcp_sdk.ts";
import type { Logger } from "./log.ts";

/** A request handler, as `Deno.serve` and tests call it. */
export type Handler = (request: Request) => Promise<Response>;

type Route = (request: Request) => Response | Promise<Response>;

/** Options for {@linkcode createHttpApp}. */
export interface HttpAppOptions {
  /** Builds the `McpServer` of a new session. */
  createServer: () => McpServer;
  /** The body of `GET /health`. */
  health: () => unknown;
  /** The address the server binds; on a loopback address only loopback Host names are served. */
  host: string;
  logger: Logger;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** A session with no open request (an open stream counts) this long is closed. Default 30 min. */
  sessionIdleMs?: number;
}

/** The HTTP application: its handler, and a way to end every session. */
export interface HttpApp {
  readonly handle: Handler;
  /** Number of open MCP sessions. */
  sessionCount(): number;
  /** Closes the sessions idle for longer than `sessionIdleMs`; call it now and then. */
  closeIdleSessions(): Promise<void>;
  /** Closes every session. */
  close(): Promise<void>;
}

interface Session {
  readonly server: McpServer;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  openRequests: number;
  lastActive: number;
}

const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;

/** Creates the HTTP application; a session lasts until its client ends it or it is idle too long. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger, now = Date.now, sessionIdleMs = DEFAULT_SESSION_IDLE_MS } = options;
  const sessions = new Map<string, Session>();

  async function startSession(request: Request): Promise<Response> {
    const server = options.createServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport, openRequests: 0, lastActive: now() });
        logger.info("Session {sessionId} started ({count} open)", {
          sessionId: id,
          count: sessions.size,
        });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId && sessions.delete(transport.sessionId)) {
        logger.info("Session {sessionId} closed", { sessionId: transport.sessionId });
      }
    };
    transport.onerror = (error) => {
      logger.debug("MCP transport error: {message}", { message: error.message });
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request);
    // Anything but a successful initialize leaves no session to keep.
    if (!transport.sessionId) await server.close();
    return response;
  }

  function handleMcp(request: Request): Response | Promise<Response> {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        return rpcError(404, {
          code: SESSION_NOT_FOUND,
          message:
            "Session not found: it ended or the server restarted; reconnect to start a new one",
        });
      }
      return serveInSession(session, request);
    }
    if (request.method !== "POST") {
      return rpcError(400, {
        code: BAD_REQUEST,
        message: "Mcp-Session-Id header is required: start with an initialize request",
      });
    }
    return startSession(request);
  }

  async function serveInSession(session: Session, request: Request): Promise<Response> {
    session.openRequests++;
    session.lastActive = now();
    const release = () => {
      session.openRequests--;
      session.lastActive = now();
    };
    try {
      return onBodyEnd(await session.transport.handleRequest(request), release);
    } catch (error) {
      release();
      throw error;
    }
  }

  function handleHealth(request: Request): Response {
    if (request.method === "HEAD") return new Response(null, { status: 200 });
    if (request.method !== "GET") return methodNotAllowed("GET, HEAD");
    return json(200, options.health());
  }

  const routes: Record<string, Route> = { "/mcp": handleMcp, "/health": handleHealth };

  const route: Handler = async (request) => {
    const { pathname } = new URL(request.url);
    const handler = routes[pathname];
    if (handler) return await handler(request);
    return json(404, { error: `Not found: ${pathname}; MCP is served at /mcp, health at /health` });
  };

  return {
    handle: withLogging(logger, guardHost(options.host, route)),
    sessionCount: () => sessions.size,
    async closeIdleSessions() {
      const idle = [...sessions].filter(([, session]) =>
        session.openRequests === 0 && now() - session.lastActive > sessionIdleMs
      );
      for (const [sessionId] of idle) {
        logger.info("Session {sessionId} was idle for {minutes} min: closing it", {
          sessionId,
          minutes: Math.round(sessionIdleMs / 60_000),
        });
      }
      await Promise.all(idle.map(([, { server }]) => server.close()));
    },
    async close() {
      await Promise.all([...sessions.values()].map(({ server }) => server.close()));
    },
  };
}

/**
 * Wraps `next` so that a browser page from another site cannot reach the
 * server through DNS rebinding: on a loopback bind the Host must be a loopback
 * name, and any Origin must be loopback or the Host itself.
 */
export function guardHost(bindHost: string, next: Handler): Handler {
  const loopbackBind = isLoopback(bindHost);
  return (request) => {
    const host = new URL(request.url).hostname;
    if (loopbackBind && !isLoopback(host)) {
      return Promise.resolve(
        json(403, {
          error: `Forbidden: Host ${host} is not a loopback name; connect to localhost`,
        }),
      );
    }
    const origin = request.headers.get("origin");
    if (origin !== null && !isAllowedOrigin(origin, host)) {
      return Promise.resolve(
        json(403, { error: `Forbidden: Origin ${origin} may not call this server` }),
      );
    }
    return next(request);
  };
}

function isAllowedOrigin(origin: string, host: string): boolean {
  if (!URL.canParse(origin)) return false;
  const { hostname } = new URL(origin);
  return isLoopback(hostname) || hostname === host;
}

/** Whether `hostname` names this machine's loopback interface. */
export function isLoopback(hostname: string): boolean {
  const name = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(name);
}

// Calls `onEnd` once the body has been sent, or the client stopped reading it.
function onBodyEnd(response: Response, onEnd: () => void): Response {
  if (!response.body) {
    onEnd();
    return response;
  }
  let ended = false;
  const end = () => {
    if (!ended) onEnd();
    ended = true;
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  const { status, statusText, headers } = response;
  return new Response(body, { status, statusText, headers });
}

function withLogging(logger: Logger, next: Handler): Handler {
  return async (request) => {
    const response = await next(request);
    logger.debug("{method} {path} -> {status}", {
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
    });
    return response;
  };
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

// The codes the SDK's own transport answers these cases with, so clients see one convention.
const BAD_REQUEST = -32000;
const SESSION_NOT_FOUND = -32001;

function rpcError(status: number, error: { code: number; message: string }): Response {
  return json(status, { jsonrpc: "2.0", error, id: null });
}

function methodNotAllowed(allow: string): Response {
  const response = json(405, { error: `Method not allowed: use ${allow}` });
  response.headers.set("allow", allow);
  return response;
}
