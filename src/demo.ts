/** A fake auth service and Neptune registry over a sample catalogue: `--demo` and many tests.
 * @module */

import type { Region } from "./config/mod.ts";
import { readExpiry, readJwtClaims } from "./auth.ts";
import type { Fetch } from "./upstream.ts";
// Each row: psm, regions, level, framework, owners, description.
import catalogueRows from "./demo_catalogue.json" with { type: "json" };

/** In the registry's own field names, plus the regions that list each PSM. */
export const DEMO_CATALOGUE = catalogueRows.map((row) => {
  const [psm = "", regions = "", level = "", framework = "", owners = "", ...text] = row.split(" ");
  return {
    psm,
    regions: regions.split(","),
    type: framework === "kitex" ? "thrift" : "http",
    framework,
    description: text.join(" "),
    owners,
    deployment_platform: "tce",
    level,
    updated_at: "2025-09-01T08:00:00Z",
  };
});

export interface DemoUpstreamOptions {
  /** The regions whose search endpoints are answered; their own `authUrl`s are auth services too. */
  regions: readonly (Region & { authUrl?: string })[];
  authUrl: string;
  now: () => number;
}

const DEMO_ISSUER = "byted-live-promotion-demo";
const SEARCH_PATH = "/api/neptune/ms/service/search";
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** Issues a JWT with a real `exp` for any `CAS_SESSION` cookie, and searches for its tokens. */
export function createDemoUpstream(options: DemoUpstreamOptions): (request: Request) => Response {
  const { regions, authUrl, now } = options;
  const authUrls = [authUrl, ...regions.flatMap((r) => r.authUrl ?? [])].map((u) => new URL(u));
  return (request) => {
    const url = new URL(request.url);
    if (authUrls.some((auth) => auth.origin === url.origin && auth.pathname === url.pathname)) {
      return issueToken(request, now() + TOKEN_LIFETIME_MS);
    }
    const endpoint = `${url.origin}${url.pathname}`;
    const region = regions.find((r) => endpoint === `${r.baseUrl}${SEARCH_PATH}`);
    if (!region) {
      return Response.json({ error: `no demo route for ${url.pathname}` }, { status: 404 });
    }
    if (!isLiveDemoToken(request.headers.get("x-jwt-token"), now())) {
      return Response.json({
        error_code: 401,
        error_type: "AUTH_ERROR",
        error_message: "JWT token expired or invalid",
      }, { status: 401 });
    }
    return Response.json({
      error_code: 0,
      error_type: "",
      error_message: "",
      data: searchCatalogue(region.name, url.searchParams.get("keyword") ?? ""),
    });
  };
}

export function createDemoFetch(options: DemoUpstreamOptions): Fetch {
  const upstream = createDemoUpstream(options);
  return (input, init) => {
    const request = new Request(input, init);
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return Promise.resolve(upstream(request));
  };
}

export function searchCatalogue(region: string, keyword: string) {
  const needle = keyword.trim().toLowerCase();
  if (needle === "") return [];
  return DEMO_CATALOGUE
    .filter((service) => service.regions.includes(region))
    .filter((service) =>
      service.psm.includes(needle) || service.description.toLowerCase().includes(needle)
    )
    .map(({ regions: _, ...service }, index) => ({
      ...service,
      node_id: 9_400_000 + index,
      service_chinese_name: service.psm,
      platform_types: { [service.deployment_platform]: service.type },
    }));
}

function issueToken(request: Request, expiresAt: number): Response {
  const cookie = request.headers.get("cookie") ?? "";
  if (!/(?:^|;\s*)CAS_SESSION=[^;]+/.test(cookie)) {
    return new Response(null, { status: 302, headers: { location: "https://sso.example/login" } });
  }
  const token = unsignedJwt({ iss: DEMO_ISSUER, sub: "demo", exp: Math.floor(expiresAt / 1000) });
  return new Response(null, { status: 200, headers: { "X-Jwt-Token": token } });
}

function isLiveDemoToken(token: string | null, now: number): boolean {
  if (!token) return false;
  const expiresAt = readExpiry(token);
  return expiresAt !== undefined && expiresAt > now && readJwtClaims(token)?.iss === DEMO_ISSUER;
}

export function unsignedJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}.demo-signature`;
}
