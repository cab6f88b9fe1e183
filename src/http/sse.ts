/** The legacy HTTP+SSE transport (2024-11-05), our own over a web stream: the SDK's writes to
 * Node's `http.ServerResponse`, and the Hono adapters expect Hono's streaming context.
 * @module */

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
import { cancellation, Unanswered } from "../unanswered.ts";
import { cancelledIdsOf, requestIdInUse, requestIdsOf, rpcError } from "./rpc_messages.ts";
import { type RequestContext, whenSent } from "./route.ts";
import {
  answerShuttingDown,
  type SessionTable,
  sessionTag,
  type TableSession,
} from "./sessions.ts";

/** Where clients POST their messages; the `endpoint` event adds `?sessionId=...`. */
export const MESSAGES_PATH = "/messages";

/** The client of an SSE session stopped reading its stream: the session was closed. */
export class StreamBackedUpError extends Error {
  override name = "StreamBackedUpError";
}

export class SseServerTransport implements Transport {
  readonly sessionId: string = crypto.randomUUID();
  readonly stream: ReadableStream<Uint8Array>;
  readonly unanswered: Unanswered = new Unanswered();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #keepAliveMs: number;
  #maxUnsentBytes: number;
  #keepAlive?: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(limits: SseLimits = {}, readonly budget?: UnsentBudget) {
    this.#keepAliveMs = limits.sseKeepAliveMs ?? 25_000;
    this.#maxUnsentBytes = limits.sseMaxUnsentBytes ?? 4 * 1024 * 1024;
    // Counting the queue in bytes makes `desiredSize` the room left before the limit.
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => this.close(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.#maxUnsentBytes }));
    this.budget?.streams.add(this);
  }

  start(): Promise<void> {
    const endpoint = `${MESSAGES_PATH}?sessionId=${encodeURIComponent(this.sessionId)}`;
    this.#write(`event: endpoint\ndata: ${endpoint}\n\n`);
    this.#keepAlive = setInterval(() => this.#write(": keep-alive\n\n"), this.#keepAliveMs);
    Deno.unrefTimer(this.#keepAlive);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Not connected: the SSE stream is closed"));
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) this.unanswered.answered(message.id);
    }
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  handleMessage(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) this.unanswered.add(message.id);
    // The server sends nothing for a cancelled request: it is unanswered no longer.
    for (const id of cancelledIdsOf(message)) this.unanswered.answered(id, true);
    this.onmessage?.(message);
  }

  /** Stops the work of request `id` as the client's `notifications/cancelled` would. */
  cancel(id: RequestId, reason: string): void {
    this.onmessage?.(cancellation(id, reason));
  }

  isUnanswered(id: RequestId): boolean {
    return this.unanswered.has(id);
  }

  unsentBytes(): number {
    if (this.#closed) return 0;
    return this.#maxUnsentBytes - (this.#controller.desiredSize ?? this.#maxUnsentBytes);
  }

  close(): Promise<void> {
    this.#end();
    return Promise.resolve();
  }

  /** Ends the session because its client left too much unread: the unsent bytes are dropped. */
  closeBackedUp(why: string): void {
    this.#end(new StreamBackedUpError(why));
  }

  #end(error?: Error) {
    if (this.#closed) return;
    this.#closed = true;
    this.budget?.streams.delete(this);
    clearInterval(this.#keepAlive);
    try {
      if (error) this.#controller.error(error);
      else this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    if (error) this.onerror?.(error);
    this.onclose?.();
  }

  #write(text: string) {
    if (this.#closed) return;
    const bytes = encoder.encode(text);
    // A client that does not read would otherwise make every answer queue in memory.
    if (bytes.byteLength > (this.#controller.desiredSize ?? 0)) {
      return this.closeBackedUp(
        `The client left over ${this.#maxUnsentBytes} bytes of its event stream unread`,
      );
    }
    if (this.budget && !this.budget.makeRoom(this, bytes.byteLength)) return;
    try {
      this.#controller.enqueue(bytes);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      void this.close();
    }
  }
}

/** Bounds the unsent bytes of all `/sse` streams: 4 MiB times 1000 sessions would be 4 GiB. */
export class UnsentBudget {
  readonly streams: Set<SseServerTransport> = new Set();

  constructor(readonly maxBytes: number = 64 * 1024 * 1024) {}

  /** Closes the streams with most unsent until `bytes` fit; false when `writer` was closed. */
  makeRoom(writer: SseServerTransport, bytes: number): boolean {
    while (true) {
      // Summed on demand: a stream's backlog shrinks as its client reads, which nothing reports.
      // The client that reads least is the one closed, not whoever writes when the budget is full.
      let [total, most, worst] = [0, 0, writer];
      for (const stream of this.streams) {
        const unsent = stream.unsentBytes();
        total += unsent;
        if (unsent > most) [worst, most] = [stream, unsent];
      }
      if (total + bytes <= this.maxBytes) return true;
      worst.closeBackedUp(
        `The event streams held over ${this.maxBytes} unsent bytes together, this one the most (${most})`,
      );
      if (worst === writer) return false;
    }
  }
}

export interface SseLimits {
  sseKeepAliveMs?: number;
  /** Unread bytes of one stream before its session is closed. */
  sseMaxUnsentBytes?: number;
  /** Of every stream together; then the one with most is closed. */
  sseMaxTotalUnsentBytes?: number;
}

interface SseSession extends TableSession {
  readonly transport: SseServerTransport;
}

const LABEL = "SSE session";

export const BACKED_UP =
  "Session closed: its client stopped reading the event stream of GET /sse; reconnect to /sse and read the stream";

/** `post` expects `context.body`. */
export function createSseEndpoint(
  table: SessionTable,
  options: SseLimits & { createServer: () => McpServer; logger: Logger; now: () => number },
) {
  const { logger, now } = options;
  const budget = new UnsentBudget(options.sseMaxTotalUnsentBytes);

  async function open(_request: Request, context: RequestContext): Promise<Response> {
    const slot = table.reserve<SseSession>(LABEL, context);
    if (slot instanceof Response) return slot;
    const transport = new SseServerTransport(options, budget);
    const server = options.createServer();
    const { sessionId, unanswered } = transport;
    const session: SseSession = {
      transport,
      lastActive: now(),
      confirmed: false,
      busy: () => unanswered.size > 0,
      close: () => server.close(),
    };
    slot.add(sessionId, session);
    const untrack = table.track({
      settled: () => unanswered.drained(),
      answerShuttingDown: () => answerShuttingDown(transport, unanswered.ids()),
    });
    transport.onclose = () => {
      untrack();
      slot.release();
    };
    transport.onerror = (error) => {
      if (!(error instanceof StreamBackedUpError)) {
        return logger.debug("SSE transport error: {message}", { message: error.message });
      }
      logger.warn("SSE session {session} closed: {message}", {
        session: sessionTag(sessionId),
        message: error.message,
      });
      slot.release(BACKED_UP);
    };
    await server.connect(transport);
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

  function post(context: RequestContext): Response {
    const sessionId = context.url.searchParams.get("sessionId");
    if (!sessionId) {
      return rpcError(
        400,
        "The sessionId query parameter is missing: POST to the URL of the endpoint event of GET /sse",
      );
    }
    const session = table.lookup<SseSession>(LABEL, sessionId, context, NOT_FOUND);
    if (session instanceof Response) return session;
    const { body } = context;
    const parsed = NON_EMPTY_MESSAGES.safeParse(Array.isArray(body) ? body : [body]);
    if (!parsed.success) {
      return rpcError(
        400,
        "Invalid JSON-RPC message: send one JSON-RPC 2.0 object (or a list of them)",
      );
    }
    const messages = parsed.data;
    // Answers are paired by id alone: the second would reach whoever asked first.
    const taken = requestIdsOf(messages).find((id) => session.transport.unanswered.has(id));
    if (taken !== undefined) return requestIdInUse(taken);
    session.confirmed = true;
    session.lastActive = now();
    for (const message of messages) session.transport.handleMessage(message);
    return new Response("Accepted", { status: 202 });
  }

  return {
    open,
    post: (_request: Request, context: RequestContext) => Promise.resolve(post(context)),
    sessionCount: () => table.count(LABEL),
  };
}

const NON_EMPTY_MESSAGES = JSONRPCMessageSchema.array().min(1);
const NOT_FOUND =
  "Session not found: its SSE stream ended or the server restarted; reconnect to /sse";
const encoder = new TextEncoder();
