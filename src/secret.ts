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

// A JWT is three base64url parts; the first two always start with `eyJ` ("{"").
const JWT_PATTERN = /eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/g;

/**
 * Returns `text` with every JWT-shaped substring and every given secret value
 * replaced by `[redacted]`. Used on text that came from outside (upstream
 * error messages) and on every log line, as a last line of defence.
 */
export function redact(text: string, secrets: readonly (Secret | string)[] = []): string {
  let clean = text.replace(JWT_PATTERN, REDACTED);
  for (const secret of secrets) {
    const value = typeof secret === "string" ? secret : secret.reveal();
    if (value !== "") clean = clean.replaceAll(value, REDACTED);
  }
  return clean;
}
