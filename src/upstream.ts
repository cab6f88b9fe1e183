/** One GET to an upstream with a time limit and a body cap: auth and discovery treat faults alike.
 * @module */

import { startDeadline } from "./async.ts";
import { declaresTooMuch, readCapped } from "./bytes.ts";
import { redact } from "./secret.ts";

/** The `fetch` signature the server depends on; tests and demo mode pass their own. */
export type Fetch = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

type UpstreamFailureKind = "timeout" | "network" | "too_large";

/** An upstream request that timed out, could not connect, or answered too much. */
export class UpstreamRequestError extends Error {
  override name = "UpstreamRequestError";

  constructor(readonly kind: UpstreamFailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** GETs `url`; throws the caller's reason if it cancels, else {@linkcode UpstreamRequestError}. */
export async function requestUpstream(
  fetch: Fetch,
  url: string,
  options: {
    headers: HeadersInit;
    timeoutMs: number;
    signal?: AbortSignal;
    /** Read the body as text; when false it is discarded unread. Default true. */
    readBody?: boolean;
    /** Larger bodies fail with kind `too_large`. Default 8 MiB. */
    maxBodyBytes?: number;
  },
): Promise<Pick<Response, "status" | "headers"> & { readonly text: string }> {
  const { timeoutMs, signal, readBody = true, maxBodyBytes = 8 * 1024 * 1024 } = options;
  const deadline = startDeadline(timeoutMs, {
    reason: () => new DOMException(`No answer within ${timeoutMs} ms`, "TimeoutError"),
    signal,
  });
  try {
    const response = await fetch(url, {
      method: "GET",
      headers: options.headers,
      // A redirect from the auth service means an expired cookie; following one from a registry
      // would hand the JWT to whatever origin it names.
      redirect: "manual",
      signal: deadline.signal,
    });
    const text = readBody ? await readText(response, maxBodyBytes) : "";
    if (!readBody) await response.body?.cancel();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof UpstreamRequestError) throw error;
    if (deadline.timedOut) {
      throw new UpstreamRequestError("timeout", `No answer within ${timeoutMs} ms`, {
        cause: error,
      });
    }
    const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    const message = redact(`Connection failed (${detail})`, sentValues(options.headers));
    throw new UpstreamRequestError("network", message, { cause: error });
  } finally {
    deadline.clear();
  }
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const body = await declaresTooMuch(response, maxBytes)
    ? undefined
    : await readCapped(response.body, maxBytes);
  if (!body) throw new UpstreamRequestError("too_large", `Answer larger than ${maxBytes} bytes`);
  return new TextDecoder().decode(body);
}

const CREDENTIAL_HEADERS = ["authorization", "cookie", "x-jwt-token"];

// Some fetch errors quote the request: the credential headers' values, and each cookie's
// value on its own, are kept out of the message.
function sentValues(headers: HeadersInit): string[] {
  return [...new Headers(headers)]
    .filter(([name]) => CREDENTIAL_HEADERS.includes(name))
    .flatMap(([, value]) => [
      value,
      ...value.split(/;\s*/).map((pair) => pair.slice(pair.indexOf("=") + 1)),
    ])
    // A fragment this short is no credential, and hiding it would garble the message.
    .filter((value) => value.length >= 6);
}

/** Whether `status` is a 3xx, or 0: how a spec-following fetch reports an unfollowed redirect. */
export function isRedirect(status: number): boolean {
  return status === 0 || (status >= 300 && status < 400);
}
