/** The SDK's streamable HTTP transport, but a lone call with no progress token is answered in plain
 * JSON: the SDK's JSON mode is all or nothing and leaks an entry per call (typescript-sdk#2559).
 * @module */

import {
  isJSONRPCRequest,
  type JSONRPCMessage,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  WebStandardStreamableHTTPServerTransport,
} from "../mcp_sdk.ts";
import { cancellation, Unanswered } from "../unanswered.ts";
import { BAD_REQUEST, type RpcError } from "./rpc_messages.ts";

/** Resolves at the next turn of the event loop, one timer per turn however many wait. */
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

/** The error of a call unanswered when its session closed (the SDK's `ConnectionClosed`). */
export const SESSION_CLOSED: RpcError = {
  code: BAD_REQUEST,
  message: "Session closed: reconnect to start a new one",
};

type JSONRPCRequest = Extract<JSONRPCMessage, { method: string; id: RequestId }>;

// Settles a call answered in JSON: with its answer, or with nothing when it is abandoned.
type Settle = (answer: JSONRPCMessage | undefined) => void;

export class McpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  readonly #stateless: boolean;
  readonly #nextTurn: () => Promise<unknown>;
  // The session's SDK transport; in stateless mode, the one of the request being served.
  #stream: WebStandardStreamableHTTPServerTransport | undefined;
  #closed = false;
  readonly #plain = new Map<RequestId, Settle>();
  readonly #unanswered = new Unanswered();
  // A call was cancelled: its handler may still be running, and nothing tells when it ends.
  #abandoned = false;

  /** Without `sessionIdGenerator`, serves stateless requests one at a time. */
  constructor(options: {
    sessionIdGenerator?: () => string;
    onsessioninitialized?: (sessionId: string) => void;
    nextTurn?: () => Promise<unknown>;
  } = {}) {
    this.#stateless = options.sessionIdGenerator === undefined;
    this.#nextTurn = options.nextTurn ?? nextTurnTimer();
    if (this.#stateless) return;
    this.#stream = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: options.sessionIdGenerator,
      onsessioninitialized: options.onsessioninitialized,
      // Before the SDK closes the streams: a call on an event stream is still told why it ends.
      onsessionclosed: () => this.#answerUnanswered(),
    });
    this.#stream.onclose = () => {
      this.#closed = true;
      this.#endCalls();
      this.onclose?.();
    };
  }

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

  async send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]): Promise<void> {
    // The messages come from the SDK's own server, so their shape is known: no schema needed.
    const answered = "result" in message || "error" in message
      ? message.id ?? undefined
      : undefined;
    const id = answered ?? options?.relatedRequestId;
    if (answered !== undefined) this.#unanswered.answered(answered);
    const settle = id === undefined ? undefined : this.#plain.get(id);
    if (!settle) {
      if (this.#stream) return await this.#stream.send(message, options);
      // Like the SDK's own stateless transport with no stream open, a notification is dropped.
      if (answered === undefined) return;
      throw new Error(`No request ${answered} is open to answer`);
    }
    // A JSON answer has no room for what the server sends before it: only the answer goes out.
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

  handleRequest(
    request: Request,
    { parsedBody, url }: { parsedBody?: unknown; url?: URL } = {},
  ): Promise<Response> {
    const requests = request.method === "POST"
      ? (Array.isArray(parsedBody) ? parsedBody : [parsedBody]).filter(isJSONRPCRequest)
      : [];
    for (const { id } of requests) this.#unanswered.add(id);
    const call = parsedBody === requests[0] ? requests[0] : undefined;
    if (!call || !this.#answersInJson(request, call)) {
      return this.#streamFor().handleRequest(request, { parsedBody });
    }
    return this.#answerInJson(request, call, url);
  }

  async #answerUnanswered() {
    // Fails only when the client already went away: there is no one left to tell.
    await Promise.all(
      this.#unanswered.ids().map((id) =>
        this.send({ jsonrpc: "2.0", id, error: SESSION_CLOSED }).catch(() => {})
      ),
    );
  }

  // Closing aborts every handler, which then answers nothing: a JSON answer would never come
  // (the SDK closes the event streams of the others itself).
  #endCalls() {
    for (const [id, settle] of this.#plain) settle({ jsonrpc: "2.0", id, error: SESSION_CLOSED });
    this.#plain.clear();
    this.#unanswered.clear();
  }

  isUnanswered(requestId: RequestId): boolean {
    return this.#unanswered.has(requestId);
  }

  /** Whether every call it served was answered and none cancelled: another client may use it. */
  isIdle(): boolean {
    return this.#unanswered.size === 0 && this.#plain.size === 0 && !this.#abandoned;
  }

  /** As the client's `notifications/cancelled` would, if unanswered. */
  cancel(requestId: RequestId, reason: string): void {
    if (!this.#unanswered.answered(requestId, true)) return;
    this.#abandoned = true;
    this.onmessage?.(cancellation(requestId, reason));
  }

  /** Cancels `requestId` and drops its JSON answer. */
  abandon(requestId: RequestId, reason: string): void {
    this.cancel(requestId, reason);
    this.#settlePlain(requestId);
  }

  /** Ends the response of a cancelled call, which the server never answers. */
  endResponse(requestId: RequestId): void {
    if (this.#unanswered.answered(requestId, true)) this.#abandoned = true;
    if (!this.#settlePlain(requestId)) this.#stream?.closeSSEStream(requestId);
  }

  #settlePlain(requestId: RequestId): boolean {
    const settle = this.#plain.get(requestId);
    if (!settle) return false;
    this.#plain.delete(requestId);
    settle(undefined);
    return true;
  }

  // Everything the SDK's transport would refuse, or needs a stream for, goes to it instead.
  #answersInJson(request: Request, call: JSONRPCRequest): boolean {
    if (this.#closed || (!this.#stateless && this.sessionId === undefined)) return false;
    if (call.method === "initialize" || call.params?._meta?.progressToken !== undefined) {
      return false;
    }
    const { headers } = request;
    const accept = headers.get("accept") ?? "";
    const version = headers.get("mcp-protocol-version");
    return headers.get("content-type") === "application/json" &&
      accept.includes("application/json") && accept.includes("text/event-stream") &&
      (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version));
  }

  #answerInJson(request: Request, call: JSONRPCRequest, url?: URL): Promise<Response> {
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
    this.onmessage?.(call, { requestInfo });
    return answerSoon(answer.promise, this.#nextTurn());
  }
}

// The answer when ready within this turn (a cached search), else a 200 at once whose body follows
// (empty if the call is abandoned): the client leaving is then known as for an event stream.
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
