/**
 * The transport an `McpServer` of `/mcp` is connected to: the SDK's
 * streamable HTTP transport for the handshake, streams, DELETE and any call
 * that asked for progress, and a JSON answer for the other calls. The SDK
 * answers a POST with an event stream unless JSON responses are turned on for
 * the whole transport, and JSON responses cannot carry progress; a stream per
 * response cost ~15% of a cached call.
 *
 * @module
 */

import {
  type JSONRPCMessage,
  type RequestId,
  type Transport,
  WebStandardStreamableHTTPServerTransport,
} from "../mcp_sdk.ts";

type StreamableTransport = WebStandardStreamableHTTPServerTransport;
type MessageHandler = NonNullable<Transport["onmessage"]>;
type SendOptions = Parameters<Transport["send"]>[1];

/** Options for {@linkcode McpTransport}. */
export interface McpTransportOptions {
  /** Serve a session (its id from this function), or one request on its own when absent. */
  sessionIdGenerator?: () => string;
  /** Called once `initialize` created the session. */
  onsessioninitialized?: (sessionId: string) => void;
}

// A call answered in JSON: the SDK transport in JSON mode that carries it, and how to give up.
interface PlainCall {
  readonly transport: StreamableTransport;
  readonly abandon: () => void;
}

/**
 * A `Transport` for one session (or one stateless request) that also knows
 * which of its requests are still unanswered, so that ending a call cancels
 * only those.
 */
export class McpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: MessageHandler;
  /** The SDK's transport, for the handshake, streams, DELETE and calls that want progress. */
  readonly stream: StreamableTransport;
  readonly #stateless: boolean;
  readonly #plain = new Map<RequestId, PlainCall>();
  readonly #unanswered = new Set<RequestId>();
  readonly #receive: MessageHandler = (message, extra) => this.onmessage?.(message, extra);

  constructor(options: McpTransportOptions = {}) {
    this.#stateless = options.sessionIdGenerator === undefined;
    this.stream = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: options.sessionIdGenerator,
      onsessioninitialized: options.onsessioninitialized,
    });
  }

  /** The session's id once `initialize` created it; undefined in stateless mode. */
  get sessionId(): string | undefined {
    return this.stream.sessionId;
  }

  async start(): Promise<void> {
    this.stream.onmessage = this.#receive;
    this.stream.onerror = (error) => this.onerror?.(error);
    this.stream.onclose = () => this.onclose?.();
    await this.stream.start();
  }

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const answered = answeredIdOf(message);
    const id = answered ?? options?.relatedRequestId;
    if (answered !== undefined) this.#unanswered.delete(answered);
    const plain = id === undefined ? undefined : this.#plain.get(id);
    if (!plain) return await this.stream.send(message, options);
    if (answered !== undefined) this.#plain.delete(answered);
    await plain.transport.send(message, options);
  }

  async close(): Promise<void> {
    for (const { abandon } of this.#plain.values()) abandon();
    this.#plain.clear();
    this.#unanswered.clear();
    await this.stream.close();
  }

  /**
   * Serves one HTTP request whose JSON body was read already: a POST of calls
   * none of which asked for progress is answered in JSON, anything else by the
   * SDK's transport (an event stream for calls).
   */
  handleRequest(request: Request, { parsedBody }: { parsedBody?: unknown } = {}) {
    const requests = request.method === "POST" ? requestsOf(parsedBody) : [];
    for (const { id } of requests) this.#unanswered.add(id);
    // Before `initialize` created the session, the SDK's transport refuses the calls itself.
    const ready = this.#stateless || this.sessionId !== undefined;
    if (!ready || requests.length === 0 || !requests.every(isPlainCall)) {
      return this.stream.handleRequest(request, { parsedBody });
    }
    return this.#answerInJson(request, parsedBody, requests.map(({ id }) => id));
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
   * Cancels `requestId` as if the client had sent `notifications/cancelled`:
   * the handler's signal aborts, and with it every upstream request it started.
   */
  cancel(requestId: RequestId, reason: string): void {
    if (!this.#unanswered.delete(requestId)) return;
    this.onmessage?.({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason },
    });
  }

  /** Ends the response of a cancelled call, which the SDK never answers. */
  endResponse(requestId: RequestId): void {
    this.#unanswered.delete(requestId);
    const plain = this.#plain.get(requestId);
    if (!plain) return this.stream.closeSSEStream(requestId);
    this.#plain.delete(requestId);
    plain.abandon();
  }

  async #answerInJson(request: Request, parsedBody: unknown, ids: RequestId[]): Promise<Response> {
    // One SDK transport per request: in JSON mode it never frees its per-request entry
    // (typescript-sdk#2559), so it must not outlive the request. Without a session id
    // generator it checks no session: the session was found by its id before we got here.
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    transport.onmessage = this.#receive;
    transport.onerror = (error) => this.onerror?.(error);
    const abandoned = Promise.withResolvers<undefined>();
    const call: PlainCall = { transport, abandon: () => abandoned.resolve(undefined) };
    for (const id of ids) this.#plain.set(id, call);
    const answer = transport.handleRequest(request, { parsedBody }).finally(() => {
      for (const id of ids) if (this.#plain.get(id) === call) this.#plain.delete(id);
    });
    // An abandoned call's answer is never awaited: its failure has no one left to tell.
    answer.catch(() => {});
    return await answerSoon(answer, abandoned.promise);
  }
}

/**
 * Returns `answer` as it is when it is ready without waiting for I/O (a
 * cached search, `tools/list`); otherwise a 200 JSON response at once whose
 * body follows when the answer is ready (empty if the call is abandoned
 * first), so that the end of the response, or the client leaving, is known
 * as for an event stream.
 */
async function answerSoon(
  answer: Promise<Response>,
  abandoned: Promise<undefined>,
): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => resolve(undefined), 0)
  );
  const ready = await Promise.race([answer, later]);
  clearTimeout(timer);
  if (ready) return ready;
  // Once the SDK accepted the calls, it answers them with 200 and a JSON body only.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const response = await Promise.race([answer, abandoned]);
      if (response) controller.enqueue(await response.bytes());
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

// The id a result or error answers; an error about an unreadable request has none. The
// messages come from the SDK's own server, so their shape is known: no schema needed.
function answeredIdOf(message: JSONRPCMessage): RequestId | undefined {
  if (!("result" in message) && !("error" in message)) return undefined;
  return message.id ?? undefined;
}

interface CallRequest {
  readonly id: RequestId;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

// The SDK's isJSONRPCRequest runs a zod schema: this is all the routing needs, and the SDK
// transport still validates every message before anything is dispatched.
function requestsOf(body: unknown): CallRequest[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter(isCallRequest);
}

function isCallRequest(message: unknown): message is CallRequest {
  if (typeof message !== "object" || message === null) return false;
  const { method, id } = message as Record<string, unknown>;
  return typeof method === "string" && (typeof id === "string" || typeof id === "number");
}

// A call the SDK may answer in JSON: not the handshake, and no progress to stream.
function isPlainCall({ method, params }: CallRequest): boolean {
  const meta = params?._meta as { progressToken?: unknown } | undefined;
  return method !== "initialize" && meta?.progressToken === undefined;
}
