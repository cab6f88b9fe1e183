/**
 * Several fake auth services, each accepting only its own cookie or secret,
 * and registries that accept only tokens of the auth service their region
 * belongs to: a route table for in-memory tests, served on 127.0.0.1 for
 * end-to-end ones.
 *
 * @module
 */

import { readJwtClaims } from "../src/auth.ts";
import {
  authErrorAnswer,
  type FakeUpstream,
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  type Route,
  SEARCH_PATH,
  searchAnswer,
  tokenAnswer,
} from "./fake_upstream.ts";

/** An auth service: its name (the `iss` of its tokens) and the one credential it accepts. */
export interface FakeAuthService {
  readonly name: string;
  readonly accepts: { readonly cookie: string } | { readonly secret: string };
}

/** A region of the fake: its name and the auth service whose tokens its registry accepts. */
export interface FakeRegion {
  readonly name: string;
  readonly auth: string;
}

/** What the fake saw: auth requests per service, and the issuer of each region's search token. */
export interface RegionalUpstream extends FakeUpstream {
  /** Auth requests each service received, accepted or not. */
  authRequests(service: string): number;
  /** `region:issuer` for every search, in arrival order. */
  readonly searches: string[];
  /** The URL of an auth service, and of a region's registry. */
  authUrl(service: string): string;
  baseUrl(region: string): string;
}

/**
 * Creates the fake under `origin` (such as `https://fake.test` or a
 * 127.0.0.1 server's). Every registry lists one service per region,
 * `<region>.svc.main`, and every keyword matches it.
 */
export function regionalUpstream(
  origin: string,
  { auths, regions }: { auths: readonly FakeAuthService[]; regions: readonly FakeRegion[] },
): RegionalUpstream {
  const searches: string[] = [];
  const authUrl = (service: string) => `${origin}/${service}/auth/api/v1/jwt`;
  const baseUrl = (region: string) => `${origin}/neptune/${region}`;
  const routes: Route[] = [
    ...auths.flatMap((auth): Route[] => [
      { url: authUrl(auth.name), headers: acceptedHeader(auth), respond: () => issue(auth.name) },
      // Anyone else is sent to the login page, as the real service does.
      {
        url: authUrl(auth.name),
        respond: () =>
          new Response(null, { status: 302, headers: { location: "https://sso.test/login" } }),
      },
    ]),
    ...regions.map((region): Route => ({
      url: `${baseUrl(region.name)}${SEARCH_PATH}`,
      respond: (request) => {
        const issuer = readJwtClaims(request.headers.get("x-jwt-token") ?? "")?.iss;
        searches.push(`${region.name}:${issuer}`);
        if (issuer !== region.auth) return authErrorAnswer();
        return searchAnswer([{ psm: `${region.name}.svc.main`, owners: "owner" }]);
      },
    })),
  ];
  const fake = fakeUpstream(routes);
  return {
    ...fake,
    searches,
    authRequests: (service) => fake.count(authUrl(service)),
    authUrl,
    baseUrl,
  };
}

function acceptedHeader(auth: FakeAuthService): Record<string, string> {
  return "cookie" in auth.accepts
    ? { Cookie: `CAS_SESSION=${auth.accepts.cookie}` }
    : { Authorization: `Bearer ${auth.accepts.secret}` };
}

// Far enough ahead of any clock a test uses that no renewal starts.
function issue(service: string): Response {
  return tokenAnswer(jwtExpiringAt(Date.now() + 24 * HOUR_MS, { iss: service }));
}

/** The credentials {@linkcode fourRegionUpstream} accepts. */
export interface FourRegionCredentials {
  /** The cookie of auth service cloud, where cn and boe sign in. */
  readonly cloudCookie: string;
  /** The cookie of auth service us, region us's own. */
  readonly usCookie: string;
  /** The service account secret of auth service i18n, region i18n's own. */
  readonly i18nSecret: string;
}

/**
 * The fake of the regions tests under `origin`: cn and boe sign in at cloud,
 * us at its own service, i18n with a service account.
 */
export function fourRegionUpstream(
  origin: string,
  { cloudCookie, usCookie, i18nSecret }: FourRegionCredentials,
): RegionalUpstream {
  return regionalUpstream(origin, {
    auths: [
      { name: "cloud", accepts: { cookie: cloudCookie } },
      { name: "us", accepts: { cookie: usCookie } },
      { name: "i18n", accepts: { secret: i18nSecret } },
    ],
    regions: [
      { name: "cn", auth: "cloud" },
      { name: "boe", auth: "cloud" },
      { name: "us", auth: "us" },
      { name: "i18n", auth: "i18n" },
    ],
  });
}

/** The config file a user of `fake` (a {@linkcode fourRegionUpstream}) would write. */
export function fourRegionConfigFile(fake: RegionalUpstream) {
  return {
    auth_url: fake.authUrl("cloud"),
    regions: [
      { name: "cn", base_url: fake.baseUrl("cn") },
      { name: "boe", base_url: fake.baseUrl("boe") },
      { name: "us", base_url: fake.baseUrl("us"), auth_url: fake.authUrl("us") },
      { name: "i18n", base_url: fake.baseUrl("i18n"), auth_url: fake.authUrl("i18n") },
    ],
  };
}
