/**
 * The transport an `McpServer` of `/mcp` is connected to: the SDK's
 * streamable HTTP transport for the handshake, streams, DELETE, batches and
 * any call that asked for progress, and a plain JSON answer for a lone call
 * that did not. The SDK answers a POST with an event stream unless JSON
 * responses are turned on for the whole transport, where progress cannot be
 * sent and every call leaves an entry behind (typescript-sdk#2559); a stream
 * per response was the largest cost of a cached call (bench/RESULTS.md, P5).
 *
 * @module
 */

import {
  isJSONRPCRequest,
  type JSONRPCMessage,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  WebStandardStreamableHTTPServerTransport,
} from "../mcp_sdk.ts";
import { BAD_REQUEST, type RpcError } from "./respond.ts";

type MessageHandler = NonNullable<Transport["onmessage"]>;
type SendOptions = Parameters<Transport["send"]>[1];

/** Options for {@linkcode McpTransport}. */
export interface McpTransportOptions {
  /**
   * Serve a session (its id from this function); without it, requests one at a
   * time with no session, each on its own SDK transport when one is needed.
   */
  sessionIdGenerator?: () => string;
  /** Called once `initialize` created the session. */
  onsessioninitialized?: (sessionId: string) => void;
  /** Resolves at the next turn of the event loop; share one from {@linkcode nextTurnTimer}. */
  nextTurn?: () => Promise<unknown>;
}

/**
 * Returns a function whose promise resolves at the next turn of the event
 * loop, after every pending microtask: the callers of one turn share a timer.
 */
export function nextTurnTimer(): () => Promise<void> {
  let turn: Promise<void> | undefined;
  return () =>
    turn ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        turn = undefined;
        resolve();
      }, 0)
    );
}

/** What {@linkcode McpTransport.handleRequest} needs besides the request. */
export interface HandleOptions {
  /** The body, read and parsed already. */
  parsedBody?: unknown;
  /** The request URL, parsed already; parsed again from the request when absent. */
  url?: URL;
}

/**
 * The JSON-RPC error of a call still unanswered when its session closed (its
 * client sent DELETE, or the server closed it): the server aborted the call
 * and will never answer it. Its code is the SDK's `ConnectionClosed`, which is
 * also the generic server error that shutdown answers with.
 */
export const SESSION_CLOSED: RpcError = {
  code: BAD_REQUEST,
  message: "Session closed: reconnect to start a new one",
};

// Settles a call answered in JSON: with its answer, or with nothing when it is abandoned.
type Settle = (answer: JSONRPCMessage | undefined) => void;

/**
 * A `Transport` for one session (or one stateless request) that also knows
 * which of its requests are still unanswered, so that ending a call cancels
 * only those.
 */
export class McpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: MessageHandler;
  readonly #stateless: boolean;
  readonly #nextTurn: () => Promise<unknown>;
  // The session's SDK transport; in stateless mode, the one of the request being served.
  #stream: WebStandardStreamableHTTPServerTransport | undefined;
  #closed = false;
  readonly #plain = new Map<RequestId, Settle>();
  // How many requests of each id came in and are unanswered: counted, not kept in a set, so
  // that a request sharing its id with another one keeps the transport busy until both end.
  readonly #unanswered = new Map<RequestId, number>();
  // A call was cancelled: its handler may still be running, and nothing tells when it ends.
  #abandoned = false;

  constructor(options: McpTransportOptions = {}) {
    this.#stateless = options.sessionIdGenerator === undefined;
    this.#nextTurn = options.nextTurn ?? nextTurnTimer();
    if (!this.#stateless) {
      this.#stream = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: options.sessionIdGenerator,
        onsessioninitialized: options.onsessioninitialized,
        // A DELETE accepted, before the SDK closes the streams: a call on an event stream can
        // still be told why it ends.
        onsessionclosed: () => this.#answerUnanswered(),
      });
      // Whoever closes it (a DELETE, `close`), the calls it leaves behind are answered here.
      this.#stream.onclose = () => {
        this.#closed = true;
        this.#endCalls();
        this.onclose?.();
      };
    }
  }

  /** The SDK's transport of the session, or of the last request (stateless) that needed one. */
  get stream(): WebStandardStreamableHTTPServerTransport | undefined {
    return this.#stream;
  }

  /** The session's id once `initialize` created it; undefined in stateless mode. */
  get sessionId(): string | undefined {
    return this.#stream?.sessionId;
  }

  async start(): Promise<void> {
    if (this.#stream) await this.#wire(this.#stream).start();
  }

  #wire(transport: WebStandardStreamableHTTPServerTransport) {
    transport.onmessage = (message, extra) => this.onmessage?.(message, extra);
    transport.onerror = (error) => this.onerror?.(error);
    return transport;
  }

  // A stateless SDK transport serves one request only: each request that needs one gets its own.
  #streamFor(): WebStandardStreamableHTTPServerTransport {
    if (this.#stream && !this.#stateless) return this.#stream;
    this.#stream = this.#wire(
      new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined }),
    );
    return this.#stream;
  }

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const answered = answeredIdOf(message);
    const id = answered ?? options?.relatedRequestId;
    if (answered !== undefined) this.#answered(answered);
    const settle = id === undefined ? undefined : this.#plain.get(id);
    if (!settle) {
      if (this.#stream) return await this.#stream.send(message, options);
      // Stateless with no SDK transport in use: like the SDK's own with no stream open, a
      // notification has nowhere to go and is dropped.
      if (answered === undefined) return;
      throw new Error(`No request ${answered} is open to answer`);
    }
    // A JSON answer has no room for what the server sends before it (the call asked for no
    // progress): only the answer goes out.
    if (answered === undefined) return;
    this.#plain.delete(answered);
    settle(message);
  }

  async close(): Promise<void> {
    this.#endCalls();
    if (this.#stream) await this.#stream.close();
    if (this.#stateless) {
      this.#closed = true;
      this.onclose?.();
    }
  }

  /**
   * Serves one HTTP request whose JSON body was read already: a POST of one
   * call that asked for no progress is answered in JSON, anything else by the
   * SDK's transport (an event stream for calls).
   */
  handleRequest(request: Request, { parsedBody, url }: HandleOptions = {}): Promise<Response> {
    const requests = request.method === "POST" ? requestsOf(parsedBody) : [];
    for (const { id } of requests) this.#unanswered.set(id, (this.#unanswered.get(id) ?? 0) + 1);
    const call = parsedBody === requests[0] ? requests[0] : undefined;
    if (!call || !this.#answersInJson(request, call)) {
      return this.#streamFor().handleRequest(request, { parsedBody });
    }
    return this.#answerInJson(request, call, url);
  }

  async #answerUnanswered() {
    const ids = [...this.#unanswered.keys()];
    // Fails only when the client already went away: there is no one left to tell.
    await Promise.all(
      ids.map((id) => this.send({ jsonrpc: "2.0", id, error: SESSION_CLOSED }).catch(() => {})),
    );
  }

  // Closing aborts every handler, so the server answers none of the calls still running: each
  // JSON answer gets SESSION_CLOSED now, or its response would stay open with no body (the SDK
  // closes the event streams of the others itself).
  #endCalls() {
    for (const [id, settle] of this.#plain) settle({ jsonrpc: "2.0", id, error: SESSION_CLOSED });
    this.#plain.clear();
    this.#unanswered.clear();
  }

  #answered(id: RequestId) {
    const count = this.#unanswered.get(id) ?? 0;
    if (count > 1) this.#unanswered.set(id, count - 1);
    else this.#unanswered.delete(id);
  }

  /** Calls in flight that this transport keeps track of (none once every call ended). */
  heldCalls(): number {
    return Math.max(this.#plain.size, this.#unanswered.size);
  }

  /** Whether `requestId` came in and has been neither answered nor cancelled. */
  isUnanswered(requestId: RequestId): boolean {
    return this.#unanswered.has(requestId);
  }

  /**
   * Whether nothing runs in the server behind this transport: every call it
   * served was answered, none was cancelled, so another client may use it.
   */
  isIdle(): boolean {
    return this.#unanswered.size === 0 && this.#plain.size === 0 && !this.#abandoned;
  }

  /**
   * Cancels `requestId` as if the client had sent `notifications/cancelled`:
   * the handler's signal aborts, and with it every upstream request it started.
   */
  cancel(requestId: RequestId, reason: string): void {
    if (!this.#unanswered.delete(requestId)) return;
    this.#abandoned = true;
    this.onmessage?.({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason },
    });
  }

  /**
   * Cancels `requestId` if it is still unanswered and drops its JSON answer,
   * for a call whose client left: nothing of it stays behind.
   */
  abandon(requestId: RequestId, reason: string): void {
    this.cancel(requestId, reason);
    this.#settlePlain(requestId);
  }

  /** Ends the response of a cancelled call, which the server never answers. */
  endResponse(requestId: RequestId): void {
    if (this.#unanswered.delete(requestId)) this.#abandoned = true;
    if (!this.#settlePlain(requestId)) this.#stream?.closeSSEStream(requestId);
  }

  // Ends the JSON answer of `requestId` without an answer; false when it has none.
  #settlePlain(requestId: RequestId): boolean {
    const settle = this.#plain.get(requestId);
    if (!settle) return false;
    this.#plain.delete(requestId);
    settle(undefined);
    return true;
  }

  // Everything the SDK's transport would refuse, or needs a stream for, goes to it instead.
  #answersInJson(request: Request, call: CallRequest): boolean {
    // Before `initialize` created the session, or once closed, the SDK's transport refuses calls.
    if (this.#closed || (!this.#stateless && this.sessionId === undefined)) return false;
    const meta = call.params?._meta as { progressToken?: unknown } | undefined;
    if (call.method === "initialize" || meta?.progressToken !== undefined) return false;
    const { headers } = request;
    const accept = headers.get("accept") ?? "";
    const version = headers.get("mcp-protocol-version");
    return headers.get("content-type") === "application/json" &&
      accept.includes("application/json") && accept.includes("text/event-stream") &&
      (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version));
  }

  #answerInJson(request: Request, call: CallRequest, url?: URL): Promise<Response> {
    const answer = Promise.withResolvers<JSONRPCMessage | undefined>();
    this.#plain.set(call.id, answer.resolve);
    let headers: Record<string, string> | undefined;
    // Built only if a handler reads them: no tool here does.
    const requestInfo = {
      get headers() {
        return headers ??= Object.fromEntries(request.headers);
      },
      url: url ?? new URL(request.url),
    };
    this.onmessage?.(call as JSONRPCMessage, { requestInfo });
    return answerSoon(answer.promise, this.#nextTurn());
  }
}

/**
 * Returns the answer as a JSON response as it is when it is ready without
 * waiting for I/O (a cached search, `tools/list`); otherwise a 200 JSON
 * response at once whose body follows when the answer is ready (empty if the
 * call is abandoned first), so that the end of the response, or the client
 * leaving, is known as for an event stream.
 */
async function answerSoon(
  answer: Promise<JSONRPCMessage | undefined>,
  nextTurn: Promise<unknown>,
): Promise<Response> {
  const ready = await Promise.race([answer, nextTurn.then(() => LATER)]);
  if (ready !== LATER) return new Response(ready && JSON.stringify(ready), JSON_HEADERS);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const message = await answer;
      if (message) controller.enqueue(encoder.encode(JSON.stringify(message)));
      controller.close();
    },
  });
  return new Response(body, JSON_HEADERS);
}

const LATER = Symbol("later");
const JSON_HEADERS = { status: 200, headers: { "content-type": "application/json" } };
const encoder = new TextEncoder();

// The id a result or error answers; an error about an unreadable request has none. The
// messages come from the SDK's own server, so their shape is known: no schema needed.
function answeredIdOf(message: JSONRPCMessage): RequestId | undefined {
  if (!("result" in message) && !("error" in message)) return undefined;
  return message.id ?? undefined;
}

interface CallRequest {
  readonly jsonrpc: "2.0";
  readonly id: RequestId;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

// The server still validates each method's parameters against its own schema.
function requestsOf(body: unknown): CallRequest[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter(isJSONRPCRequest);
}
