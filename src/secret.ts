/** Credentials that cannot leak by accident, and redaction as the last line of defence.
 * @module */

const REDACTED = "[redacted]";

/** A string that prints, serializes and inspects as `[redacted]`; only `reveal` gives it. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (value === "") throw new TypeError("A secret cannot be empty");
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

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

/** Replaces JWTs (whole or cut), base64 JSON with JWT claims and every given secret. */
export function redact(text: string, secrets: readonly (Secret | string)[] = []): string {
  let clean = text.replace(JWT_PATTERN, REDACTED).replace(ENCODED_OBJECT_PATTERN, (run) => {
    const decoded = decodeBase64Url(run);
    return decoded?.startsWith("{") && CLAIM_KEY.test(decoded) ? REDACTED : run;
  });
  for (const secret of secrets) {
    const value = typeof secret === "string" ? secret : secret.reveal();
    if (value !== "") clean = clean.replaceAll(value, REDACTED);
  }
  return clean;
}

/** Decodes base64 or base64url `text` as UTF-8 (padding optional); undefined if not base64. */
export function decodeBase64Url(text: string): string | undefined {
  let base64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  // A cut-off last character carries no whole byte.
  if (base64.length % 4 === 1) base64 = base64.slice(0, -1);
  try {
    return new TextDecoder().decode(Uint8Array.fromBase64(base64));
  } catch {
    return undefined;
  }
}
