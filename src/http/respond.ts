/**
 * The response shapes of the HTTP surface: an HTTP-level error is `{ "error": "..." }`, an
 * MCP-level one a JSON-RPC error, with the codes the SDK's own transport uses.
 * @module
 */

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
}

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

/** A JSON-RPC error answering no particular request (`id: null`); a string is a BAD_REQUEST. */
export function rpcError(
  status: number,
  error: RpcError | string,
  headers: HeadersInit = {},
): Response {
  if (typeof error === "string") error = { code: BAD_REQUEST, message: error };
  return json(status, { jsonrpc: "2.0", error, id: null }, headers);
}

/** The 409 to a request whose id a call in flight uses; `id: null`, not to pass for its answer. */
export function requestIdInUse(id: string | number): Response {
  return rpcError(409, {
    code: INVALID_REQUEST,
    message: `Request id ${
      JSON.stringify(id)
    } is in use by a call still in flight in this session: give each request its own id`,
  });
}
