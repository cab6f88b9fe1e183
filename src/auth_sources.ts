/** One token provider per (auth URL, credential): regions that share both share one token.
 * @module */

import {
  createTokenProvider,
  credentialSource,
  type TokenProvider,
  type TokenProviderOptions,
} from "./auth.ts";
import type { Credential, CredentialKind, Region, RegionConfig } from "./config/mod.ts";

/** One auth service and credential, and the regions whose tokens come from it. */
export interface AuthSource {
  readonly authUrl: string;
  /** The credential's kind and the variable it came from, never its value; absent when unset. */
  readonly credential?: { readonly kind: CredentialKind; readonly source: string };
  readonly regions: readonly string[];
  /** Which variable to set, when it has no credential: `not configured: set ...`. */
  readonly unconfigured?: string;
  /** The shared variable set but kept from this auth service, on another site than the default. */
  readonly withheld?: string;
  readonly tokens: TokenProvider;
}

/** Every {@linkcode AuthSource} of the server (in the order of their first region), by region. */
export type AuthSources = ReturnType<typeof createAuthSources>;

type PerProvider = "authUrl" | "credential" | "missingCredentialMessage" | "refusalHint";

/**
 * One token provider per auth URL and credential; with no credential and one auth URL (the
 * single-cookie setup), all regions share one.
 */
export function createAuthSources(
  regions: readonly RegionConfig[],
  options: Omit<TokenProviderOptions, PerProvider> & { defaultAuthUrl?: string },
) {
  const unconfiguredAlike = regions.every((r) => !r.credential && !r.withheld) &&
    new Set(regions.map((r) => r.authUrl)).size === 1;
  // The variable, not the value: two variables holding the same cookie get a provider each.
  const groups = Map.groupBy(
    regions,
    ({ authUrl, credential: c, name }) =>
      c || unconfiguredAlike
        ? `${authUrl} ${c ? `${c.kind} ${credentialSource(c)}` : "none"}`
        : `${authUrl} unconfigured ${name}`,
  );
  const { defaultAuthUrl, ...providerOptions } = options;
  const sources: readonly AuthSource[] = [...groups.values()].map((members): AuthSource => {
    const region = members[0]!;
    const names = members.map(({ name }) => name);
    const { authUrl, credential } = region;
    const missing = unconfiguredAlike ? undefined : describeUnconfigured(region);
    return {
      authUrl,
      credential: credential && { kind: credential.kind, source: credentialSource(credential) },
      regions: names,
      unconfigured: credential
        ? undefined
        : missing ?? "not configured: set CAS_SESSION and restart the server",
      withheld: region.withheld,
      tokens: createTokenProvider({
        ...providerOptions,
        authUrl,
        credential,
        missingCredentialMessage: missing,
        refusalHint: credential && defaultAuthUrl !== undefined && authUrl !== defaultAuthUrl
          ? hintForSharedCredential(credential, authUrl, names)
          : undefined,
      }),
    };
  });
  return {
    sources,
    tokenFor(region: Region): TokenProvider {
      const source = sources.find(({ regions }) => regions.includes(region.name));
      if (!source) throw new RangeError(`Region ${region.name} is not configured`);
      return source.tokens;
    },
  };
}

// A shared variable holds the cookie or secret of the default auth service: one refused at
// another is more likely from the wrong SSO domain than expired.
function hintForSharedCredential(
  credential: Credential,
  authUrl: string,
  regions: readonly string[],
): string | undefined {
  const source = credentialSource(credential);
  if (source !== "CAS_SESSION" && source !== "SERVICE_ACCOUNT_SECRET") return undefined;
  const variables = regions.map((name) => `${source}_${name}`).join(", ");
  return `if ${new URL(authUrl).host} is another SSO domain, set ${variables} for it instead`;
}

// Which variables to set, and how to opt in to a shared one kept for the default auth URL's site.
function describeUnconfigured({ name, authUrl, withheld }: RegionConfig): string {
  if (!withheld) {
    return `not configured: set CAS_SESSION_${name} (or SERVICE_ACCOUNT_SECRET_${name}, or CAS_SESSION for every region) and restart the server`;
  }
  return `not configured: ${withheld} is not sent to ${
    new URL(authUrl).hostname
  }, another site than the default auth URL's; set CAS_SESSION_${name} or SERVICE_ACCOUNT_SECRET_${name} (or add "credential": "${withheld}" to region ${name} in the config file) and restart the server`;
}
