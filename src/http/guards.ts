/**
 * The checks every request passes before a route sees it, each a
 * {@linkcode Middleware}: the Host/Origin guard against DNS rebinding, CORS for
 * the browser pages it accepts, the bearer token, the allowed methods and the
 * body size limit.
 *
 * @module
 */

import { readCapped } from "../bytes.ts";
import { canonicalHost, isCanonicalLoopback, isLoopback } from "../net.ts";
import type { Secret } from "../secret.ts";
import { BAD_REQUEST, INVALID_REQUEST, json, PARSE_ERROR, rpcError } from "./respond.ts";
import { repeatedRequestId } from "./rpc_messages.ts";
import type { Middleware } from "./route.ts";

/** Options for {@linkcode guardHost}. */
export interface HostGuardOptions {
  /** The address the server binds; on a loopback address only loopback Host names are served. */
  bindHost: string;
  /** Host names also served, such as the name a reverse proxy forwards. */
  allowedHosts?: readonly string[];
  /** Origins (`https://app.example`) whose pages may call the server, on top of loopback ones. */
  allowedOrigins?: readonly string[];
}

/**
 * Refuses what a page from another site could send through DNS rebinding:
 * on a loopback bind (or when `allowedHosts` is given) the Host must be
 * loopback or allowed, and any Origin must be loopback, listed in
 * `allowedOrigins` or on a host of `allowedHosts`. A request without Origin
 * (any client but a browser) passes.
 */
export function guardHost(options: HostGuardOptions): Middleware {
  const allowedHosts = new Set(options.allowedHosts?.map(canonicalHost));
  const allowedOrigins = new Set(options.allowedOrigins?.map(canonicalOrigin));
  const anyHost = !isLoopback(options.bindHost) && allowedHosts.size === 0;
  // A parsed URL's hostname is already canonical: no need to parse it again on every request.
  const hostAllowed = (url: URL) =>
    anyHost || isCanonicalLoopback(url.hostname) || allowedHosts.has(url.hostname) ||
    allowedHosts.has(url.host);
  // Never "the Origin is the Host": a rebound name makes both the attacker's.
  const originAllowed = (origin: string) => {
    const parsed = URL.parse(origin);
    if (!parsed) return false;
    return isCanonicalLoopback(parsed.hostname) || allowedOrigins.has(parsed.origin) ||
      allowedHosts.has(parsed.hostname) || allowedHosts.has(parsed.host);
  };
  return (next) => (request, context) => {
    const { url } = context;
    if (!hostAllowed(url)) {
      return Promise.resolve(json(403, {
        error:
          `Forbidden: Host ${url.hostname} is not served here; connect to localhost or add it with --allowed-host`,
      }));
    }
    const origin = request.headers.get("origin");
    if (origin !== null && !originAllowed(origin)) {
      return Promise.resolve(json(403, {
        error: `Forbidden: Origin ${origin} may not call this server; add it with --allowed-origin`,
      }));
    }
    return next(request, context);
  };
}

// What a browser page may send and read: the MCP headers, and the session id it must echo.
const CORS_HEADERS = {
  "access-control-allow-methods": "GET, POST, DELETE",
  "access-control-allow-headers":
    "authorization, content-type, last-event-id, mcp-protocol-version, mcp-session-id",
  "access-control-expose-headers": "mcp-session-id, mcp-protocol-version, www-authenticate",
  "access-control-max-age": "600",
};

/**
 * Lets a browser page whose Origin {@linkcode guardHost} accepted call the
 * server (the MCP Inspector's direct mode, a client given `--allowed-origin`):
 * answers its CORS preflight and marks the responses it may read. Requests
 * without an Origin, which are every non-browser client's, pass untouched.
 */
export function allowAcceptedOrigins(): Middleware {
  return (next) => async (request, context) => {
    const origin = request.headers.get("origin");
    if (origin === null) return await next(request, context);
    const allowOrigin = { "access-control-allow-origin": origin, vary: "Origin" };
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return new Response(null, { status: 204, headers: { ...allowOrigin, ...CORS_HEADERS } });
    }
    const response = await next(request, context);
    for (const [name, value] of Object.entries(allowOrigin)) response.headers.set(name, value);
    response.headers.set(
      "access-control-expose-headers",
      CORS_HEADERS["access-control-expose-headers"],
    );
    return response;
  };
}

/**
 * Requires `Authorization: Bearer <token>` when a token is configured,
 * compared in constant time; otherwise answers 401 with `WWW-Authenticate`.
 */
export function requireBearer(token: Secret | undefined): Middleware {
  if (!token) return (next) => next;
  const expected = digest(token.reveal());
  return (next) => async (request, context) => {
    const given = bearerTokenOf(request);
    if (given !== undefined && sameBytes(await digest(given), await expected)) {
      return await next(request, context);
    }
    return json(401, {
      error: "Unauthorized: send the server's token as Authorization: Bearer <token>",
    }, { "www-authenticate": 'Bearer realm="mcp"' });
  };
}

/** The token of the request's `Authorization: Bearer <token>` header, if it has one. */
export function bearerTokenOf(request: Request): string | undefined {
  return request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

// Web Crypto, not node:crypto: loading node:crypto costs every start (stdio too) about as much
// CPU as the rest of our modules (bench/RESULTS.md, P6).
async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

// Equal-length digests, compared in full: the time taken says nothing about the token.
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  a.forEach((byte, i) => difference |= byte ^ (b[i] ?? 0));
  return difference === 0;
}

/** Answers 405 with `Allow` to any method but `methods`. */
export function allowMethods(methods: readonly string[]): Middleware {
  const allow = methods.join(", ");
  return (next) => (request, context) => {
    if (methods.includes(request.method)) return next(request, context);
    return Promise.resolve(
      json(405, { error: `Method not allowed: use ${allow}` }, { allow }),
    );
  };
}

/** Limits for {@linkcode readJsonBody}. */
export interface JsonBodyLimits {
  /** Larger bodies are answered 413 before they are parsed. */
  maxBytes: number;
  /** Batches (JSON arrays) of more messages are answered 400 before any is served. */
  maxBatchMessages: number;
}

/**
 * Reads the body of a POST, at most `maxBytes` of it (413 beyond, with or
 * without Content-Length), parses it as JSON (JSON-RPC -32700 otherwise),
 * refuses a batch of more than `maxBatchMessages` messages or one that repeats
 * a request id, and hands it on as `context.body`, so nothing reads it twice.
 */
export function readJsonBody({ maxBytes, maxBatchMessages }: JsonBodyLimits): Middleware {
  // Without `stream`, decode() keeps no state between calls: one decoder serves every request.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return (next) => async (request, context) => {
    if (request.method !== "POST") return await next(request, context);
    const bytes = await readBodyCapped(request, maxBytes);
    if (!bytes) {
      return rpcError(413, {
        code: BAD_REQUEST,
        message: `Request body too large: send at most ${maxBytes} bytes`,
      });
    }
    try {
      context.body = JSON.parse(decoder.decode(bytes));
    } catch {
      return rpcError(400, {
        code: PARSE_ERROR,
        message:
          'Parse error: the body is not valid JSON; send a JSON-RPC message (or, to /mcp, a plain call {"tool": ..., "arguments": {...}})',
      });
    }
    // A 1 MiB body holds thousands of small calls, each a search: the caps on one call's work
    // (keywords per batch search) would not bound a request.
    if (Array.isArray(context.body) && context.body.length > maxBatchMessages) {
      return rpcError(400, {
        code: BAD_REQUEST,
        message:
          `Batch too large: send at most ${maxBatchMessages} JSON-RPC messages in one request, or send them one at a time`,
      });
    }
    // Answers are paired with requests by id alone: refused whole, as nothing of it has run yet.
    const repeated = repeatedRequestId(context.body);
    if (repeated !== undefined) {
      return rpcError(400, {
        code: INVALID_REQUEST,
        message: `Batch repeats request id ${
          JSON.stringify(repeated)
        }: give each request of a batch its own id`,
      });
    }
    return await next(request, context);
  };
}

// Undefined when the body is over `maxBytes`; nothing past the limit is kept.
async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await request.body?.cancel();
    return undefined;
  }
  if (!request.body) return new Uint8Array();
  // HTTP framing ends the body at its Content-Length: read it in one piece, without a reader
  // (the check after it is for a Request built by hand, whose header may say anything).
  if (declared >= 0) {
    const bytes = await request.bytes();
    return bytes.byteLength > maxBytes ? undefined : bytes;
  }
  return await readCapped(request.body, maxBytes);
}

function canonicalOrigin(origin: string): string {
  return URL.canParse(origin) ? new URL(origin).origin : origin;
}
