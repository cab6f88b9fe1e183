/**
 * A fake auth service and Neptune registry, answered in-process from a sample
 * catalogue: the `--demo` mode, and the upstream of many tests.
 *
 * @module
 */

import type { Region } from "./config/mod.ts";
import { readExpiry, readJwtClaims } from "./auth.ts";
import type { Fetch } from "./upstream.ts";

/** A catalogue entry: the registry's own fields, and the regions that list it. */
export interface DemoService {
  readonly psm: string;
  readonly regions: readonly string[];
  readonly type: string;
  readonly framework: string;
  readonly description: string;
  readonly owners: string;
  readonly deployment_platform: string;
  readonly level: "P0" | "P1" | "P2" | "P3";
  readonly updated_at: string;
}

const BOTH = ["cn", "us"] as const;
const CN = ["cn"] as const;
const US = ["us"] as const;

function entry(
  psm: string,
  regions: readonly string[],
  level: DemoService["level"],
  description: string,
  owners: string,
  framework = "kitex",
): DemoService {
  const type = framework === "hertz" ? "http" : framework === "gin" ? "http" : "thrift";
  return {
    psm,
    regions,
    type,
    framework,
    description,
    owners,
    deployment_platform: "tce",
    level,
    updated_at: "2025-09-01T08:00:00Z",
  };
}

/** The sample catalogue: some PSMs in one region, some in both, many sharing prefixes. */
export const DEMO_CATALOGUE: readonly DemoService[] = [
  entry(
    "oec.affiliate.monitor",
    BOTH,
    "P2",
    "Affiliate order monitoring and alerting",
    "wangzhonghua.97",
  ),
  entry(
    "oec.affiliate.api",
    BOTH,
    "P1",
    "Affiliate HTTP gateway for creators",
    "wangzhonghua.97,li.na",
    "hertz",
  ),
  entry(
    "oec.affiliate.commission",
    CN,
    "P1",
    "Commission calculation for affiliate orders",
    "zhao.lei",
  ),
  entry("oec.affiliate.settlement", US, "P1", "Affiliate settlement batches (US)", "emily.chen"),
  entry("oec.affiliate.link", BOTH, "P2", "Affiliate link generation and tracking", "sun.yu"),
  entry("oec.live.room", BOTH, "P0", "Live room state and lifecycle", "liu.yang,zhang.wei"),
  entry("oec.live.promotion", BOTH, "P0", "Live promotion campaigns and slots", "zhang.wei"),
  entry(
    "oec.live.promotion_admin",
    CN,
    "P2",
    "Operator console for live promotions",
    "zhang.wei",
    "hertz",
  ),
  entry(
    "oec.live.promotion_job",
    CN,
    "P3",
    "Scheduled jobs that open and close promotion slots",
    "he.jing",
  ),
  entry("oec.live.coupon", US, "P1", "Coupons shown in live rooms (US)", "david.wu"),
  entry("oec.live.product_card", BOTH, "P1", "Product cards pinned in live rooms", "liu.yang"),
  entry("oec.trade.order", BOTH, "P0", "Order creation and state machine", "chen.hao"),
  entry("oec.trade.cart", BOTH, "P1", "Shopping cart", "chen.hao,xu.ming"),
  entry("oec.trade.payment_callback", CN, "P0", "Payment provider callbacks", "xu.ming", "hertz"),
  entry("oec.trade.refund", US, "P1", "Refund requests and approvals (US)", "sarah.li"),
  entry("oec.product.detail", BOTH, "P0", "Product detail page data", "gao.fei"),
  entry("oec.product.search", BOTH, "P1", "Product search and ranking", "gao.fei,ma.lin"),
  entry("oec.product.inventory", CN, "P0", "Stock reservation and release", "ma.lin"),
  entry("oec.seller.center", BOTH, "P2", "Seller center backend", "tang.xin", "hertz"),
  entry("oec.seller.onboarding", US, "P2", "Seller onboarding and verification (US)", "kevin.zhou"),
  entry("toutiao.user.info", CN, "P0", "User profile lookups", "yang.fan"),
  entry("toutiao.user.info_api", CN, "P1", "HTTP API over user profiles", "yang.fan", "gin"),
  entry("toutiao.user.relation", CN, "P1", "Follow and block relations", "lin.xue"),
  entry("toutiao.feed.recommend", CN, "P0", "Feed recommendation", "qian.bo"),
  entry(
    "toutiao.feed.recommend_debug",
    CN,
    "P3",
    "Debug endpoints of feed recommendation",
    "qian.bo",
    "hertz",
  ),
  entry("tiktok.live.gift", US, "P0", "Gift sending in live rooms", "jason.park"),
  entry("tiktok.live.gift_rank", US, "P1", "Gift leaderboards", "jason.park"),
  entry("tiktok.live.comment", US, "P1", "Live comments and moderation hooks", "amy.ng"),
  entry("tiktok.user.profile", US, "P0", "Creator and viewer profiles", "brian.lee"),
  entry("ad.promotion.delivery", BOTH, "P0", "Ad delivery for promotions", "wu.qiang"),
  entry("ad.promotion.budget", CN, "P1", "Promotion budget pacing", "wu.qiang,he.jing"),
  entry("ad.promotion.report", US, "P2", "Promotion reports (US)", "nina.xu", "hertz"),
  entry("infra.neptune.registry", BOTH, "P0", "The service registry itself", "infra-oncall"),
  entry("infra.auth.jwt", BOTH, "P0", "JWT issuing for internal services", "infra-oncall"),
  entry("data.bi.dashboard_api", CN, "P3", "BI dashboards", "zheng.hui", "hertz"),
  entry("data.bi.export-worker", CN, "P3", "Scheduled BI exports", "zheng.hui"),
];

/** Options for {@linkcode createDemoUpstream}. */
export interface DemoUpstreamOptions {
  /**
   * The regions whose base URLs the fake answers; catalogue entries are
   * matched by name. A region's own `authUrl` is answered as an auth service too.
   */
  regions: readonly (Region & { authUrl?: string })[];
  authUrl: string;
  now: () => number;
  /** Lifetime of issued tokens. Default one hour. */
  tokenLifetimeMs?: number;
  catalogue?: readonly DemoService[];
}

const DEMO_ISSUER = "byted-live-promotion-demo";
const SEARCH_PATH = "/api/neptune/ms/service/search";

/**
 * Creates a request handler that plays the auth service (a JWT with a real
 * `exp` for any `CAS_SESSION` cookie) and each region's search endpoint
 * (fuzzy search of the catalogue, for tokens it issued).
 */
export function createDemoUpstream(options: DemoUpstreamOptions): (request: Request) => Response {
  const { regions, authUrl, now, tokenLifetimeMs = 60 * 60 * 1000 } = options;
  const catalogue = options.catalogue ?? DEMO_CATALOGUE;
  const authUrls = [authUrl, ...regions.flatMap((r) => r.authUrl ?? [])].map((u) => new URL(u));
  return (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET") {
      return Response.json({ error: "method not allowed" }, { status: 405 });
    }
    if (authUrls.some((auth) => sameEndpoint(url, auth))) {
      return issueToken(request, now() + tokenLifetimeMs);
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
    const keyword = url.searchParams.get("keyword") ?? "";
    return Response.json({
      error_code: 0,
      error_type: "",
      error_message: "",
      data: searchCatalogue(catalogue, { region: region.name, keyword }),
    });
  };
}

/** Creates a {@linkcode Fetch} that answers from {@linkcode createDemoUpstream} without a network. */
export function createDemoFetch(options: DemoUpstreamOptions): Fetch {
  const upstream = createDemoUpstream(options);
  return (input, init) => {
    const request = new Request(input, init);
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return Promise.resolve(upstream(request));
  };
}

/** The answer entries the demo registry gives, in the registry's own field names. */
export type DemoAnswerEntry = Omit<DemoService, "regions"> & {
  node_id: number;
  service_chinese_name: string;
  platform_types: Record<string, string>;
};

/** Returns the catalogue entries of `region` whose PSM or description contains `keyword`. */
export function searchCatalogue(
  catalogue: readonly DemoService[],
  { region, keyword }: { region: string; keyword: string },
): DemoAnswerEntry[] {
  const needle = keyword.trim().toLowerCase();
  if (needle === "") return [];
  return catalogue
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

/** Returns a JWT with `claims` and a placeholder signature, as the demo auth service issues. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}.demo-signature`;
}

function sameEndpoint(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}
