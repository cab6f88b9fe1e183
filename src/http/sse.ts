/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05) that the original
 * server's clients use: `GET /sse` opens an event stream whose first event,
 * `endpoint`, names the URL to POST messages to (`/messages?sessionId=...`);
 * each POST is answered 202 and the server's messages go out on the stream as
 * `message` events.
 *
 * The transport is our own over a web `ReadableStream`: the SDK's
 * `SSEServerTransport` writes to Node's `http.ServerResponse`, and the Hono
 * adapters (`@hono/mcp`, `hono-mcp-server-sse-transport`) expect Hono's
 * streaming context, a framework we would pull in for what fits in this file.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type McpServer,
  type RequestId,
  type Transport,
} from "../mcp_sdk.ts";
import { settledWithin } from "../async.ts";
import { SHUTTING_DOWN } from "./mcp.ts";
import { BAD_REQUEST, requestIdInUse, rpcError, SESSION_NOT_FOUND } from "./respond.ts";
import { cancelledIdsOf, requestIdsOf } from "./rpc_messages.ts";
import { type RequestContext, type Route, whenSent } from "./route.ts";
import { type SessionLimit, tooManySessions } from "./session_limit.ts";

/** Where clients POST their messages; the `endpoint` event adds `?sessionId=...`. */
export const MESSAGES_PATH = "/messages";

/** Options for {@linkcode SseServerTransport}. */
export interface SseServerTransportOptions {
  /** How often a comment line keeps proxies from closing a quiet stream. Default 25 s. */
  keepAliveMs?: number;
}

const KEEP_ALIVE_MS = 25_000;

/**
 * One SSE session as an SDK `Transport`: what the server sends is written to
 * {@linkcode SseServerTransport.stream}, what the client POSTs comes in
 * through {@linkcode SseServerTransport.handleMessage}.
 */
export class SseServerTransport implements Transport {
  readonly sessionId: string = crypto.randomUUID();
  /** The body of the `GET /sse` response. */
  readonly stream: ReadableStream<Uint8Array>;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #encoder = new TextEncoder();
  #keepAliveMs: number;
  #keepAlive?: ReturnType<typeof setInterval>;
  #closed = false;
  // Requests received and not answered yet, so that shutdown can answer them.
  #pending = new Set<RequestId>();
  #drained = Promise.withResolvers<void>();

  constructor(options: SseServerTransportOptions = {}) {
    this.#keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // The client went away.
      cancel: () => this.close(),
    });
    this.#drained.resolve();
  }

  /** Sends the `endpoint` event and starts the keep-alive comments. */
  start(): Promise<void> {
    const endpoint = `${MESSAGES_PATH}?sessionId=${encodeURIComponent(this.sessionId)}`;
    this.#write(`event: endpoint\ndata: ${endpoint}\n\n`);
    const keepAlive = setInterval(() => this.#write(": keep-alive\n\n"), this.#keepAliveMs);
    Deno.unrefTimer(keepAlive);
    this.#keepAlive = keepAlive;
    return Promise.resolve();
  }

  /** Writes `message` to the stream as a `message` event. */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Not connected: the SSE stream is closed"));
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      this.#settled(message.id);
    }
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  /** Hands a message the client POSTed to the server. */
  handleMessage(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) {
      if (this.#pending.size === 0) this.#drained = Promise.withResolvers<void>();
      this.#pending.add(message.id);
    }
    // The server sends nothing for a cancelled request: it is pending no longer.
    for (const id of cancelledIdsOf(message)) this.#settled(id);
    this.onmessage?.(message);
  }

  /** Whether a request of id `id` was received and is not answered yet. */
  isPending(id: RequestId): boolean {
    return this.#pending.has(id);
  }

  /** The ids of requests received and not answered yet. */
  pendingRequestIds(): RequestId[] {
    return [...this.#pending];
  }

  /** Settles once every request received so far has been answered. */
  drained(): Promise<void> {
    return this.#drained.promise;
  }

  /** Ends the stream; the session is over. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearInterval(this.#keepAlive);
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.onclose?.();
    return Promise.resolve();
  }

  #settled(id: RequestId | undefined) {
    if (id === undefined || !this.#pending.delete(id)) return;
    if (this.#pending.size === 0) this.#drained.resolve();
  }

  #write(text: string) {
    if (this.#closed) return;
    try {
      this.#controller.enqueue(this.#encoder.encode(text));
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      void this.close();
    }
  }
}

/** Options for {@linkcode createSseEndpoint}. */
export interface SseEndpointOptions {
  /** Builds the `McpServer` of a new session. */
  createServer: () => McpServer;
  logger: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** The cap on open sessions, shared with `/mcp`. */
  limit: SessionLimit;
  /** A stream whose client POSTs nothing this long after connecting is closed. */
  initializeTimeoutMs: number;
  /** How often a comment keeps a quiet stream open. Default 25 s. */
  keepAliveMs?: number;
}

/** The two routes of the legacy transport and what the app needs to manage its sessions. */
export interface SseEndpoint {
  /** `GET /sse`: opens a session and its event stream. */
  readonly open: Route;
  /** `POST /messages?sessionId=...`: expects `context.body` read by `readJsonBody`. */
  readonly post: Route;
  sessionCount(): number;
  /** Closes the streams whose client never sent a message; an open stream is otherwise never idle. */
  closeIdleSessions(): Promise<void>;
  /** Refuses new streams, lets requests in flight finish for up to `deadlineMs`, answers the rest, closes every stream. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

interface SseSession {
  readonly server: McpServer;
  readonly transport: SseServerTransport;
  readonly openedAt: number;
  /** The client POSTed something. */
  confirmed: boolean;
}

/** Creates the legacy SSE endpoint. */
export function createSseEndpoint(options: SseEndpointOptions): SseEndpoint {
  const { logger, now } = options;
  const sessions = new Map<string, SseSession>();
  let closing = false;

  async function open(_request: Request, context: RequestContext) {
    if (closing) return rpcError(503, SHUTTING_DOWN);
    const release = options.limit.take();
    if (!release) {
      logger.warn("Refused a new SSE stream: {count} sessions are open, the limit", {
        count: options.limit.count(),
      });
      return tooManySessions();
    }
    const transport = new SseServerTransport({ keepAliveMs: options.keepAliveMs });
    const server = options.createServer();
    const { sessionId } = transport;
    sessions.set(sessionId, { server, transport, openedAt: now(), confirmed: false });
    transport.onclose = () => {
      release();
      if (sessions.delete(sessionId)) logger.info("SSE session {sessionId} closed", { sessionId });
    };
    transport.onerror = (error) => {
      logger.debug("SSE transport error: {message}", { message: error.message });
    };
    await server.connect(transport);
    logger.info("SSE session {sessionId} started ({count} open)", {
      sessionId,
      count: sessions.size,
    });
    const response = new Response(transport.stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        // Asks reverse proxies such as nginx not to buffer the stream.
        "x-accel-buffering": "no",
      },
    });
    return whenSent(response, context.completed, () => void server.close());
  }

  function post(_request: Request, context: RequestContext) {
    const sessionId = context.url.searchParams.get("sessionId");
    if (!sessionId) {
      return Promise.resolve(rpcError(400, {
        code: BAD_REQUEST,
        message:
          "The sessionId query parameter is missing: POST to the URL of the endpoint event of GET /sse",
      }));
    }
    const session = sessions.get(sessionId);
    if (!session) {
      return Promise.resolve(rpcError(404, {
        code: SESSION_NOT_FOUND,
        message:
          "Session not found: its SSE stream ended or the server restarted; reconnect to /sse",
      }));
    }
    const messages = parseMessages(context.body);
    if (!messages) {
      return Promise.resolve(rpcError(400, {
        code: BAD_REQUEST,
        message: "Invalid JSON-RPC message: send one JSON-RPC 2.0 object (or a list of them)",
      }));
    }
    // Answers go out on the stream paired by id alone: the second would reach whoever asked first.
    const taken = requestIdsOf(messages).find((id) => session.transport.isPending(id));
    if (taken !== undefined) return Promise.resolve(requestIdInUse(taken));
    session.confirmed = true;
    for (const message of messages) session.transport.handleMessage(message);
    return Promise.resolve(new Response("Accepted", { status: 202 }));
  }

  return {
    open,
    post,
    sessionCount: () => sessions.size,
    async closeIdleSessions() {
      const silent = [...sessions.values()].filter((session) =>
        !session.confirmed && now() - session.openedAt > options.initializeTimeoutMs
      );
      for (const { transport } of silent) {
        logger.info("SSE session {sessionId} sent nothing after connecting: closing it", {
          sessionId: transport.sessionId,
        });
      }
      await Promise.all(silent.map(({ server }) => server.close()));
    },
    async close({ deadlineMs = 0 } = {}) {
      closing = true;
      const open = [...sessions.values()];
      if (deadlineMs > 0) {
        await settledWithin(
          Promise.all(open.map(({ transport }) => transport.drained())),
          deadlineMs,
        );
      }
      await Promise.all(open.map(answerShuttingDown));
      await Promise.all(open.map(({ server }) => server.close()));
    },
  };
}

async function answerShuttingDown({ transport }: SseSession): Promise<void> {
  for (const id of transport.pendingRequestIds()) {
    // Stops the handler's upstream work as a client's cancellation would.
    transport.onmessage?.({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: SHUTTING_DOWN.message },
    });
    await transport.send({ jsonrpc: "2.0", id, error: SHUTTING_DOWN }).catch(() => {});
  }
}

function parseMessages(body: unknown): JSONRPCMessage[] | undefined {
  const list = Array.isArray(body) ? body : [body];
  const messages: JSONRPCMessage[] = [];
  for (const item of list) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) return undefined;
    messages.push(parsed.data);
  }
  return messages.length > 0 ? messages : undefined;
}
