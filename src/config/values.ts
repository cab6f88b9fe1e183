/**
 * The checks of single option values as zod schemas, shared by every option
 * of the table in `options.ts`; their messages say what is accepted and never
 * quote the value (the caller decides whether it may be shown).
 *
 * @module
 */

import { z } from "zod";
import type { LogLevel } from "../log.ts";
import { bareHost } from "../net.ts";
import { Secret } from "../secret.ts";

/** A bad flag, variable or config file; the message names it and what is accepted. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Issue parameters for a message that names the value itself, or a value that holds a credential. */
export const QUIET = { quiet: true } as const;

/** The JWT endpoint regions sign in at unless told otherwise. */
export const DEFAULT_AUTH_URL = "https://cloud.bytedance.net/auth/api/v1/jwt";

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
}

/** A boolean; in flags and variables also `1`/`0`, `yes`/`no`, `on`/`off`. */
export const boolean = z.boolean("expected true or false");

/** An absolute http(s) URL without credentials, as its `href`; `example` shows one in errors. */
export function httpUrl(example: string) {
  return z.string().transform((raw, context) => {
    const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : undefined;
    if (url?.protocol !== "http:" && url?.protocol !== "https:") {
      context.addIssue({
        code: "custom",
        message: url
          ? "expected an http or https URL"
          : `expected an absolute http(s) URL such as ${example}`,
      });
    } else if (url.username || url.password) {
      context.addIssue({
        code: "custom",
        message:
          "a URL must not embed a user name or password, pass credentials through CAS_SESSION",
        params: QUIET,
      });
    } else return url.href;
    return z.NEVER;
  });
}

/** A host to bind or answer to, without the brackets of an IPv6 address. */
export const host = z.string().refine(
  (raw) => /^[^\s/]+$/.test(raw.trim()),
  "expected a host name or IP address such as localhost or 0.0.0.0",
).transform(bareHost);

/** An http(s) origin such as `https://app.example`, from any URL on it. */
export const origin = z.string().transform((raw, context) => {
  const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : undefined;
  if (url?.protocol === "http:" || url?.protocol === "https:") return url.origin;
  context.addIssue({ code: "custom", message: "expected an origin such as https://app.example" });
  return z.NEVER;
});

/** A log level in any case; `warn` means `warning`. */
export const logLevel = z.string().transform((raw, context) => {
  const level = raw.trim().toLowerCase().replace(/^warn$/, "warning");
  if (["debug", "info", "warning", "error"].includes(level)) return level as LogLevel;
  context.addIssue({ code: "custom", message: "expected DEBUG, INFO, WARNING or ERROR" });
  return z.NEVER;
});

/** A bearer token: one word, kept as a {@linkcode Secret}. */
export const token = z.string().trim().regex(
  /^\S+$/,
  "expected one word without spaces, such as the output of openssl rand -hex 32",
).transform((value) => new Secret(value));

/** Returns `raw` as a number when it spells a whole number, else as it is, for the schema to refuse. */
export function integerText(raw: string | readonly string[]): unknown {
  return typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
}

const BOOLEAN_WORDS = ["0", "false", "no", "off", "1", "true", "yes", "on"];

/** Returns `raw` as a boolean when it spells one, else as it is, for the schema to refuse. */
export function booleanText(raw: string | readonly string[]): unknown {
  const index = typeof raw === "string" ? BOOLEAN_WORDS.indexOf(raw.trim().toLowerCase()) : -1;
  return index < 0 ? raw : index >= 4;
}
