/** `/mcp` over streamable HTTP: one `McpServer` per session, or reused by stateless requests.
 * @module */

import type { Logger } from "../log.ts";
import type { McpServer } from "../mcp_sdk.ts";
import { McpTransport, nextTurnTimer } from "./mcp_transport.ts";
import {
  cancelledIdsOf,
  messagesOf,
  requestIdInUse,
  requestIdsOf,
  rpcError,
} from "./rpc_messages.ts";
import { type RequestContext, whenSent } from "./route.ts";
import { SHUTTING_DOWN } from "../shutdown.ts";
import { answerShuttingDown, type SessionTable, type TableSession } from "./sessions.ts";

const LABEL = "Session";

interface Session extends TableSession {
  readonly transport: McpTransport;
  openRequests: number;
}

/** The `/mcp` route expects `context.body` read by `readJsonBody`. */
export function createMcpEndpoint(table: SessionTable, options: {
  createServer: () => McpServer;
  logger: Logger;
  now: () => number;
  stateless: boolean;
}) {
  const { logger, now } = options;
  const nextTurn = nextTurnTimer();

  async function exchange(
    transport: McpTransport,
    request: Request,
    context: RequestContext,
    onEnd: () => void,
  ): Promise<Response> {
    const ids = requestIdsOf(context.body);
    const ended = Promise.withResolvers<void>();
    const untrack = ids.length === 0 ? () => {} : table.track({
      settled: () => ended.promise,
      answerShuttingDown: () => answerShuttingDown(transport, ids),
    });
    const finish = () => {
      untrack();
      // A request still running when its response ended lost its client: stop its upstream work.
      for (const id of ids) transport.abandon(id, "The client closed the HTTP stream");
      onEnd();
      ended.resolve();
    };
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
    const slot = table.reserve<Session>(LABEL, context);
    if (slot instanceof Response) return slot;
    let kept = false;
    try {
      const server = options.createServer();
      const transport = new McpTransport({
        nextTurn,
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => slot.add(id, session),
      });
      const session: Session = {
        transport,
        openRequests: 0,
        lastActive: now(),
        confirmed: false,
        busy: () => session.openRequests > 0,
        close: () => server.close(),
      };
      transport.onclose = () => slot.release();
      transport.onerror = logTransportError;
      await server.connect(transport);
      const response = await serveInSession(session, request, context);
      // Anything but a successful initialize leaves no session to keep.
      kept = transport.sessionId !== undefined;
      if (!kept) await server.close();
      return response;
    } finally {
      if (!kept) slot.release();
    }
  }

  // Stateless servers are kept connected for the next requests: building, connecting and closing
  // one cost more than the call itself.
  const idle: { server: McpServer; transport: McpTransport }[] = [];

  function logTransportError(error: Error): void {
    logger.debug("MCP transport error: {message}", { message: error.message });
  }

  async function connectStateless() {
    const server = options.createServer();
    const transport = new McpTransport({ nextTurn });
    transport.onerror = logTransportError;
    await server.connect(transport);
    return { server, transport };
  }

  async function serveStateless(request: Request, context: RequestContext): Promise<Response> {
    const connection = idle.pop() ?? await connectStateless();
    const reusable = messagesOf(context.body).every((m) =>
      typeof m.method === "string" && STATELESS_METHODS.has(m.method)
    );
    return await exchange(connection.transport, request, context, () => {
      // Only once nothing of this client runs in it: a late answer would go to the next client.
      if (
        connection.transport.isIdle() && reusable && !table.closing() &&
        idle.length < MAX_IDLE_SERVERS
      ) {
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
      const session = table.lookup<Session>(LABEL, sessionId, context, NOT_FOUND);
      if (session instanceof Response) return Promise.resolve(session);
      session.confirmed = true;
      return serveInSession(session, request, context);
    }
    if (request.method !== "POST") {
      return Promise.resolve(
        rpcError(400, "Mcp-Session-Id header is required: start with an initialize request"),
      );
    }
    return startSession(request, context);
  }

  const serve = options.stateless ? serveStateless : serveStateful;
  return {
    route: (request: Request, context: RequestContext) =>
      table.closing() ? Promise.resolve(rpcError(503, SHUTTING_DOWN)) : serve(request, context),
    sessionCount: () => table.count(LABEL),
    async close() {
      await Promise.all(idle.splice(0).map(({ server }) => server.close()));
    },
  };
}

const MAX_IDLE_SERVERS = 64;
const NOT_FOUND =
  "Session not found: it ended or the server restarted; reconnect to start a new one";

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
