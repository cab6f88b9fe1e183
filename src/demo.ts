/**
 * A fake auth service and Neptune registry over a sample catalogue: `--demo` and many tests.
 * @module
 */

import type { Region } from "./config/mod.ts";
import { readExpiry, readJwtClaims } from "./auth.ts";
import type { Fetch } from "./upstream.ts";

// psm, regions, level, framework, owners, description
const CATALOGUE_TABLE = `
oec.affiliate.monitor cn,us P2 kitex wangzhonghua.97 Affiliate order monitoring and alerting
oec.affiliate.api cn,us P1 hertz wangzhonghua.97,li.na Affiliate HTTP gateway for creators
oec.affiliate.commission cn P1 kitex zhao.lei Commission calculation for affiliate orders
oec.affiliate.settlement us P1 kitex emily.chen Affiliate settlement batches (US)
oec.affiliate.link cn,us P2 kitex sun.yu Affiliate link generation and tracking
oec.live.room cn,us P0 kitex liu.yang,zhang.wei Live room state and lifecycle
oec.live.promotion cn,us P0 kitex zhang.wei Live promotion campaigns and slots
oec.live.promotion_admin cn P2 hertz zhang.wei Operator console for live promotions
oec.live.promotion_job cn P3 kitex he.jing Scheduled jobs that open and close promotion slots
oec.live.coupon us P1 kitex david.wu Coupons shown in live rooms (US)
oec.live.product_card cn,us P1 kitex liu.yang Product cards pinned in live rooms
oec.trade.order cn,us P0 kitex chen.hao Order creation and state machine
oec.trade.cart cn,us P1 kitex chen.hao,xu.ming Shopping cart
oec.trade.payment_callback cn P0 hertz xu.ming Payment provider callbacks
oec.trade.refund us P1 kitex sarah.li Refund requests and approvals (US)
oec.product.detail cn,us P0 kitex gao.fei Product detail page data
oec.product.search cn,us P1 kitex gao.fei,ma.lin Product search and ranking
oec.product.inventory cn P0 kitex ma.lin Stock reservation and release
oec.seller.center cn,us P2 hertz tang.xin Seller center backend
oec.seller.onboarding us P2 kitex kevin.zhou Seller onboarding and verification (US)
toutiao.user.info cn P0 kitex yang.fan User profile lookups
toutiao.user.info_api cn P1 gin yang.fan HTTP API over user profiles
toutiao.user.relation cn P1 kitex lin.xue Follow and block relations
toutiao.feed.recommend cn P0 kitex qian.bo Feed recommendation
toutiao.feed.recommend_debug cn P3 hertz qian.bo Debug endpoints of feed recommendation
tiktok.live.gift us P0 kitex jason.park Gift sending in live rooms
tiktok.live.gift_rank us P1 kitex jason.park Gift leaderboards
tiktok.live.comment us P1 kitex amy.ng Live comments and moderation hooks
tiktok.user.profile us P0 kitex brian.lee Creator and viewer profiles
ad.promotion.delivery cn,us P0 kitex wu.qiang Ad delivery for promotions
ad.promotion.budget cn P1 kitex wu.qiang,he.jing Promotion budget pacing
ad.promotion.report us P2 hertz nina.xu Promotion reports (US)
infra.neptune.registry cn,us P0 kitex infra-oncall The service registry itself
infra.auth.jwt cn,us P0 kitex infra-oncall JWT issuing for internal services
data.bi.dashboard_api cn P3 hertz zheng.hui BI dashboards
data.bi.export-worker cn P3 kitex zheng.hui Scheduled BI exports
`;

/** In the registry's own field names, plus the regions that list each PSM. */
export const DEMO_CATALOGUE = CATALOGUE_TABLE.trim().split("\n").map((row) => {
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
