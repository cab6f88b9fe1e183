/** A {@linkcode Route} answers a request with its context; a {@linkcode Middleware} wraps one.
 * @module */

import { json } from "./rpc_messages.ts";

export interface ServeInfo {
  readonly completed: Promise<void>;
  readonly remoteAddr?: Deno.NetAddr;
}

export type Handler = (request: Request, info?: ServeInfo) => Promise<Response>;

export interface RequestContext {
  readonly url: URL;
  /** The `Host` header as sent: an absolute-form target makes the URL, whatever the Host says. */
  readonly sentHost?: URL;
  readonly completed?: Promise<void>;
  readonly remoteAddress?: string;
  /** Set by `readJsonBody`. */
  body?: unknown;
  /** The SHA-256 (hex) of the bearer token `requireBearer` accepted, never the token itself. */
  clientKey?: string;
}

export type Route = (request: Request, context: RequestContext) => Promise<Response>;

export type Middleware = (next: Route) => Route;

/** The first middleware is outermost. */
export function compose(middlewares: readonly Middleware[], route: Route): Route {
  return middlewares.reduceRight((next, middleware) => middleware(next), route);
}

/** Turns a route into a {@linkcode Handler}; a URL or Host that does not parse is a 400. */
export function toHandler(route: Route): Handler {
  return (request, info) => {
    // Deno.serve builds the URL from the Host header as sent (`a b`, `x:99999`) without checking.
    const url = URL.parse(request.url);
    const sentHost = url && hostSent(request, url);
    if (!url || !sentHost) {
      return Promise.resolve(json(400, {
        error:
          "Bad request: the Host header is not valid; send a host name or address, with a port up to 65535",
      }));
    }
    return route(request, {
      url,
      sentHost,
      completed: info?.completed,
      remoteAddress: info?.remoteAddr?.hostname,
    });
  };
}

// Null when the Host header is not a host with an optional port.
function hostSent(request: Request, url: URL): URL | null {
  const sent = request.headers.get("host");
  // Deno.serve builds the URL from the Host header, unless the target is in absolute form.
  if (sent === null || sent === url.host) return url;
  // A URL would read these as a user, a path or a query, and check the host after them.
  if (/[\s/?#@\\]/.test(sent)) return null;
  return URL.parse(`http://${sent}`);
}

/** Calls `onEnd` once the response was sent or its client went away. */
export function whenSent(
  response: Response,
  completed: Promise<void> | undefined,
  onEnd: () => void,
): Response {
  if (completed) {
    completed.finally(onEnd).catch(() => {});
    return response;
  }
  if (!response.body) {
    onEnd();
    return response;
  }
  // Read to its end, cancelled by its reader, or failed: each ends the response once.
  const body = response.body.pipeThrough(new TransformStream({ flush: onEnd, cancel: onEnd }));
  const { status, statusText, headers } = response;
  return new Response(body, { status, statusText, headers });
}
