/**
 * The checks a request passes before a route sees it, each a {@linkcode Middleware}: Host/Origin
 * against DNS rebinding, CORS, the bearer token, the allowed methods and the body limits.
 * @module
 */

import { startDeadline, untilAborted } from "../async.ts";
import { declaresTooMuch, readCapped } from "../bytes.ts";
import { errorSummary, type Logger } from "../log.ts";
import { canonicalHost, isCanonicalLoopback, isLoopback } from "../net.ts";
import type { Secret } from "../secret.ts";
import { INVALID_REQUEST, json, PARSE_ERROR, rpcError } from "./respond.ts";
import { repeatedRequestId } from "./rpc_messages.ts";
import type { Middleware } from "./route.ts";

/** Options for {@linkcode guardHost}. */
export interface HostGuardOptions {
  bindHost: string;
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
}

/**
 * Refuses what a page from another site could send through DNS rebinding: on a loopback bind
 * (or with `allowedHosts`) the Host must be loopback or allowed, and any Origin must be
 * loopback, in `allowedOrigins` or on an allowed host.
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
    // The Host as sent: the one a rebound browser sends, even under an absolute-form target.
    const host = context.sentHost ?? context.url;
    if (!hostAllowed(host)) {
      return Promise.resolve(json(403, {
        error:
          `Forbidden: Host ${host.hostname} is not served here; connect to localhost or add it with --allowed-host`,
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
 * Lets a browser page whose Origin {@linkcode guardHost} accepted call the server (the MCP
 * Inspector's direct mode): answers its CORS preflight and marks the responses it may read.
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

/** Requires `Authorization: Bearer <token>` when a token is set, compared in constant time. */
export function requireBearer(token: Secret | undefined): Middleware {
  if (!token) return (next) => next;
  const expected = digest(token.reveal());
  return (next) => async (request, context) => {
    const given = bearerTokenOf(request);
    const givenDigest = given === undefined ? undefined : await digest(given);
    if (givenDigest && sameBytes(givenDigest, await expected)) {
      // Hashed once here: the session table counts the client by this digest.
      context.clientKey = toHex(givenDigest);
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

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
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

/** Limits for {@linkcode readJsonBody}, and where it logs clients that went away. */
export interface JsonBodyLimits {
  maxBytes: number;
  maxBatchMessages: number;
  timeoutMs: number;
  logger: Logger;
}

class BodyTimeoutError extends Error {
  override name = "BodyTimeoutError";
}

/**
 * Reads a POST body (413 past `maxBytes`, 408 past `timeoutMs`), parses it as JSON, refuses a
 * batch too large or repeating a request id, and hands it on as `context.body`.
 */
export function readJsonBody(limits: JsonBodyLimits): Middleware {
  const { maxBytes, maxBatchMessages, logger } = limits;
  // Without `stream`, decode() keeps no state between calls: one decoder serves every request.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return (next) => async (request, context) => {
    if (request.method !== "POST") return await next(request, context);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBodyCapped(request, limits);
    } catch (error) {
      if (error instanceof BodyTimeoutError) {
        logger.debug("Stopped reading a request body: {reason}", { reason: error.message });
        return rpcError(
          408,
          `Request body too slow: send the whole body within ${limits.timeoutMs} ms of its start`,
        );
      }
      // The client went away in the middle of its body: nothing failed here, and no one reads this.
      logger.debug("A client went away while sending its request body ({reason})", {
        reason: errorSummary(error),
      });
      return rpcError(400, "The request body ended early: send it whole");
    }
    if (!bytes) {
      return rpcError(413, `Request body too large: send at most ${maxBytes} bytes`);
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
      return rpcError(
        400,
        `Batch too large: send at most ${maxBatchMessages} JSON-RPC messages in one request, or send them one at a time`,
      );
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

// Undefined when the body is over `maxBytes`; nothing past the limit is kept. Throws
// BodyTimeoutError past `timeoutMs`: a client that dribbles its body (or never ends it) would
// otherwise hold the request, and its connection, for as long as it likes.
async function readBodyCapped(
  request: Request,
  { maxBytes, timeoutMs }: JsonBodyLimits,
): Promise<Uint8Array | undefined> {
  if (await declaresTooMuch(request, maxBytes)) return undefined;
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (!request.body) return new Uint8Array();
  const deadline = startDeadline(timeoutMs, {
    reason: () => new BodyTimeoutError(`The body was not received whole in ${timeoutMs} ms`),
  });
  try {
    // A small body that declares its length (most calls) is read in one piece, without a reader,
    // which costs less per request; past the deadline that read cannot be stopped, only left to
    // end with its connection, holding at most this much. A larger one is read chunk by chunk,
    // and the deadline cancels the read.
    if (declared >= 0 && declared <= WHOLE_READ_MAX_BYTES) {
      const bytes = await untilAborted(request.bytes(), deadline.signal);
      // A Request built by hand may declare any length.
      return bytes.byteLength > maxBytes ? undefined : bytes;
    }
    return await readCapped(request.body, maxBytes, { signal: deadline.signal });
  } finally {
    deadline.clear();
  }
}

const WHOLE_READ_MAX_BYTES = 64 * 1024;

function canonicalOrigin(origin: string): string {
  return URL.canParse(origin) ? new URL(origin).origin : origin;
}
