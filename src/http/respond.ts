/**
 * The few response shapes of the HTTP surface: an HTTP-level error is
 * `{ "error": "..." }`, an MCP-level one is a JSON-RPC error, so every error
 * body of one kind looks the same.
 *
 * @module
 */

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
}

// The codes the SDK's own transport answers these cases with, so clients see one convention.
/** A request the server cannot serve as sent (the SDK's generic server error). */
export const BAD_REQUEST = -32000;
/** An unknown or ended session. */
export const SESSION_NOT_FOUND = -32001;
/** A body that is not JSON. */
export const PARSE_ERROR = -32700;
/** A message that is not a request the server may serve, such as one whose id is taken. */
export const INVALID_REQUEST = -32600;

/** A JSON response with `status`. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

/** A JSON-RPC error response that answers no particular request (`id: null`). */
export function rpcError(status: number, error: RpcError, headers: HeadersInit = {}): Response {
  return json(status, { jsonrpc: "2.0", error, id: null }, headers);
}

/**
 * The 409 answer to a request whose id a call still in flight in the same
 * session uses; its `id` is null, so that the client does not take it for the
 * answer to that other call.
 */
export function requestIdInUse(id: string | number): Response {
  return rpcError(409, {
    code: INVALID_REQUEST,
    message: `Request id ${
      JSON.stringify(id)
    } is in use by a call still in flight in this session: give each request its own id`,
  });
}
