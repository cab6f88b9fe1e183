/** JWTs from the auth service, reused until shortly before expiry, one request at a time.
 * @module */

import { untilAborted } from "./async.ts";
import type { Credential } from "./config/mod.ts";
import { isRecord, parseJson } from "./json.ts";
import type { Logger } from "./log.ts";
import { decodeBase64Url } from "./secret.ts";
import { type Fetch, isRedirect, requestUpstream, UpstreamRequestError } from "./upstream.ts";
import { isoTime } from "./wording.ts";

export function credentialSource(credential: Credential): string {
  return credential.source ??
    (credential.kind === "cas_session" ? "CAS_SESSION" : "SERVICE_ACCOUNT_SECRET");
}

export type AuthErrorCode =
  | "missing_credential"
  | "session_expired"
  | "no_token"
  | "http_status"
  | "timeout"
  | "network";

/** No JWT could be obtained; the message says what to do and never holds a credential. */
export class AuthError extends Error {
  override name = "AuthError";

  constructor(readonly code: AuthErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What `check_jwt_status` reports; never the token itself. */
export interface TokenStatus {
  readonly configured: boolean;
  readonly valid: boolean;
  readonly expiresAt?: Date;
  readonly secondsLeft?: number;
  readonly lastRefreshAt?: Date;
  readonly lastError?: string;
  /** Why the token's own expiry was not trusted (the clock, or an out-of-range claim). */
  readonly expiryWarning?: string;
  readonly renewsAt?: Date;
}

/** A source of JWTs for one (auth URL, credential) pair. */
export interface TokenProvider {
  /** Returns an unexpired token; one close to expiry at once, renewing it in the background. */
  getToken(options?: { signal?: AbortSignal }): Promise<string>;
  /** Forgets `token` after an upstream rejected it, unless it was already replaced. */
  invalidate(token: string): void;
  status(): TokenStatus;
}

export interface TokenProviderOptions {
  authUrl: string;
  credential?: Credential;
  fetch: Fetch;
  now: () => number;
  timeoutMs: number;
  logger: Logger;
  /** Why there is no token when `credential` is absent; by default, how to set CAS_SESSION. */
  missingCredentialMessage?: string;
  /** Added to the message when the auth service refuses the credential: what else to set. */
  refusalHint?: string;
  onRefresh?: (outcome: "ok" | AuthErrorCode) => void;
}

const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;
const REFRESH_MARGIN_MS = 60 * 1000;

// After a failure, callers get the same error for this long instead of a new auth request,
// so a batch of searches against an unreachable auth service fails fast.
const FAILURE_BACKOFF_MS = 5_000;

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { authUrl, credential, now, logger } = options;
  const missingCredential = () =>
    new AuthError("missing_credential", options.missingCredentialMessage ?? MISSING_COOKIE);
  // Named in every log line: with several auth sources, it tells them apart. Demo mode answers
  // in-process: naming the real host would say it was contacted.
  const authHost = credential?.source === "demo"
    ? "the demo auth service (in-process, nothing contacted)"
    : new URL(authUrl).host;
  let cached: { value: string; expiresAt: number; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let lastRefreshAt: Date | undefined;
  let expiryWarning: string | undefined;
  let lastFailure: { at: number; error: unknown; reason: string } | undefined;

  async function refresh(credential: Credential): Promise<string> {
    logger.debug("Requesting a JWT from {authHost}", { authHost });
    try {
      const token = await fetchToken(credential, options);
      const issuedAt = now();
      const claimed = readExpiry(token);
      let expiresAt = claimed ?? issuedAt + DEFAULT_LIFETIME_MS;
      expiryWarning = undefined;
      if (claimed === undefined && readJwtClaims(token)?.exp !== undefined) {
        expiryWarning =
          `The new JWT's exp claim is not a time in seconds between ${EARLIEST_EXP_YEAR} and ${LATEST_EXP_YEAR}: it is used for an hour`;
      } else if (expiresAt <= issuedAt) {
        expiryWarning =
          "The new JWT had already expired by this machine's clock: check the clock; it is used for an hour meanwhile";
        expiresAt = issuedAt + DEFAULT_LIFETIME_MS;
      }
      if (expiryWarning) logger.warn(expiryWarning);
      // Renewed the margin before expiry, or halfway for a token shorter-lived than twice that.
      const refreshAt = expiresAt - Math.min(REFRESH_MARGIN_MS, (expiresAt - issuedAt) / 2);
      cached = { value: token, expiresAt, refreshAt };
      lastRefreshAt = new Date(issuedAt);
      lastFailure = undefined;
      options.onRefresh?.("ok");
      logger.info("Obtained a JWT valid until {expiresAt} from {authHost}", {
        expiresAt: isoTime(new Date(cached.expiresAt)),
        authHost,
      });
      return cached.value;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      lastFailure = { at: now(), error, reason };
      options.onRefresh?.(error instanceof AuthError ? error.code : "network");
      const stillValid = cached !== undefined && now() < cached.expiresAt;
      logger.warn(
        stillValid
          ? "Could not renew the JWT from {authHost}, the current one serves until it expires: {reason}"
          : "Could not obtain a JWT from {authHost}: {reason}",
        { reason, authHost },
      );
      if (error instanceof AuthError && error.cause instanceof Error) {
        logger.debug("The auth request failed with: {detail}", { detail: error.cause.message });
      }
      throw error;
    }
  }

  function startRefresh(credential: Credential): Promise<string> {
    inFlight ??= refresh(credential).finally(() => inFlight = undefined);
    return inFlight;
  }

  function failedRecently(current: number): boolean {
    return lastFailure !== undefined && current < lastFailure.at + FAILURE_BACKOFF_MS;
  }

  return {
    getToken({ signal } = {}) {
      if (!credential) return Promise.reject(missingCredential());
      if (signal?.aborted) return Promise.reject(signal.reason);
      const current = now();
      if (cached && current < cached.expiresAt) {
        if (current >= cached.refreshAt && !failedRecently(current)) {
          startRefresh(credential).catch(() => {}); // recorded in lastFailure
        }
        return Promise.resolve(cached.value);
      }
      if (failedRecently(current)) return Promise.reject(lastFailure!.error);
      const pending = startRefresh(credential);
      // The shared request keeps going for the other callers; only this caller stops waiting.
      return signal ? untilAborted(pending, signal) : pending;
    },
    invalidate(token) {
      if (cached?.value === token) cached = undefined;
    },
    status() {
      const current = now();
      return {
        configured: credential !== undefined,
        valid: cached !== undefined && current < cached.expiresAt,
        expiresAt: cached && new Date(cached.expiresAt),
        secondsLeft: cached && Math.max(0, Math.floor((cached.expiresAt - current) / 1000)),
        renewsAt: cached && new Date(cached.refreshAt),
        lastRefreshAt,
        lastError: credential ? lastFailure?.reason : missingCredential().message,
        expiryWarning: cached && expiryWarning,
      };
    },
  };
}

async function fetchToken(credential: Credential, options: TokenProviderOptions) {
  const { authUrl, fetch, timeoutMs } = options;
  const secret = credential.value.reveal();
  const { status, headers } = await requestUpstream(fetch, authUrl, {
    headers: {
      ...(credential.kind === "cas_session"
        ? { Cookie: `CAS_SESSION=${secret}` }
        : { Authorization: `Bearer ${secret}` }),
      Accept: "application/json, text/plain, */*",
    },
    readBody: false,
    timeoutMs,
  }).catch((error: unknown) => Promise.reject(requestFailure(error, authUrl, timeoutMs)));
  const source = credentialSource(credential);
  // A redirect goes to the SSO login page: the cookie has expired.
  if (isRedirect(status) || status === 401 || status === 403) {
    const message = credential.kind === "cas_session"
      ? `${source} is expired or invalid: sign in again in the browser, copy a fresh CAS_SESSION cookie${
        source === "CAS_SESSION" ? "" : ` into ${source}`
      } and restart the server`
      : `${source} was refused by the auth service: check the service account's secret and restart the server`;
    const hint = options.refusalHint;
    throw new AuthError("session_expired", hint ? `${message}; ${hint}` : message);
  }
  if (status < 200 || status >= 300) {
    throw new AuthError(
      "http_status",
      `The auth service answered HTTP ${status}: try again in a minute, or check --auth-url (${authUrl})`,
    );
  }
  const token = headers.get("x-jwt-token")?.trim();
  if (!token) {
    throw new AuthError(
      "no_token",
      `The auth service answered without a token (no X-Jwt-Token header)${
        credential.kind === "cas_session"
          ? `, so ${source} is probably expired: copy a fresh cookie from the browser and restart the server`
          : ` for ${source}: check that the service account may sign in there`
      }`,
    );
  }
  return token;
}

function requestFailure(error: unknown, authUrl: string, timeoutMs: number): AuthError {
  const host = new URL(authUrl).host;
  if (error instanceof UpstreamRequestError && error.kind === "timeout") {
    return new AuthError(
      "timeout",
      `The auth service at ${host} did not answer within ${timeoutMs} ms: check your network or VPN, or raise --timeout`,
      { cause: error },
    );
  }
  return new AuthError(
    "network",
    `Could not reach the auth service at ${host}: check your network or VPN connection`,
    { cause: error },
  );
}

const MISSING_COOKIE =
  "CAS_SESSION is not set: sign in to cloud.bytedance.net in the browser, copy the CAS_SESSION cookie into the server's environment and restart it (or start it with --demo to try the sample catalogue)";

/** Returns the claims of a JWT's payload, unverified (the server only forwards the token). */
export function readJwtClaims(token: string): Record<string, unknown> | undefined {
  const claims = parseJson(decodeBase64Url(token.split(".")[1] ?? "") ?? "");
  return isRecord(claims) ? claims : undefined;
}

// An `exp` outside these years is a bug upstream (often milliseconds instead of seconds),
// and a Date built from it may not even be valid: such a claim is ignored.
const EARLIEST_EXP_YEAR = 2000;
const LATEST_EXP_YEAR = 2200;

/** Returns a JWT's `exp` in milliseconds, when it is a time in seconds within the years above. */
export function readExpiry(token: string): number | undefined {
  const exp = readJwtClaims(token)?.exp;
  if (typeof exp !== "number") return undefined;
  const ms = exp * 1000;
  const inRange = ms >= Date.UTC(EARLIEST_EXP_YEAR, 0, 1) && ms <= Date.UTC(LATEST_EXP_YEAR, 0, 1);
  return inRange ? ms : undefined;
}
