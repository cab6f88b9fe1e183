/**
 * Where each region's credential comes from: its own variables first
 * (`SERVICE_ACCOUNT_SECRET_<region>`, `CAS_SESSION_<region>`), then the shared
 * ones; every value read is kept to be scrubbed from logs.
 *
 * @module
 */

import type { Credential, CredentialKind } from "../auth.ts";
import { Secret } from "../secret.ts";
import type { EnvReader, EnvVar, RegionalEnvVar } from "./env.ts";
import { ConfigError } from "./values.ts";

// Most specific first; a service account wins over a cookie at the same level.
function credentialVariables(region: string): { kind: CredentialKind; source: string }[] {
  return [
    { kind: "service_account", source: `SERVICE_ACCOUNT_SECRET_${region}` },
    { kind: "cas_session", source: `CAS_SESSION_${region}` },
    { kind: "service_account", source: "SERVICE_ACCOUNT_SECRET" },
    { kind: "cas_session", source: "CAS_SESSION" },
  ];
}

/** Each region's credential, and every credential value read. */
export interface Credentials {
  /** The credential of `region`, or `undefined` when none of its variables is set. */
  forRegion(region: string): Credential | undefined;
  /** Every value read, to be scrubbed from logs. */
  secrets(): Secret[];
}

/**
 * Reads the credential variables through `read`, each once however many
 * regions fall back to it; with `validate` false (demo mode) a malformed value
 * is kept rather than refused.
 */
export function readCredentials(
  read: EnvReader,
  { validate }: { validate: boolean },
): Credentials {
  const seen = new Map<string, Credential | undefined>();
  function credentialFrom(kind: CredentialKind, source: string): Credential | undefined {
    if (!seen.has(source)) {
      const raw = read(source as EnvVar | RegionalEnvVar);
      const value = kind === "cas_session"
        ? parseCookie(raw, { source, validate })
        : parseServiceSecret(raw, { source, validate });
      seen.set(source, value && { kind, source, value });
    }
    return seen.get(source);
  }
  // The shared variables are read (and checked) even when every region has its own.
  credentialFrom("service_account", "SERVICE_ACCOUNT_SECRET");
  credentialFrom("cas_session", "CAS_SESSION");
  return {
    forRegion(region: string): Credential | undefined {
      for (const { kind, source } of credentialVariables(region)) {
        const credential = credentialFrom(kind, source);
        if (credential) return credential;
      }
      return undefined;
    },
    secrets(): Secret[] {
      return [...seen.values()].flatMap((credential) => credential ? [credential.value] : []);
    },
  };
}

// People paste the cookie in several shapes; accept `CAS_SESSION=value` and quotes too.
function parseCookie(
  raw: string | undefined,
  { source, validate }: { source: string; validate: boolean },
): Secret | undefined {
  const value = raw?.trim().replace(/^CAS_SESSION=/, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (!validate) return new Secret(value);
  // Only printable ASCII without ; , " \ or spaces can be a cookie value (RFC 6265); the
  // value is not echoed, it is a credential.
  if (!/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(value)) {
    throw new ConfigError(
      `Invalid ${source}: it holds characters a cookie cannot (spaces, ; , " \\ or non-ASCII); copy only the cookie's value from the browser`,
    );
  }
  return new Secret(value);
}

// A pasted `Bearer ` prefix or quotes are dropped; what is left must fit in a header.
function parseServiceSecret(
  raw: string | undefined,
  { source, validate }: { source: string; validate: boolean },
): Secret | undefined {
  const value = raw?.trim().replace(/^Bearer\s+/i, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (validate && !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(
      `Invalid ${source}: it holds spaces, control or non-ASCII characters; copy only the secret itself`,
    );
  }
  return new Secret(value);
}
