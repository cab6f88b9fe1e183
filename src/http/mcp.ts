/**
 * `/mcp` over streamable HTTP: one `McpServer` per session (or per request in
 * stateless mode), the calls in flight, and the limits on both.
 *
 * @module
 */

import { settledWithin } from "../async.ts";
import type { Logger } from "../log.ts";
import type { McpServer } from "../mcp_sdk.ts";
import { McpTransport, nextTurnTimer } from "./mcp_transport.ts";
import { BAD_REQUEST, requestIdInUse, rpcError, SESSION_NOT_FOUND } from "./respond.ts";
import { cancelledIdsOf, messagesOf, requestIdsOf } from "./rpc_messages.ts";
import { type RequestContext, type Route, whenSent } from "./route.ts";
import { type SessionLimit, tooManySessions } from "./session_limit.ts";

/** Options for {@linkcode createMcpEndpoint}. */
export interface McpEndpointOptions {
  /** Builds the `McpServer` of a new session (or request, in stateless mode). */
  createServer: () => McpServer;
  logger: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Serve every request on its own, without sessions (for instances behind a load balancer). */
  stateless: boolean;
  /** The cap on open sessions, shared with the other transports; beyond it `initialize` is answered 503. */
  limit: SessionLimit;
  /** A session with no open request (an open stream counts) this long is closed. */
  sessionIdleMs: number;
  /** A session whose client sends nothing after `initialize` is closed after this long. */
  initializeTimeoutMs: number;
}

/** The `/mcp` route and what the app needs to manage its sessions. */
export interface McpEndpoint {
  readonly route: Route;
  /** Number of open sessions. */
  sessionCount(): number;
  /** Closes the sessions idle (or never used after `initialize`) for too long. */
  closeIdleSessions(): Promise<void>;
  /**
   * Refuses new requests, lets calls in flight finish for up to `deadlineMs`,
   * answers the rest with a JSON-RPC error, then closes every session.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

type RequestId = string | number;
type Transport = McpTransport;

interface Session {
  readonly server: McpServer;
  readonly transport: Transport;
  openRequests: number;
  lastActive: number;
  /** The client sent something after `initialize`. */
  confirmed: boolean;
}

// A stateless server and its transport, kept for the next request.
interface Connection {
  readonly server: McpServer;
  readonly transport: Transport;
}

// A POST carrying requests, until its response has been sent or its client went away.
interface Call {
  readonly transport: Transport;
  readonly ids: readonly RequestId[];
  readonly ended: Promise<void>;
}

/** The JSON-RPC error code and message of a call cut short by shutdown. */
export const SHUTTING_DOWN = {
  code: BAD_REQUEST,
  message: "Server shutting down: reconnect when it is back",
} as const;

/** Creates the `/mcp` endpoint; the route expects `context.body` read by `readJsonBody`. */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  const { logger, now } = options;
  const sessions = new Map<string, Session>();
  const calls = new Set<Call>();
  const nextTurn = nextTurnTimer();
  let closing = false;

  // Serves one request on `transport`; `onEnd` runs once its response ended, whatever the reason.
  async function exchange(
    transport: Transport,
    request: Request,
    context: RequestContext,
    onEnd: () => void,
  ): Promise<Response> {
    const ids = requestIdsOf(context.body);
    const ended = Promise.withResolvers<void>();
    const call: Call = { transport, ids, ended: ended.promise };
    const finish = () => {
      calls.delete(call);
      // A request still running when its response ended lost its client: stop its upstream work.
      for (const id of ids) transport.abandon(id, "The client closed the HTTP stream");
      onEnd();
      ended.resolve();
    };
    if (ids.length > 0) calls.add(call);
    let response: Response;
    try {
      response = await transport.handleRequest(request, {
        parsedBody: context.body,
        url: context.url,
      });
    } catch (error) {
      finish();
      throw error;
    }
    // The SDK sends nothing for a cancelled request, so its response would stay open forever.
    for (const id of cancelledIdsOf(context.body)) transport.endResponse(id);
    return whenSent(response, context.completed, finish);
  }

  function serveInSession(session: Session, request: Request, context: RequestContext) {
    // The answer to either would go to whichever asked first: the server pairs them by id alone.
    const taken = requestIdsOf(context.body).find((id) => session.transport.isUnanswered(id));
    if (taken !== undefined) return Promise.resolve(requestIdInUse(taken));
    session.openRequests++;
    session.lastActive = now();
    return exchange(session.transport, request, context, () => {
      session.openRequests--;
      session.lastActive = now();
    });
  }

  async function startSession(request: Request, context: RequestContext): Promise<Response> {
    const release = options.limit.take();
    if (!release) {
      logger.warn("Refused a new session: {count} are open, the limit", {
        count: options.limit.count(),
      });
      return tooManySessions();
    }
    let kept = false;
    try {
      const server = options.createServer();
      const transport: Transport = new McpTransport({
        nextTurn,
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, session);
          logger.info("Session {sessionId} started ({count} open)", {
            sessionId: id,
            count: sessions.size,
          });
        },
      });
      const session: Session = {
        server,
        transport,
        openRequests: 0,
        lastActive: now(),
        confirmed: false,
      };
      transport.onclose = () => {
        release();
        if (transport.sessionId && sessions.delete(transport.sessionId)) {
          logger.info("Session {sessionId} closed", { sessionId: transport.sessionId });
        }
      };
      transport.onerror = (error) => {
        logger.debug("MCP transport error: {message}", { message: error.message });
      };
      await server.connect(transport);
      const response = await serveInSession(session, request, context);
      // Anything but a successful initialize leaves no session to keep.
      kept = transport.sessionId !== undefined;
      if (!kept) await server.close();
      return response;
    } finally {
      if (!kept) release();
    }
  }

  // Stateless mode keeps the servers of ended requests, still connected, for the next ones:
  // building one registers every tool and its schemas again, and connecting and closing one
  // cost more than the call itself.
  const idle: Connection[] = [];

  async function connectStateless(): Promise<Connection> {
    const server = options.createServer();
    const transport: Transport = new McpTransport({ nextTurn });
    transport.onerror = (error) => {
      logger.debug("MCP transport error: {message}", { message: error.message });
    };
    await server.connect(transport);
    return { server, transport };
  }

  async function serveStateless(request: Request, context: RequestContext): Promise<Response> {
    const connection = idle.pop() ?? await connectStateless();
    const reusable = leavesNoClientState(context.body);
    return await exchange(connection.transport, request, context, () => {
      // Another client may use the server only once nothing of this one runs in it: an answer
      // still to come would go to that client's request of the same id.
      if (connection.transport.isIdle() && reusable && !closing && idle.length < MAX_IDLE_SERVERS) {
        idle.push(connection);
        return;
      }
      connection.server.close().catch((error) =>
        logger.debug("Closing a stateless server failed: {error}", { error })
      );
    });
  }

  function serveStateful(request: Request, context: RequestContext): Promise<Response> {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) {
        return Promise.resolve(rpcError(404, {
          code: SESSION_NOT_FOUND,
          message:
            "Session not found: it ended or the server restarted; reconnect to start a new one",
        }));
      }
      session.confirmed = true;
      return serveInSession(session, request, context);
    }
    if (request.method !== "POST") {
      return Promise.resolve(rpcError(400, {
        code: BAD_REQUEST,
        message: "Mcp-Session-Id header is required: start with an initialize request",
      }));
    }
    return startSession(request, context);
  }

  const serve = options.stateless ? serveStateless : serveStateful;

  return {
    route: (request, context) => {
      if (closing) return Promise.resolve(rpcError(503, SHUTTING_DOWN));
      return serve(request, context);
    },
    sessionCount: () => sessions.size,
    async closeIdleSessions() {
      const expired = [...sessions].filter(([, session]) => {
        const limit = session.confirmed ? options.sessionIdleMs : options.initializeTimeoutMs;
        return session.openRequests === 0 && now() - session.lastActive > limit;
      });
      for (const [sessionId, { confirmed }] of expired) {
        if (confirmed) {
          logger.info("Session {sessionId} was idle for {minutes} min: closing it", {
            sessionId,
            minutes: Math.round(options.sessionIdleMs / 60_000),
          });
        } else {
          logger.info("Session {sessionId} sent nothing after initialize: closing it", {
            sessionId,
          });
        }
      }
      await Promise.all(expired.map(([, { server }]) => server.close()));
    },
    async close({ deadlineMs = 0 } = {}) {
      closing = true;
      if (calls.size > 0 && deadlineMs > 0) {
        await settledWithin(Promise.all([...calls].map((call) => call.ended)), deadlineMs);
      }
      await Promise.all([...calls].map(answerShuttingDown));
      await Promise.all(
        [...sessions.values(), ...idle.splice(0)].map(({ server }) => server.close()),
      );
    },
  };
}

async function answerShuttingDown({ transport, ids }: Call): Promise<void> {
  for (const id of ids) {
    if (!transport.isUnanswered(id)) continue;
    transport.cancel(id, SHUTTING_DOWN.message);
    // Fails only when the client already went away: there is no one left to tell.
    await transport.send({ jsonrpc: "2.0", id, error: SHUTTING_DOWN }).catch(() => {});
  }
}

/** Servers kept for reuse in stateless mode, at most: as many as calls ran at once, up to this. */
const MAX_IDLE_SERVERS = 64;

// Requests after which a server holds nothing of its client, so another client's request may
// reuse it; `initialize` (the client's capabilities) and `logging/setLevel` leave state behind.
const STATELESS_METHODS: ReadonlySet<string> = new Set([
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "notifications/initialized",
  "notifications/cancelled",
]);

function leavesNoClientState(body: unknown): boolean {
  return messagesOf(body).every((m) =>
    typeof m.method === "string" && STATELESS_METHODS.has(m.method)
  );
}
