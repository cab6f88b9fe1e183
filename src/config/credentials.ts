/**
 * Where each region's credential comes from: its own variables first
 * (`SERVICE_ACCOUNT_SECRET_<region>`, `CAS_SESSION_<region>`), then the shared
 * ones, which are sent only to auth services of the default auth URL's site
 * (or where the config file opts in); every value read is kept to be scrubbed
 * from logs.
 *
 * @module
 */

import { Secret } from "../secret.ts";
import type { EnvReader } from "./env.ts";
import { siteOfUrl } from "./site.ts";
import { ConfigError } from "./values.ts";

/**
 * How a token is asked for: `cas_session`, an SSO session cookie sent as
 * `Cookie: CAS_SESSION=...`; `service_account`, a secret sent as
 * `Authorization: Bearer ...`.
 */
export type CredentialKind = "cas_session" | "service_account";

/** What the auth service is asked with; only the request that needs the value reveals it. */
export interface Credential {
  readonly kind: CredentialKind;
  /**
   * The environment variable it came from, such as `CAS_SESSION_us`: what
   * messages name instead of the value. Default `CAS_SESSION` or `SERVICE_ACCOUNT_SECRET`.
   */
  readonly source?: string;
  readonly value: Secret;
}

/** The variables every region may fall back to, each holding the default auth site's credential. */
export const SHARED_CREDENTIAL_VARIABLES = ["CAS_SESSION", "SERVICE_ACCOUNT_SECRET"] as const;

/** One of {@linkcode SHARED_CREDENTIAL_VARIABLES}. */
export type SharedCredentialVariable = typeof SHARED_CREDENTIAL_VARIABLES[number];

// Most specific first; a service account wins over a cookie at the same level.
function credentialVariables(
  region: string,
): { kind: CredentialKind; source: string; shared?: SharedCredentialVariable }[] {
  return [
    { kind: "service_account", source: `SERVICE_ACCOUNT_SECRET_${region}` },
    { kind: "cas_session", source: `CAS_SESSION_${region}` },
    {
      kind: "service_account",
      source: "SERVICE_ACCOUNT_SECRET",
      shared: "SERVICE_ACCOUNT_SECRET",
    },
    { kind: "cas_session", source: "CAS_SESSION", shared: "CAS_SESSION" },
  ];
}

/** Where a region signs in, which decides whether the shared variables may be sent there. */
export interface RegionAuth {
  /** The region's auth URL. */
  readonly authUrl: string;
  /** The default auth URL: the shared variables hold a credential of its site. */
  readonly defaultAuthUrl: string;
  /** A shared variable the config file lets this region use on another site. */
  readonly optIn?: SharedCredentialVariable;
}

/** A region's credential, or the shared variable that is set but kept from its auth service. */
export interface RegionCredential {
  readonly credential?: Credential;
  /** Set when the region has no credential because a shared one belongs to another site. */
  readonly withheld?: SharedCredentialVariable;
}

/** Each region's credential, and every credential value read. */
export interface Credentials {
  /**
   * The credential of `region`: its own variables, else a shared one when
   * `auth` is on the default auth URL's site or opts in to it.
   */
  forRegion(region: string, auth: RegionAuth): RegionCredential;
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
      const raw = read(source);
      const value = parseCredential(raw, { kind, source, validate });
      seen.set(source, value && { kind, source, value });
    }
    return seen.get(source);
  }
  // The shared variables are read (and checked) even when every region has its own.
  credentialFrom("service_account", "SERVICE_ACCOUNT_SECRET");
  credentialFrom("cas_session", "CAS_SESSION");
  return {
    forRegion(region: string, auth: RegionAuth): RegionCredential {
      const home = siteOfUrl(auth.authUrl) === siteOfUrl(auth.defaultAuthUrl);
      let withheld: SharedCredentialVariable | undefined;
      for (const { kind, source, shared } of credentialVariables(region)) {
        const credential = credentialFrom(kind, source);
        if (!credential) continue;
        if (!shared || home || auth.optIn === shared) return { credential };
        withheld ??= shared;
      }
      return { withheld };
    },
    secrets(): Secret[] {
      return [...seen.values()].flatMap((credential) => credential ? [credential.value] : []);
    },
  };
}

// How people paste each kind: a cookie with its name (`CAS_SESSION=value`), a secret with
// `Bearer `, either in quotes; and what is left must fit in the header it is sent in. The
// value is never echoed: it is a credential.
const SHAPES = {
  // Only printable ASCII without ; , " \ or spaces can be a cookie value (RFC 6265).
  cas_session: {
    prefix: /^CAS_SESSION=/,
    allowed: /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/,
    problem:
      `it holds characters a cookie cannot (spaces, ; , " \\ or non-ASCII); copy only the cookie's value from the browser`,
  },
  service_account: {
    prefix: /^Bearer\s+/i,
    allowed: /^[\x21-\x7e]+$/,
    problem: "it holds spaces, control or non-ASCII characters; copy only the secret itself",
  },
};

function parseCredential(
  raw: string | undefined,
  { kind, source, validate }: { kind: CredentialKind; source: string; validate: boolean },
): Secret | undefined {
  const { prefix, allowed, problem } = SHAPES[kind];
  const value = raw?.trim().replace(prefix, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (validate) refusePlaceholder(value, source);
  if (validate && !allowed.test(value)) throw new ConfigError(`Invalid ${source}: ${problem}`);
  return new Secret(value);
}

// The docs' placeholders (`paste-the-cookie-value-here`, `paste-the-secret`, the Python server's
// `your_cookie_value_here`), a `<value>` left as written, or a `${input:...}` a client did not
// expand: sent as they are, they would only earn a redirect to the SSO login much later.
const PLACEHOLDER = /^(paste[-_]the[-_].*|your[-_].*[-_]here|<[^>]*>|\$\{[^}]*\})$/i;

function refusePlaceholder(value: string, source: string) {
  if (!PLACEHOLDER.test(value)) return;
  throw new ConfigError(
    `${source} still holds a placeholder from the docs: put the real value there (or run with --demo) and restart`,
  );
}
