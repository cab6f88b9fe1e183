import assert from "node:assert/strict";
import { createTokenProvider, readExpiry, readJwtClaims } from "../src/auth.ts";
import type { Region } from "../src/config/mod.ts";
import {
  createDemoFetch,
  createDemoUpstream,
  DEMO_CATALOGUE,
  type DemoUpstreamOptions,
  searchCatalogue,
} from "../src/demo.ts";
import { createDiscovery } from "../src/discovery/mod.ts";
import { Secret } from "../src/secret.ts";
import {
  AUTH_URL,
  CN,
  fakeClock,
  HOUR_MS,
  jwtExpiringAt,
  recordingLogger,
  SEARCH_PATH,
  US,
} from "./fake_upstream.ts";

const PSM_FORMAT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){2}$/;

function demo(options: Partial<DemoUpstreamOptions> = {}) {
  const clock = fakeClock();
  const upstream = createDemoUpstream({
    regions: [CN, US],
    authUrl: AUTH_URL,
    now: clock.now,
    ...options,
  });
  return { clock, upstream };
}

function authRequest(cookie?: string): Request {
  return new Request(AUTH_URL, { headers: cookie === undefined ? {} : { cookie } });
}

function searchRequest(region: Region, keyword: string, token?: string): Request {
  const url = new URL(`${region.baseUrl}${SEARCH_PATH}`);
  url.searchParams.set("keyword", keyword);
  url.searchParams.set("search_type", "all");
  return new Request(url, { headers: token === undefined ? {} : { "x-jwt-token": token } });
}

function issueToken(upstream: (request: Request) => Response): string {
  const token = upstream(authRequest("CAS_SESSION=demo-session")).headers.get("x-jwt-token");
  assert.ok(token, "the demo auth service issued no token");
  return token;
}

function regionsOf(psm: string): readonly string[] {
  const entry = DEMO_CATALOGUE.find((service) => service.psm === psm);
  assert.ok(entry, `${psm} is not in the catalogue`);
  return entry.regions;
}

// The catalogue

Deno.test("the demo catalogue holds at least 30 distinct PSMs, all in the contract's PSM format", () => {
  const psms = DEMO_CATALOGUE.map((service) => service.psm);

  assert.ok(psms.length >= 30, `only ${psms.length} PSMs`);
  assert.equal(new Set(psms).size, psms.length, "a PSM is listed twice");
  for (const psm of psms) assert.match(psm, PSM_FORMAT);
});

Deno.test("the demo catalogue has PSMs only in cn, only in us, and in both regions", () => {
  const key = (regions: readonly string[]) => [...regions].sort().join(",");
  const byRegions = Object.groupBy(DEMO_CATALOGUE, (service) => key(service.regions));

  assert.ok((byRegions["cn"]?.length ?? 0) >= 2, "too few cn-only PSMs");
  assert.ok((byRegions["us"]?.length ?? 0) >= 2, "too few us-only PSMs");
  assert.ok((byRegions["cn,us"]?.length ?? 0) >= 2, "too few PSMs in both regions");
  for (const service of DEMO_CATALOGUE) {
    assert.ok(service.regions.length > 0, `${service.psm} is in no region`);
    for (const region of service.regions) assert.ok(["cn", "us"].includes(region), region);
  }
});

Deno.test("the demo catalogue has several PSMs sharing a product.subsystem prefix", () => {
  const prefixes = Object.groupBy(
    DEMO_CATALOGUE,
    (service) => service.psm.split(".").slice(0, 2).join("."),
  );
  const shared = Object.entries(prefixes).filter(([, services]) => (services?.length ?? 0) >= 3);

  assert.ok(shared.length >= 3, `only ${shared.length} prefixes with three or more PSMs`);
  assert.ok((prefixes["oec.affiliate"]?.length ?? 0) >= 3);
});

Deno.test("every demo catalogue entry has the registry's optional fields filled in", () => {
  for (const service of DEMO_CATALOGUE) {
    assert.match(service.level, /^P[0-3]$/, service.psm);
    assert.ok(service.description.trim() !== "", service.psm);
    assert.ok(service.owners.trim() !== "", service.psm);
    assert.ok(!Number.isNaN(Date.parse(service.updated_at)), service.psm);
  }
});

// The auth service

Deno.test("the demo auth service issues a JWT in X-Jwt-Token that expires an hour from now", () => {
  const { clock, upstream } = demo();

  const response = upstream(authRequest("theme=dark; CAS_SESSION=demo-session; lang=en"));

  assert.equal(response.status, 200);
  const token = response.headers.get("X-Jwt-Token");
  assert.ok(token);
  assert.equal(token.split(".").length, 3);
  assert.equal(readExpiry(token), clock.now() + HOUR_MS);
  assert.equal(typeof readJwtClaims(token)?.iss, "string");
});

Deno.test("the demo auth service follows the clock", () => {
  const { clock, upstream } = demo();
  clock.advance(5 * HOUR_MS);

  const token = issueToken(upstream);

  assert.equal(readExpiry(token), clock.now() + HOUR_MS);
});

Deno.test("the demo auth service redirects to a login page without a CAS_SESSION cookie", () => {
  const { upstream } = demo();

  for (const cookie of [undefined, "", "theme=dark", "CAS_SESSION=", "XCAS_SESSION=abc"]) {
    const response = upstream(authRequest(cookie));
    assert.equal(response.status, 302, `cookie ${cookie}`);
    assert.ok(response.headers.get("location"), `cookie ${cookie}`);
    assert.equal(response.headers.get("x-jwt-token"), null, `cookie ${cookie}`);
  }
});

// The search endpoint

Deno.test("the demo search answers in the contract's body shape", async () => {
  const { upstream } = demo();
  const token = issueToken(upstream);

  const response = upstream(searchRequest(CN, "oec.affiliate.monitor", token));

  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.error_code, 0);
  assert.equal(body.error_type, "");
  assert.equal(body.error_message, "");
  assert.ok(Array.isArray(body.data));
  assert.equal(body.data.length, 1);
  const [service] = body.data;
  assert.equal(service.psm, "oec.affiliate.monitor");
  assert.equal(typeof service.node_id, "number");
  assert.equal(service.type, "thrift");
  assert.equal(service.framework, "kitex");
  assert.equal(service.service_chinese_name, "oec.affiliate.monitor");
  assert.equal(typeof service.description, "string");
  assert.equal(service.owners, "wangzhonghua.97");
  assert.equal(service.deployment_platform, "tce");
  assert.equal(service.level, "P2");
  assert.deepEqual(service.platform_types, { tce: "thrift" });
  assert.equal(service.updated_at, "2025-09-01T08:00:00Z");
  assert.equal("regions" in service, false);
});

Deno.test("the demo search returns the matching entries of the asked region only", async () => {
  const { upstream } = demo();
  const token = issueToken(upstream);

  for (const region of [CN, US]) {
    const response = upstream(searchRequest(region, "oec.affiliate", token));
    const body = await response.json();
    const psms: string[] = body.data.map((service: { psm: string }) => service.psm);

    const expected = DEMO_CATALOGUE
      .filter((service) => service.regions.includes(region.name))
      .filter((service) => service.psm.includes("oec.affiliate"))
      .map((service) => service.psm);
    assert.deepEqual(psms.toSorted(), expected.toSorted(), region.name);
    for (const psm of psms) assert.ok(regionsOf(psm).includes(region.name), psm);
  }
  const cn = searchCatalogue("cn", "oec.affiliate");
  const us = searchCatalogue("us", "oec.affiliate");
  assert.ok(cn.some((s) => s.psm === "oec.affiliate.commission"));
  assert.ok(!cn.some((s) => s.psm === "oec.affiliate.settlement"));
  assert.ok(us.some((s) => s.psm === "oec.affiliate.settlement"));
  assert.ok(!us.some((s) => s.psm === "oec.affiliate.commission"));
});

Deno.test("the demo search matches descriptions case-insensitively and nothing for a blank keyword", () => {
  const matches = searchCatalogue("cn", "SHOPPING CART");

  assert.deepEqual(matches.map((s) => s.psm), ["oec.trade.cart"]);
  assert.deepEqual(searchCatalogue("cn", "   "), []);
  assert.deepEqual(searchCatalogue("cn", "no.such.thing"), []);
});

Deno.test("the demo search answers 401 with error_code 401 without a token", async () => {
  const { upstream } = demo();

  const response = upstream(searchRequest(CN, "oec.live.room"));

  assert.equal(response.status, 401);
  const body = await response.json();
  assert.equal(body.error_code, 401);
  assert.equal(body.error_type, "AUTH_ERROR");
  assert.equal(body.data, undefined);
});

Deno.test("the demo search answers 401 with error_code 401 once the token has expired", async () => {
  const { clock, upstream } = demo();
  const token = issueToken(upstream);
  assert.equal(upstream(searchRequest(US, "tiktok.live", token)).status, 200);

  clock.advance(HOUR_MS);
  const response = upstream(searchRequest(US, "tiktok.live", token));

  assert.equal(response.status, 401);
  assert.equal((await response.json()).error_code, 401);
});

Deno.test("the demo search rejects a token it did not issue", async () => {
  const { clock, upstream } = demo();
  const foreign = jwtExpiringAt(clock.now() + HOUR_MS, { iss: "someone-else" });

  for (const token of [foreign, "not-a-jwt"]) {
    const response = upstream(searchRequest(CN, "oec.live.room", token));
    assert.equal(response.status, 401, token);
    assert.equal((await response.json()).error_code, 401, token);
  }
});

Deno.test("the demo upstream answers 404 to an unknown path", async () => {
  const { upstream } = demo();
  const token = issueToken(upstream);

  for (
    const url of [
      "https://cn.neptune.test/api/neptune/ms/service/list",
      "https://cn.neptune.test/",
      "https://cn.neptune.test/api/neptune/ms/service/searchAll?keyword=a",
      "https://elsewhere.test/api/neptune/ms/service/search?keyword=a",
      "https://auth.test/auth/api/v2/jwt",
    ]
  ) {
    const response = upstream(new Request(url, { headers: { "x-jwt-token": token } }));
    assert.equal(response.status, 404, url);
    await response.body?.cancel();
  }
});

Deno.test("the demo fetch answers without a network and honours an aborted signal", async () => {
  const clock = fakeClock();
  const fetch = createDemoFetch({ regions: [CN, US], authUrl: AUTH_URL, now: clock.now });

  const response = await fetch(AUTH_URL, { headers: { Cookie: "CAS_SESSION=demo" } });
  assert.equal(response.status, 200);
  assert.ok(response.headers.get("x-jwt-token"));

  const reason = new Error("cancelled");
  await assert.rejects(
    fetch(AUTH_URL, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});

// End to end

Deno.test("discovery over the demo fetch finds a demo PSM in both regions", async () => {
  const clock = fakeClock();
  const logger = recordingLogger();
  const regions = [CN, US];
  const fetch = createDemoFetch({ regions, authUrl: AUTH_URL, now: clock.now });
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret("demo-session") },
    fetch,
    now: clock.now,
    timeoutMs: 1_000,
    logger,
  });
  const discovery = createDiscovery({
    regions,
    tokenFor: () => tokens,
    fetch,
    now: clock.now,
    timeoutMs: 1_000,
    cacheTtlMs: 0,
    cacheMaxBytes: 64 * 1024 * 1024,
    concurrency: 8,
    logger,
  });

  const found = await discovery.search("oec.live.promotion");
  const candidates = await discovery.search("oec.affiliate");

  assert.deepEqual(regionsOf("oec.live.promotion"), ["cn", "us"]);
  assert.equal(found.status, "found");
  assert.equal(found.services.length, 1);
  assert.equal(found.services[0]!.psm, "oec.live.promotion");
  assert.deepEqual(found.services[0]!.regions, ["cn", "us"]);
  assert.deepEqual(found.services[0]!.owners, ["zhang.wei"]);
  assert.equal(found.services[0]!.level, "P0");
  assert.ok(found.outcomes.every((outcome) => outcome.ok));

  assert.equal(candidates.status, "candidates");
  const regionsByPsm = Object.fromEntries(candidates.services.map((s) => [s.psm, s.regions]));
  assert.deepEqual(regionsByPsm["oec.affiliate.settlement"], ["us"]);
  assert.deepEqual(regionsByPsm["oec.affiliate.commission"], ["cn"]);
  assert.deepEqual(regionsByPsm["oec.affiliate.api"], ["cn", "us"]);
  assert.equal(tokens.status().valid, true);
});
