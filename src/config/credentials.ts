/** A region's credential: its own variables, then shared ones on the default auth site or opted in.
 * @module */

import { Secret } from "../secret.ts";
import { ConfigError, SHARED_CREDENTIAL_VARIABLES } from "./options.ts";

/** `cas_session`: an SSO cookie; `service_account`: a secret sent as a bearer token. */
export type CredentialKind = "cas_session" | "service_account";

/** What the auth service is asked with; messages name its `source` variable, never the value. */
export interface Credential {
  readonly kind: CredentialKind;
  readonly source?: string;
  readonly value: Secret;
}

export type SharedCredentialVariable = typeof SHARED_CREDENTIAL_VARIABLES[number];

// Second-level domains anyone registers under (co.uk, com.cn): not the whole public suffix list.
const GENERIC_SECOND_LEVEL = new Set(["ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"]);

/** Returns the site of `hostname`: its last two labels, three under `co.uk` and the like. */
export function siteOf(hostname: string): string {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.includes(":") || host.startsWith("[") || /^[\d.]+$/.test(host)) return host;
  const labels = host.split(".");
  if (labels.length <= 2) return host;
  const [second = "", top = ""] = labels.slice(-2);
  return labels.slice(top.length === 2 && GENERIC_SECOND_LEVEL.has(second) ? -3 : -2).join(".");
}

/** Reads each credential variable once; with `validate` false (demo) a malformed one is kept. */
export function readCredentials(
  read: (name: string) => string | undefined,
  { validate, defaultAuthUrl }: { validate: boolean; defaultAuthUrl: string },
) {
  const seen = new Map<string, Credential | undefined>();
  function credentialFrom(source: string): Credential | undefined {
    if (!seen.has(source)) seen.set(source, parseCredential(source, read(source), validate));
    return seen.get(source);
  }
  // The shared variables are read (and checked) even when every region has its own.
  for (const shared of SHARED_CREDENTIAL_VARIABLES) credentialFrom(shared);
  const homeSite = siteOf(new URL(defaultAuthUrl).hostname);
  return {
    /** `withheld` is a shared variable kept from the region: its auth URL is on another site. */
    forRegion(
      region: string,
      { authUrl, optIn }: { authUrl: string; optIn?: SharedCredentialVariable },
    ): { credential?: Credential; withheld?: SharedCredentialVariable } {
      // Most specific first; a service account wins over a cookie at the same level.
      for (const own of [`SERVICE_ACCOUNT_SECRET_${region}`, `CAS_SESSION_${region}`]) {
        const credential = credentialFrom(own);
        if (credential) return { credential };
      }
      const home = siteOf(new URL(authUrl).hostname) === homeSite;
      let withheld: SharedCredentialVariable | undefined;
      for (const shared of SHARED_CREDENTIAL_VARIABLES) {
        const credential = credentialFrom(shared);
        if (!credential) continue;
        if (home || optIn === shared) return { credential };
        withheld ??= shared;
      }
      return { credential: undefined, ...(withheld && { withheld }) };
    },
    secrets(): Secret[] {
      return [...seen.values()].flatMap((credential) => credential ? [credential.value] : []);
    },
  };
}

// People paste a cookie with its name, a secret with `Bearer `, either in quotes; never echoed.
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

// Docs' placeholders, `<value>`, an unexpanded `${input:...}`: they would earn an SSO redirect.
const PLACEHOLDER = /^(paste[-_]the[-_].*|your[-_].*[-_]here|<[^>]*>|\$\{[^}]*\})$/i;

function parseCredential(source: string, raw: string | undefined, validate: boolean) {
  const kind = source.startsWith("CAS_SESSION") ? "cas_session" : "service_account";
  const { prefix, allowed, problem } = SHAPES[kind];
  const value = raw?.trim().replace(prefix, "").replace(/^(["'])(.*)\1$/, "$2").trim();
  if (!value) return undefined;
  if (validate && PLACEHOLDER.test(value)) {
    throw new ConfigError(
      `${source} still holds a placeholder from the docs: put the real value there (or run with --demo) and restart`,
    );
  }
  if (validate && !allowed.test(value)) throw new ConfigError(`Invalid ${source}: ${problem}`);
  return { kind, source, value: new Secret(value) } as const;
}
