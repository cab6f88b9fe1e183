/** The checks a request passes before a route sees it, each a {@linkcode Middleware}.
 * @module */

import { startDeadline, untilAborted } from "../async.ts";
import { declaresTooMuch, readCapped } from "../bytes.ts";
import { errorSummary, type Logger } from "../log.ts";
import { canonicalHost, isCanonicalLoopback, isLoopback } from "../net.ts";
import type { Secret } from "../secret.ts";
import { cut } from "../text.ts";
import { INVALID_REQUEST, json, PARSE_ERROR, repeatedRequestId, rpcError } from "./rpc_messages.ts";
import type { Middleware } from "./route.ts";

export interface HostGuardOptions {
  /** The address bound; on a loopback address only loopback Host names are served. */
  host: string;
  /** Besides loopback ones (such as the one a reverse proxy forwards). */
  allowedHosts?: readonly string[];
  /** Besides loopback ones and `allowedHosts`. */
  allowedOrigins?: readonly string[];
}

/** Refuses what a page from another site could send through DNS rebinding. */
export function guardHost(options: HostGuardOptions): Middleware {
  const allowedHosts = new Set(options.allowedHosts?.map(canonicalHost));
  const allowedOrigins = new Set(
    options.allowedOrigins?.map((origin) => URL.parse(origin)?.origin ?? origin),
  );
  const anyHost = !isLoopback(options.host) && allowedHosts.size === 0;
  // A parsed URL's hostname is already canonical: no need to parse it again on every request.
  const allowed = (url: URL) =>
    isCanonicalLoopback(url.hostname) || allowedHosts.has(url.hostname) ||
    allowedHosts.has(url.host);
  return (next) => (request, context) => {
    // The Host as sent: the one a rebound browser sends, even under an absolute-form target.
    const host = context.sentHost ?? context.url;
    if (!anyHost && !allowed(host)) {
      return Promise.resolve(json(403, {
        error: `Forbidden: Host ${
          cut(host.hostname, 100)
        } is not served here; connect to localhost or add it with --allowed-host`,
      }));
    }
    // Never "the Origin is the Host": a rebound name makes both the attacker's.
    const origin = request.headers.get("origin");
    const parsed = origin === null ? null : URL.parse(origin);
    if (origin !== null && !(parsed && (allowed(parsed) || allowedOrigins.has(parsed.origin)))) {
      return Promise.resolve(json(403, {
        error: `Forbidden: Origin ${
          cut(origin, 100)
        } may not call this server; add it with --allowed-origin`,
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

/** CORS for a page whose Origin {@linkcode guardHost} accepted (the Inspector's direct mode). */
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
    const expose = "access-control-expose-headers";
    response.headers.set(expose, CORS_HEADERS[expose]);
    return response;
  };
}

/** Requires `Authorization: Bearer <token>` when a token is set, compared in constant time. */
export function requireBearer(token: Secret | undefined): Middleware {
  if (!token) return (next) => next;
  const expected = sha256Hex(token.reveal());
  return (next) => async (request, context) => {
    const given = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    const givenDigest = given === undefined ? undefined : await sha256Hex(given);
    if (givenDigest && sameDigest(givenDigest, await expected)) {
      // Hashed once here: the session table counts the client by this digest.
      context.clientKey = givenDigest;
      return await next(request, context);
    }
    return json(401, {
      error: "Unauthorized: send the server's token as Authorization: Bearer <token>",
    }, { "www-authenticate": 'Bearer realm="mcp"' });
  };
}

// Web Crypto: loading node:crypto costs every start (stdio too) as much CPU as our own modules.
async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Equal-length digests, compared in full: the time taken says nothing about the token.
function sameDigest(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export function allowMethods(methods: readonly string[]): Middleware {
  const allow = methods.join(", ");
  return (next) => (request, context) => {
    if (methods.includes(request.method)) return next(request, context);
    return Promise.resolve(json(405, { error: `Method not allowed: use ${allow}` }, { allow }));
  };
}

export interface BodyLimits {
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
  maxBatchMessages?: number;
}

/** Reads a POST body within its limits, parses it as JSON, and refuses a bad batch. */
export function readJsonBody(options: BodyLimits & { logger: Logger }): Middleware {
  const {
    maxBodyBytes = 1024 * 1024,
    bodyTimeoutMs = 30_000,
    maxBatchMessages = 32,
    logger,
  } = options;
  // Without `stream`, decode() keeps no state between calls: one decoder serves every request.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return (next) => async (request, context) => {
    if (request.method !== "POST") return await next(request, context);
    // Else a client that dribbles its body would hold the request and its connection at will.
    const deadline = startDeadline(bodyTimeoutMs, {
      reason: () => new Error(`The body was not received whole in ${bodyTimeoutMs} ms`),
    });
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBodyCapped(request, maxBodyBytes, deadline.signal);
    } catch (error) {
      if (deadline.timedOut) {
        const reason = deadline.signal.reason.message;
        logger.debug("Stopped reading a request body: {reason}", { reason });
        return rpcError(
          408,
          `Request body too slow: send the whole body within ${bodyTimeoutMs} ms of its start`,
        );
      }
      logger.debug("A client went away while sending its request body ({reason})", {
        reason: errorSummary(error),
      });
      return rpcError(400, "The request body ended early: send it whole");
    } finally {
      deadline.clear();
    }
    if (!bytes) return rpcError(413, `Request body too large: send at most ${maxBodyBytes} bytes`);
    try {
      context.body = JSON.parse(decoder.decode(bytes));
    } catch {
      return rpcError(400, {
        code: PARSE_ERROR,
        message:
          'Parse error: the body is not valid JSON; send a JSON-RPC message (or, to /mcp, a plain call {"tool": ..., "arguments": {...}})',
      });
    }
    // A 1 MiB body holds thousands of small calls: the caps on one call's work would not bound it.
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

// Undefined when the body is over `maxBytes`.
async function readBodyCapped(
  request: Request,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  if (await declaresTooMuch(request, maxBytes)) return undefined;
  if (!request.body) return new Uint8Array();
  // A small body of declared length is read in one piece, which costs less than a reader; past
  // the deadline that read cannot be stopped, only left to end with its connection.
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared >= 0 && declared <= 64 * 1024) {
    const bytes = await untilAborted(request.bytes(), signal);
    // A Request built by hand may declare any length.
    return bytes.byteLength > maxBytes ? undefined : bytes;
  }
  return await readCapped(request.body, maxBytes, { signal });
}
