/**
 * A credential that cannot leak by accident: it prints, serializes and
 * inspects as `[redacted]`, and only {@linkcode Secret.reveal} gives the value.
 *
 * @module
 */

const REDACTED = "[redacted]";

/** A string that must never reach a log line, an error message or a tool result. */
export class Secret {
  readonly #value: string;

  /** Wraps `value`; an empty string is a programming error. */
  constructor(value: string) {
    if (value === "") throw new TypeError("A secret cannot be empty");
    this.#value = value;
  }

  /** Returns the value, for the one request header that needs it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `[redacted]`, for `console.log` and `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }
}

// A JWT is two or three base64url parts; the first two always start with `eyJ` ("{"").
// A cut-off token (no signature, or a truncated one) is as secret as a whole one.
const JWT_PATTERN = /eyJ[\w-]*\.eyJ[\w-]*(?:\.[\w-]*)?/g;

// Any longer base64 run that may hold a JSON object: "{" encodes to "ey" or "ew". Only these
// runs are decoded, which keeps redaction cheap on ordinary log lines.
const ENCODED_OBJECT_PATTERN = /(?<![\w+/-])e[wy][\w+/-]{14,}={0,2}/g;
const CLAIM_KEY = /"(?:exp|iat|sub|iss|aud|nbf|jti)"\s*:/;

/**
 * Returns `text` with every JWT-shaped substring (whole or without its
 * signature), every base64 run that decodes to JSON with JWT claims, and
 * every given secret value replaced by `[redacted]`. Used on text that came
 * from outside (upstream error messages) and on every log line, as a last
 * line of defence.
 */
export function redact(text: string, secrets: readonly (Secret | string)[] = []): string {
  let clean = text.replace(JWT_PATTERN, REDACTED).replace(
    ENCODED_OBJECT_PATTERN,
    (run) => holdsClaims(run) ? REDACTED : run,
  );
  for (const secret of secrets) {
    const value = typeof secret === "string" ? secret : secret.reveal();
    if (value !== "") clean = clean.replaceAll(value, REDACTED);
  }
  return clean;
}

function holdsClaims(run: string): boolean {
  const decoded = decodeBase64Url(run);
  return decoded !== undefined && decoded.startsWith("{") && CLAIM_KEY.test(decoded);
}

/**
 * Decodes base64 or base64url `text` (padding optional, a cut-off last
 * character ignored) as UTF-8; `undefined` when it is not base64.
 */
export function decodeBase64Url(text: string): string | undefined {
  let base64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (base64.length % 4 === 1) base64 = base64.slice(0, -1);
  let binary: string;
  try {
    binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  } catch {
    return undefined;
  }
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
