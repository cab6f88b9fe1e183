/**
 * One HTTP request to an upstream (auth service or Neptune), with a time
 * limit, a cap on the body, and failures sorted into timeout, network and
 * oversized body. Shared by auth and discovery so both treat faults alike.
 *
 * @module
 */

import { startDeadline } from "./async.ts";
import { declaresTooMuch, readCapped } from "./bytes.ts";
import { redact } from "./secret.ts";

/** The `fetch` signature the server depends on; tests and demo mode pass their own. */
export type Fetch = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/** An upstream answer with its body read as text (empty when not read). */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Options for {@linkcode requestUpstream}. */
export interface RequestUpstreamOptions {
  headers: HeadersInit;
  timeoutMs: number;
  /** The caller's cancellation; aborting it rejects with its reason, not an upstream failure. */
  signal?: AbortSignal;
  redirect?: RequestRedirect;
  /** Read the body as text; when false it is discarded unread. Default true. */
  readBody?: boolean;
  /** Larger bodies fail with kind `too_large`. Default 8 MiB. */
  maxBodyBytes?: number;
}

/** Why an upstream request produced no usable answer. */
export type UpstreamFailureKind = "timeout" | "network" | "too_large";

/** An upstream request that timed out, could not connect, or answered too much. */
export class UpstreamRequestError extends Error {
  override name = "UpstreamRequestError";
  readonly kind: UpstreamFailureKind;

  constructor(kind: UpstreamFailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * GETs `url` and returns its status, headers and text.
 *
 * @throws {UpstreamRequestError} on timeout, network failure or an oversized body.
 * @throws the reason of `options.signal` when the caller cancels.
 */
export async function requestUpstream(
  fetch: Fetch,
  url: string,
  options: RequestUpstreamOptions,
): Promise<UpstreamResponse> {
  const { timeoutMs, signal, readBody = true, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const deadline = startDeadline(timeoutMs, {
    reason: () => new DOMException(`No answer within ${timeoutMs} ms`, "TimeoutError"),
    signal,
  });
  try {
    const response = await fetch(url, {
      method: "GET",
      headers: options.headers,
      redirect: options.redirect ?? "follow",
      signal: deadline.signal,
    });
    const text = readBody ? await readTextCapped(response, maxBodyBytes) : "";
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
    const detail = redact(describeNetworkError(error), sentValues(options.headers));
    throw new UpstreamRequestError("network", detail, { cause: error });
  } finally {
    deadline.clear();
  }
}

async function readTextCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  if (await declaresTooMuch(response, maxBytes)) throw tooLarge(maxBytes);
  const body = await readCapped(response.body, maxBytes);
  if (!body) throw tooLarge(maxBytes);
  return new TextDecoder().decode(body);
}

function tooLarge(maxBytes: number) {
  return new UpstreamRequestError("too_large", `Answer larger than ${maxBytes} bytes`);
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

function describeNetworkError(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return `Connection failed (${detail.split("\n")[0]})`;
}

/**
 * Whether `status` answers a request sent with `redirect: "manual"` by
 * redirecting: a 3xx, or 0, which is how a spec-following fetch reports a
 * redirect it did not follow.
 */
export function isRedirect(status: number): boolean {
  return status === 0 || (status >= 300 && status < 400);
}
