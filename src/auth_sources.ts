/**
 * Which token provider serves which region: one per (auth URL, credential),
 * so regions that share both share one token and one refresh, and a region
 * without a credential fails alone with a hint instead of failing the others.
 *
 * @module
 */

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
  /** Names of the regions it serves, in configuration order. */
  readonly regions: readonly string[];
  /** Which variable to set, when it has no credential: `not configured: set ...`. */
  readonly unconfigured?: string;
  /** The shared variable set but kept from this auth service, on another site than the default. */
  readonly withheld?: string;
  readonly tokens: TokenProvider;
}

/** Every {@linkcode AuthSource} of the server, and the one of each region. */
export interface AuthSources {
  /** In the order of the first region each serves. */
  readonly sources: readonly AuthSource[];
  /** The token provider of `region`, matched by name. */
  tokenFor(region: Region): TokenProvider;
}

/** Options for {@linkcode createAuthSources}: what every token provider is built with. */
export type AuthSourcesOptions =
  & Omit<
    TokenProviderOptions,
    "authUrl" | "credential" | "missingCredentialMessage" | "refusalHint"
  >
  & {
    /** The auth URL of regions that name none; a shared credential refused elsewhere gets a hint. */
    readonly defaultAuthUrl?: string;
  };

/**
 * Groups `regions` by auth URL and credential and creates one token provider
 * for each group. When no region has a credential and all share one auth URL
 * (the single-cookie setup without a cookie), they share one provider that
 * says how to set `CAS_SESSION`; otherwise each region without a credential
 * gets its own, which names that region's variables.
 */
export function createAuthSources(
  regions: readonly RegionConfig[],
  options: AuthSourcesOptions,
): AuthSources {
  const unconfiguredAlike = regions.every((r) => !r.credential && !r.withheld) &&
    new Set(regions.map((r) => r.authUrl)).size === 1;
  const groups = new Map<string, { region: RegionConfig; names: string[] }>();
  for (const region of regions) {
    const key = region.credential || unconfiguredAlike
      ? `${region.authUrl} ${describeKey(region.credential)}`
      : `${region.authUrl} unconfigured ${region.name}`;
    const group = groups.get(key) ?? { region, names: [] };
    group.names.push(region.name);
    groups.set(key, group);
  }
  const { defaultAuthUrl, ...providerOptions } = options;
  const byRegion = new Map<string, TokenProvider>();
  const sources = [...groups.values()].map(({ region, names }): AuthSource => {
    const { authUrl, credential } = region;
    const tokens = createTokenProvider({
      ...providerOptions,
      authUrl,
      credential,
      missingCredentialMessage: unconfiguredAlike ? undefined : describeUnconfigured(region),
      refusalHint: credential && defaultAuthUrl !== undefined && authUrl !== defaultAuthUrl
        ? hintForSharedCredential(credential, { authUrl, regions: names })
        : undefined,
    });
    for (const name of names) byRegion.set(name, tokens);
    return {
      authUrl,
      credential: credential && { kind: credential.kind, source: credentialSource(credential) },
      regions: names,
      unconfigured: credential
        ? undefined
        : unconfiguredAlike
        ? UNCONFIGURED_SHARED
        : describeUnconfigured(region),
      withheld: region.withheld,
      tokens,
    };
  });
  return {
    sources,
    tokenFor(region) {
      const tokens = byRegion.get(region.name);
      if (!tokens) throw new RangeError(`Region ${region.name} is not configured`);
      return tokens;
    },
  };
}

// A shared variable holds the cookie or secret of the default auth service: one refused at
// another is more likely from the wrong SSO domain than expired.
function hintForSharedCredential(
  credential: Credential,
  { authUrl, regions }: { authUrl: string; regions: readonly string[] },
): string | undefined {
  const source = credentialSource(credential);
  if (source !== "CAS_SESSION" && source !== "SERVICE_ACCOUNT_SECRET") return undefined;
  const variables = regions.map((name) => `${source}_${name}`).join(", ");
  return `if ${new URL(authUrl).host} is another SSO domain, set ${variables} for it instead`;
}

// The variable, not the value: two variables holding the same cookie still get a provider each.
function describeKey(credential: Credential | undefined): string {
  return credential ? `${credential.kind} ${credentialSource(credential)}` : "none";
}

// The single-cookie setup without its cookie: CAS_SESSION alone is what to set.
const UNCONFIGURED_SHARED = "not configured: set CAS_SESSION and restart the server";

/**
 * The reason shown for a region that has no credential, such as
 * `us: not configured: ...`: which variables to set, and when a shared one is
 * set but kept for the default auth URL's site, how to opt in to it.
 */
export function describeUnconfigured(
  region: Pick<RegionConfig, "name" | "authUrl" | "withheld">,
): string {
  const { name, authUrl, withheld } = region;
  if (!withheld) {
    return `not configured: set CAS_SESSION_${name} (or SERVICE_ACCOUNT_SECRET_${name}, or CAS_SESSION for every region) and restart the server`;
  }
  return `not configured: ${withheld} is not sent to ${
    new URL(authUrl).hostname
  }, another site than the default auth URL's; set CAS_SESSION_${name} or SERVICE_ACCOUNT_SECRET_${name} (or add "credential": "${withheld}" to region ${name} in the config file) and restart the server`;
}
