import assert from "node:assert/strict";
import { createTokenProvider, type TokenProvider } from "../src/auth.ts";
import type { Region } from "../src/config/mod.ts";
import {
  createDiscovery,
  parseSearchAnswer,
  type RegionError,
  type RegionOutcome,
  searchRegion,
  selectMatches,
  type Service,
} from "../src/discovery/mod.ts";
import { Secret } from "../src/secret.ts";
import {
  AUTH_URL,
  authErrorAnswer,
  CN,
  fakeClock,
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  never,
  recordingLogger,
  searchAnswer,
  searchUrl,
  tokenAnswer,
  US,
} from "./fake_upstream.ts";
import { CAS_SESSION, discoveryOver } from "./discovery/harness.ts";

function failure(outcome: RegionOutcome | undefined): RegionError {
  assert.ok(outcome, "expected an outcome");
  assert.equal(outcome.ok, false, `expected region ${outcome.region} to fail`);
  return (outcome as Extract<RegionOutcome, { ok: false }>).error;
}

function servicesOf(outcome: RegionOutcome | undefined): readonly Service[] {
  assert.ok(outcome, "expected an outcome");
  assert.equal(outcome.ok, true, `expected region ${outcome.region} to answer`);
  return (outcome as Extract<RegionOutcome, { ok: true }>).services;
}

function errorAnswer(errorCode: number, errorMessage: string, status = 200): Response {
  return Response.json({
    error_code: errorCode,
    error_type: "INTERNAL_ERROR",
    error_message: errorMessage,
  }, { status });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The request

Deno.test("search sends GET {base}/api/neptune/ms/service/search with keyword, search_type=all and the JWT", async () => {
  const { upstream, discovery, issued, searches } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  await discovery.search("oec.affiliate.monitor");

  upstream.assertNoUnexpected();
  assert.equal(issued.length, 1);
  for (const region of [CN, US]) {
    const [request, ...more] = searches(region);
    assert.ok(request, `no search sent to ${region.name}`);
    assert.equal(more.length, 0);
    assert.equal(request.method, "GET");
    const url = new URL(request.url);
    assert.equal(`${url.origin}${url.pathname}`, searchUrl(region));
    assert.deepEqual([...url.searchParams], [
      ["keyword", "oec.affiliate.monitor"],
      ["search_type", "all"],
    ]);
    assert.equal(request.headers.get("x-jwt-token"), issued[0]);
  }
});

Deno.test("search URL-encodes a keyword with spaces, an ampersand and non-ASCII characters", async () => {
  const keyword = "live promo & 直播 ünï=1#x";
  const { upstream, discovery, searches } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  await discovery.search(keyword);

  upstream.assertNoUnexpected();
  for (const region of [CN, US]) {
    const [request] = searches(region);
    const url = new URL(request.url);
    assert.equal(url.hash, "");
    assert.deepEqual([...url.searchParams], [["keyword", keyword], ["search_type", "all"]]);
    assert.doesNotMatch(url.search, /[ 直ü]/);
  }
});

Deno.test("search keeps the path prefix of a region base URL", async () => {
  const prefixed: Region = { name: "cn", baseUrl: "https://gateway.test/neptune/cn" };
  const { upstream, discovery } = discoveryOver([
    {
      url: "https://gateway.test/neptune/cn/api/neptune/ms/service/search",
      query: { keyword: "oec.live.room", search_type: "all" },
      respond: () => searchAnswer([{ psm: "oec.live.room" }]),
    },
  ], { regions: [prefixed] });

  const result = await discovery.search("oec.live.room");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  assert.deepEqual(result.services.map((s) => s.regions), [["cn"]]);
});

Deno.test("search queries both regions concurrently", async () => {
  const bothArrived = deferred();
  let arrived = 0;
  const waitForBoth = async (psm: string) => {
    if (++arrived === 2) bothArrived.resolve();
    await bothArrived.promise;
    return searchAnswer([{ psm }]);
  };
  // Were the regions searched one after the other, the first would time out.
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => waitForBoth("oec.cn.only") },
    { url: searchUrl(US), respond: () => waitForBoth("oec.us.only") },
  ], { timeoutMs: 1_000 });

  const result = await discovery.search("oec");

  upstream.assertNoUnexpected();
  assert.equal(arrived, 2);
  assert.deepEqual(result.outcomes.map((o) => o.ok), [true, true]);
  assert.deepEqual(result.services.map((s) => s.psm).sort(), ["oec.cn.only", "oec.us.only"]);
});

// Selecting matches

Deno.test("search prefers an exact PSM match over fuzzy candidates and lists every region it is in", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () =>
        searchAnswer([
          { psm: "oec.live.promotion_admin" },
          { psm: "oec.live.promotion", owners: "zhang.wei", level: "P0" },
          { psm: "oec.live.promotion_job" },
        ]),
    },
    {
      url: searchUrl(US),
      respond: () => searchAnswer([{ psm: "oec.live.promotion" }, { psm: "oec.live.promotions" }]),
    },
  ]);

  const result = await discovery.search("oec.live.promotion");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  assert.equal(result.keyword, "oec.live.promotion");
  assert.equal(result.services.length, 1);
  const [service] = result.services;
  assert.equal(service.psm, "oec.live.promotion");
  assert.deepEqual(service.regions, ["cn", "us"]);
  assert.deepEqual(service.owners, ["zhang.wei"]);
  assert.equal(service.level, "P0");
  assert.equal(result.totalMatches, 4);
});

Deno.test("search reports an exact match found in one region only with that region alone", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "oec.trade.order_v2" }]) },
    { url: searchUrl(US), respond: () => searchAnswer([{ psm: "oec.trade.order" }]) },
  ]);

  const result = await discovery.search("oec.trade.order");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  assert.deepEqual(result.services.map((s) => [s.psm, s.regions]), [["oec.trade.order", ["us"]]]);
});

Deno.test("search merges fuzzy candidates from both regions by PSM with the regions of each", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () =>
        searchAnswer([
          { psm: "oec.affiliate.api", description: "cn description" },
          { psm: "oec.affiliate.commission" },
          { psm: "oec.affiliate.api" },
        ]),
    },
    {
      url: searchUrl(US),
      respond: () =>
        searchAnswer([{ psm: "oec.affiliate.settlement" }, { psm: "oec.affiliate.api" }]),
    },
  ]);

  const result = await discovery.search("oec.affiliate");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "candidates");
  assert.equal(result.totalMatches, 3);
  assert.deepEqual(result.services.map((s) => [s.psm, s.regions]), [
    ["oec.affiliate.api", ["cn", "us"]],
    ["oec.affiliate.commission", ["cn"]],
    ["oec.affiliate.settlement", ["us"]],
  ]);
  assert.equal(result.services[0].description, "cn description");
});

Deno.test("candidates that start with the keyword come first, then shorter PSMs, then alphabetical order", () => {
  const outcomes: RegionOutcome[] = [
    {
      region: "cn",
      ok: true,
      services: [
        { psm: "x.live.bb", owners: [] },
        { psm: "live.promotion.center", owners: [] },
        { psm: "a.live.long_name", owners: [] },
        { psm: "x.live.aa", owners: [] },
      ],
    },
    {
      region: "us",
      ok: true,
      services: [{ psm: "live.a.b", owners: [] }, { psm: "y.live.a", owners: [] }],
    },
  ];

  const result = selectMatches("live", outcomes, { maxCandidates: 20 });

  assert.equal(result.status, "candidates");
  assert.deepEqual(result.services.map((s) => s.psm), [
    "live.a.b",
    "live.promotion.center",
    "y.live.a",
    "x.live.aa",
    "x.live.bb",
    "a.live.long_name",
  ]);
});

Deno.test("candidates with a segment starting with the keyword rank before those merely containing it", () => {
  const outcomes: RegionOutcome[] = [{
    region: "cn",
    ok: true,
    services: [
      { psm: "a.xpromo.b", owners: [] },
      { psm: "ad.promotion.delivery", owners: [] },
      { psm: "PROMO.upper.case", owners: [] },
    ],
  }];

  const result = selectMatches("promo", outcomes, { maxCandidates: 20 });

  assert.deepEqual(result.services.map((s) => s.psm), [
    "PROMO.upper.case",
    "ad.promotion.delivery",
    "a.xpromo.b",
  ]);
});

Deno.test("search shows at most 20 candidates by default and counts every distinct match", async () => {
  const psm = (i: number) => `svc.match.n${String(i).padStart(2, "0")}`;
  const range = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => ({ psm: psm(from + k) }));
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer(range(0, 15)) },
    { url: searchUrl(US), respond: () => searchAnswer(range(10, 25)) },
  ]);

  const result = await discovery.search("svc.match");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "candidates");
  assert.equal(result.totalMatches, 25);
  assert.equal(result.services.length, 20);
  assert.deepEqual(result.services.map((s) => s.psm), range(0, 20).map((s) => s.psm));
  assert.deepEqual(result.services[0].regions, ["cn"]);
  assert.deepEqual(result.services[12].regions, ["cn", "us"]);
  assert.deepEqual(result.services[19].regions, ["us"]);
});

Deno.test("search honours a smaller maxCandidates", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () => searchAnswer([{ psm: "a.b.c1" }, { psm: "a.b.c2" }, { psm: "a.b.c3" }]),
    },
    { url: searchUrl(US), respond: () => searchAnswer([{ psm: "a.b.c4" }]) },
  ], { maxCandidates: 2 });

  const result = await discovery.search("a.b");

  upstream.assertNoUnexpected();
  assert.deepEqual(result.services.map((s) => s.psm), ["a.b.c1", "a.b.c2"]);
  // cn's answer was cut to its first 2 PSMs: the third might have been us's a.b.c4, so 3 is
  // what is known (a lower bound); each region's own count is whole.
  assert.equal(result.totalMatches, 3);
  assert.deepEqual(result.outcomes.map((outcome) => outcome.ok && outcome.matches), [3, 1]);
});

Deno.test("search reports not_found when every region answers with an empty, null or missing data field", async () => {
  const bodies = [
    { error_code: 0, error_type: "", error_message: "", data: [] },
    { error_code: 0, error_type: "", error_message: "", data: null },
    { error_code: 0 },
  ];
  for (const cnBody of bodies) {
    for (const usBody of bodies) {
      const { upstream, discovery } = discoveryOver([
        { url: searchUrl(CN), respond: () => Response.json(cnBody) },
        { url: searchUrl(US), respond: () => Response.json(usBody) },
      ]);

      const result = await discovery.search("no.such.psm");

      upstream.assertNoUnexpected();
      const label = `${JSON.stringify(cnBody)} / ${JSON.stringify(usBody)}`;
      assert.equal(result.status, "not_found", label);
      assert.deepEqual(result.services, [], label);
      assert.equal(result.totalMatches, 0, label);
      assert.deepEqual(result.outcomes.map((o) => [o.region, o.ok]), [["cn", true], ["us", true]]);
    }
  }
});

Deno.test("search reports not_found when one region finds nothing and the other fails", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => new Response("down", { status: 503 }) },
  ]);

  const result = await discovery.search("no.such.psm");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "not_found");
  assert.equal(failure(result.outcomes[1]).kind, "http_status");
});

// One region failing

const regionFailures: {
  readonly name: string;
  readonly respond: () => Response | Promise<Response>;
  readonly kind: RegionError["kind"];
  readonly message: RegExp;
}[] = [
  {
    name: "an HTTP 500",
    respond: () => new Response("Internal Server Error", { status: 500 }),
    kind: "http_status",
    message: /HTTP 500/,
  },
  {
    name: "an HTTP 502 with an upstream error body",
    respond: () => errorAnswer(502, "bad gateway upstream", 502),
    kind: "http_status",
    message: /HTTP 502.*bad gateway upstream/,
  },
  {
    name: "a timeout",
    respond: never,
    kind: "timeout",
    message: /did not answer within 30 ms/,
  },
  {
    name: "a network error",
    respond: () => {
      throw new TypeError("error sending request: connection refused");
    },
    kind: "network",
    message: /could not be reached.*connection refused/,
  },
  {
    name: "a body that is not JSON",
    respond: () => new Response("<html>maintenance</html>", { status: 200 }),
    kind: "invalid_body",
    message: /not a JSON object/,
  },
  {
    name: "a JSON body that is not an object",
    respond: () => Response.json([{ psm: "oec.live.room" }]),
    kind: "invalid_body",
    message: /not a JSON object/,
  },
  {
    name: "error_code 500 with an error_message",
    respond: () => errorAnswer(500, "database unavailable"),
    kind: "upstream_error",
    message: /error_code 500.*INTERNAL_ERROR: database unavailable/,
  },
  {
    name: "a data field that is not a list",
    respond: () => Response.json({ error_code: 0, data: { psm: "oec.live.room" } }),
    kind: "invalid_body",
    message: /data field that is not a list/,
  },
];

for (const { name, respond, kind, message } of regionFailures) {
  Deno.test(`search still reports the other region's answer when one region fails with ${name}`, async () => {
    const { upstream, discovery, logger } = discoveryOver([
      { url: searchUrl(CN), respond },
      { url: searchUrl(US), respond: () => searchAnswer([{ psm: "oec.live.room" }]) },
    ], { timeoutMs: 30 });

    const result = await discovery.search("oec.live.room", { waitAllRegions: true });

    upstream.assertNoUnexpected();
    assert.equal(result.status, "found");
    assert.deepEqual(result.services.map((s) => [s.psm, s.regions]), [["oec.live.room", ["us"]]]);
    const error = failure(result.outcomes[0]);
    assert.equal(error.name, "RegionError");
    assert.equal(error.region, "cn");
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    assert.deepEqual(servicesOf(result.outcomes[1]).map((s) => s.psm), ["oec.live.room"]);
    assert.ok(
      logger.lines.some((line) => line.startsWith("warn Region cn failed for oec.live.room")),
      logger.lines.join("\n"),
    );
  });
}

Deno.test("search reports failed when every region fails", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => new Response("oops", { status: 500 }) },
    { url: searchUrl(US), respond: () => errorAnswer(500, "database unavailable") },
  ]);

  const result = await discovery.search("oec.live.room");

  upstream.assertNoUnexpected();
  assert.equal(result.status, "failed");
  assert.deepEqual(result.services, []);
  assert.equal(result.totalMatches, 0);
  assert.deepEqual(result.outcomes.map((o) => failure(o).kind), ["http_status", "upstream_error"]);
});

// Authentication

for (const status of [401, 200]) {
  Deno.test(`search refreshes the JWT once and retries once after an auth error with HTTP ${status}`, async () => {
    let usCalls = 0;
    const { upstream, discovery, issued, searches } = discoveryOver([
      { url: searchUrl(CN), respond: () => searchAnswer([]) },
      {
        url: searchUrl(US),
        respond: () => ++usCalls === 1 ? authErrorAnswer(status) : searchAnswer([{ psm: "a.b.c" }]),
      },
    ]);

    const result = await discovery.search("a.b.c");

    upstream.assertNoUnexpected();
    assert.equal(result.status, "found");
    assert.deepEqual(result.services[0].regions, ["us"]);
    assert.equal(upstream.count(AUTH_URL), 2);
    assert.equal(issued.length, 2);
    assert.notEqual(issued[0], issued[1]);
    const [first, retry, ...more] = searches(US);
    assert.equal(more.length, 0);
    assert.equal(first.headers.get("x-jwt-token"), issued[0]);
    assert.equal(retry.headers.get("x-jwt-token"), issued[1]);
    assert.equal(searches(CN).length, 1);
  });
}

Deno.test("search fails a region with kind auth when the retry with a fresh JWT is rejected too", async () => {
  const { upstream, discovery, issued, searches } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
    { url: searchUrl(US), respond: () => authErrorAnswer(401) },
  ]);

  const result = await discovery.search("a.b.c", { waitAllRegions: true });

  upstream.assertNoUnexpected();
  assert.equal(result.status, "found");
  const error = failure(result.outcomes[1]);
  assert.equal(error.kind, "auth");
  assert.equal(error.region, "us");
  assert.match(error.message, /rejected a freshly issued JWT/);
  assert.equal(upstream.count(AUTH_URL), 2);
  assert.deepEqual(searches(US).map((r) => r.headers.get("x-jwt-token")), issued);
});

Deno.test("search fails a region with kind auth when the JWT refresh itself fails", async () => {
  let authCalls = 0;
  const clock = fakeClock();
  const logger = recordingLogger();
  const upstream = fakeUpstream([
    {
      url: AUTH_URL,
      respond: () =>
        ++authCalls === 1
          ? tokenAnswer(jwtExpiringAt(clock.now() + HOUR_MS))
          : new Response(null, { status: 302, headers: { location: "https://sso.test/login" } }),
    },
    { url: searchUrl(CN), respond: () => authErrorAnswer(401) },
  ]);
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret(CAS_SESSION) },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 1_000,
    logger,
  });

  const outcome = await searchRegion(CN, "a.b.c", {
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    timeoutMs: 1_000,
    logger,
  });

  upstream.assertNoUnexpected();
  const error = failure(outcome);
  assert.equal(error.kind, "auth");
  assert.match(error.message, /CAS_SESSION is expired or invalid/);
  assert.equal(upstream.count(AUTH_URL), 2);
  assert.equal(upstream.count(searchUrl(CN)), 1);
});

Deno.test("search without a credential fails every region with kind auth and sends no request", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
    { url: searchUrl(US), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
  ], { credential: null });

  const result = await discovery.search("a.b.c");

  assert.equal(upstream.requests.length, 0);
  assert.equal(result.status, "failed");
  for (const outcome of result.outcomes) {
    const error = failure(outcome);
    assert.equal(error.kind, "auth");
    assert.match(error.message, /CAS_SESSION is not set/);
  }
});

Deno.test("search reuses one JWT across regions and searches while it is valid", async () => {
  const { upstream, discovery, issued, clock } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  await discovery.search("a");
  clock.advance(30 * 60 * 1000);
  await discovery.search("b");

  upstream.assertNoUnexpected();
  assert.equal(issued.length, 1);
  assert.equal(upstream.count(searchUrl(CN)) + upstream.count(searchUrl(US)), 4);
  assert.ok(
    upstream.requests.every((r) =>
      !r.url.includes("neptune") || r.headers.get("x-jwt-token") === issued[0]
    ),
  );
});

// Parsing

Deno.test("parseSearchAnswer ignores unknown fields, skips entries without a PSM and splits owners", () => {
  const body = {
    error_code: 0,
    error_type: "",
    error_message: "",
    request_id: "abc",
    data: [
      {
        psm: " oec.affiliate.monitor ",
        node_id: 9439321,
        type: "thrift",
        framework: "kitex",
        service_chinese_name: "联盟监控",
        description: "Affiliate monitoring",
        owners: "wangzhonghua.97, li.na,,",
        deployment_platform: "tce",
        level: "P2",
        platform_types: { tce: "thrift" },
        updated_at: "2025-09-01T08:00:00Z",
        brand_new_field: { nested: true },
      },
      { description: "no psm here", owners: "x" },
      { psm: "" },
      { psm: "   " },
      { psm: null },
      "oec.not.an.object",
      null,
      { psm: "toutiao.user.info" },
    ],
  };

  const answer = parseSearchAnswer({ status: 200, text: JSON.stringify(body) }, { region: "cn" });

  assert.ok(answer !== "auth_rejected");
  const { services } = answer;
  assert.deepEqual(services.map((s) => s.psm), ["oec.affiliate.monitor", "toutiao.user.info"]);
  const [full, bare] = services;
  assert.deepEqual(full.owners, ["wangzhonghua.97", "li.na"]);
  assert.equal(full.description, "Affiliate monitoring");
  assert.equal(full.chineseName, "联盟监控");
  assert.equal(full.framework, "kitex");
  assert.equal(full.type, "thrift");
  assert.equal(full.deploymentPlatform, "tce");
  assert.equal(full.level, "P2");
  assert.equal(full.updatedAt, "2025-09-01T08:00:00Z");
  assert.equal("brand_new_field" in full, false);
  assert.equal("node_id" in full, false);
  assert.deepEqual(bare.owners, []);
  for (
    const field of [
      "description",
      "chineseName",
      "framework",
      "type",
      "deploymentPlatform",
      "level",
      "updatedAt",
    ] as const
  ) {
    assert.equal(bare[field], undefined, field);
  }
});

Deno.test("parseSearchAnswer accepts owners given as a list", () => {
  const answer = parseSearchAnswer({
    status: 200,
    text: JSON.stringify({ error_code: 0, data: [{ psm: "a.b.c", owners: ["x", " y ", "", 3] }] }),
  }, { region: "cn" });

  assert.ok(answer !== "auth_rejected");
  assert.deepEqual(answer.services[0].owners, ["x", "y", "3"]);
});

Deno.test("parseSearchAnswer treats HTTP 401 and error_code 401 as a rejected JWT", () => {
  assert.equal(
    parseSearchAnswer({ status: 401, text: "Unauthorized" }, { region: "cn" }),
    "auth_rejected",
  );
  assert.equal(parseSearchAnswer({ status: 401, text: "" }, { region: "cn" }), "auth_rejected");
  assert.equal(
    parseSearchAnswer({
      status: 200,
      text: JSON.stringify({ error_code: 401, error_type: "AUTH_ERROR" }),
    }, { region: "cn" }),
    "auth_rejected",
  );
  assert.equal(
    parseSearchAnswer({ status: 200, text: JSON.stringify({ error_code: "401" }) }, {
      region: "cn",
    }),
    "auth_rejected",
  );
});

Deno.test("parseSearchAnswer throws a RegionError naming the region and the reason", () => {
  assert.throws(
    () =>
      parseSearchAnswer({
        status: 200,
        text: JSON.stringify({ error_code: 500, error_message: "boom" }),
      }, { region: "us" }),
    (error: RegionError) => {
      assert.equal(error.name, "RegionError");
      assert.equal(error.region, "us");
      assert.equal(error.kind, "upstream_error");
      assert.equal(error.message, "answered error_code 500 (boom)");
      return true;
    },
  );
  assert.throws(() => parseSearchAnswer({ status: 200, text: "null" }, { region: "us" }), {
    kind: "invalid_body",
  });
  assert.throws(() => parseSearchAnswer({ status: 404, text: "{}" }, { region: "us" }), {
    kind: "http_status",
    message: "answered HTTP 404",
  });
});

Deno.test("a JWT in an upstream error_message is redacted from the region's error", async () => {
  const leaked = jwtExpiringAt(Date.UTC(2030, 0, 1), { sub: "someone.else" });
  const { upstream, discovery, logger } = discoveryOver([
    { url: searchUrl(CN), respond: () => errorAnswer(500, `token ${leaked} is not allowed here`) },
    { url: searchUrl(US), respond: () => errorAnswer(503, `bad token=${leaked}`, 503) },
  ]);

  const result = await discovery.search("a.b.c");

  upstream.assertNoUnexpected();
  const [cnError, usError] = result.outcomes.map(failure);
  assert.equal(cnError.kind, "upstream_error");
  assert.equal(cnError.message.includes(leaked), false);
  assert.match(cnError.message, /token \[redacted\] is not allowed here/);
  assert.equal(usError.kind, "http_status");
  assert.equal(usError.message.includes(leaked), false);
  assert.match(usError.message, /\[redacted\]/);
  assert.equal(logger.lines.some((line) => line.includes(leaked)), false);
});

Deno.test("a very long upstream error_message is shortened in the region's error", () => {
  const text = JSON.stringify({ error_code: 500, error_message: "x".repeat(1_000) });

  assert.throws(
    () => parseSearchAnswer({ status: 200, text }, { region: "cn" }),
    (error: RegionError) => {
      assert.equal(error.kind, "upstream_error");
      assert.ok(error.message.length < 300, `message is ${error.message.length} characters`);
      assert.ok(error.message.includes("…"));
      return true;
    },
  );
});

// searchMany

Deno.test("searchMany searches duplicates once and returns the results in the order given", async () => {
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: (request) => {
        const keyword = new URL(request.url).searchParams.get("keyword") ?? "";
        return searchAnswer(keyword === "b.b.b" ? [{ psm: "b.b.b" }] : []);
      },
    },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  const results = await discovery.searchMany(["c.c.c", "b.b.b", "c.c.c", "a.a.a", "b.b.b"]);

  upstream.assertNoUnexpected();
  assert.deepEqual(results.map((r) => r.keyword), ["c.c.c", "b.b.b", "a.a.a"]);
  assert.deepEqual(results.map((r) => r.status), ["not_found", "found", "not_found"]);
  assert.equal(upstream.count(searchUrl(CN)), 3);
  assert.equal(upstream.count(searchUrl(US)), 3);
  assert.equal(upstream.count(AUTH_URL), 1);
});

Deno.test("searchMany reports progress once per distinct keyword with done and total", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);
  const progress: [number, number][] = [];

  await discovery.searchMany(["a", "b", "a", "c"], {
    onProgress: (done, total) => progress.push([done, total]),
  });

  upstream.assertNoUnexpected();
  assert.deepEqual(progress, [[1, 3], [2, 3], [3, 3]]);
});

Deno.test("searchMany searches at most batchConcurrency keywords at a time", async () => {
  const inFlight = new Map<string, number>();
  let maxInFlight = 0;
  const respond = async (request: Request) => {
    const keyword = new URL(request.url).searchParams.get("keyword") ?? "";
    inFlight.set(keyword, (inFlight.get(keyword) ?? 0) + 1);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    await delay(5);
    const left = (inFlight.get(keyword) ?? 1) - 1;
    if (left === 0) inFlight.delete(keyword);
    else inFlight.set(keyword, left);
    return searchAnswer([]);
  };
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond },
    { url: searchUrl(US), respond },
  ], { batchConcurrency: 2 });
  const keywords = ["k1", "k2", "k3", "k4", "k5", "k6"];

  const results = await discovery.searchMany(keywords);

  upstream.assertNoUnexpected();
  assert.deepEqual(results.map((r) => r.keyword), keywords);
  assert.equal(maxInFlight, 2);
  assert.equal(upstream.count(searchUrl(CN)), 6);
});

Deno.test("searchMany still searches every keyword when batchConcurrency is below one", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ], { batchConcurrency: 0 });

  const results = await discovery.searchMany(["k1", "k2"]);

  assert.deepEqual(results.map((r) => [r.keyword, r.status]), [
    ["k1", "not_found"],
    ["k2", "not_found"],
  ]);
  assert.equal(upstream.count(searchUrl(CN)), 2);
});

Deno.test("searchMany rejects with the abort reason when its signal is aborted mid-search", async () => {
  const arrived = deferred();
  const { upstream, discovery } = discoveryOver([
    {
      url: searchUrl(CN),
      respond: () => {
        arrived.resolve();
        return never();
      },
    },
    { url: searchUrl(US), respond: never },
  ]);
  const controller = new AbortController();
  const reason = new Error("The client cancelled the request");

  const searching = discovery.searchMany(["a.b.c", "d.e.f"], { signal: controller.signal });
  await arrived.promise;
  controller.abort(reason);

  await assert.rejects(searching, (error) => error === reason);
  upstream.assertNoUnexpected();
});

Deno.test("searchMany rejects with the abort reason and sends no search when the signal is already aborted", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);
  const reason = new Error("Cancelled before it started");

  await assert.rejects(
    discovery.searchMany(["a.b.c"], { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(upstream.count(searchUrl(CN)) + upstream.count(searchUrl(US)), 0);
  upstream.assertNoUnexpected();
});

// selectMatches alone

Deno.test("selectMatches reports failed only when no region answered", () => {
  const error = (region: string) =>
    ({ region, ok: false, error: new Error("x") as RegionError }) as const;

  assert.equal(
    selectMatches("a", [error("cn"), error("us")], { maxCandidates: 5 }).status,
    "failed",
  );
  assert.equal(
    selectMatches("a", [error("cn"), { region: "us", ok: true, services: [] }], {
      maxCandidates: 5,
    }).status,
    "not_found",
  );
  assert.equal(selectMatches("a", [], { maxCandidates: 5 }).status, "failed");
});

Deno.test("a batch of 100 keywords against a region that never answers costs at most 8 timeouts", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: never },
  ], { timeoutMs: 20, batchConcurrency: 4 });
  const keywords = Array.from({ length: 100 }, (_, i) => `k${i}`);

  const results = await discovery.searchMany(keywords);

  upstream.assertNoUnexpected();
  // Two rounds of 4 keywords in flight together: the 5th timeout opens the circuit, and the
  // 3 requests already in flight beside it run out their time limit.
  assert.equal(upstream.count(searchUrl(US)), 8, "asked until its circuit opened");
  assert.equal(upstream.count(searchUrl(CN)), 100, "the healthy region was asked every time");
  const usErrors = results.map((r) => failure(r.outcomes[1]));
  assert.equal(usErrors.filter((e) => !e.skipped).length, 8);
  assert.ok(usErrors.slice(0, 8).every((e) => e.message === "did not answer within 20 ms"));
  for (const error of usErrors.slice(8)) {
    assert.equal(error.kind, "timeout");
    assert.equal(error.skipped, true);
    assert.match(
      error.message,
      /^skipped until 00:00:30 UTC: failed [5-8] times in a row \(last: did not answer within 20 ms\)$/,
    );
  }
  assert.ok(results.every((r) => r.status === "not_found"));
  const [cn, us] = discovery.health();
  assert.deepEqual([cn.name, cn.state, cn.consecutiveFailures], ["cn", "closed", 0]);
  assert.deepEqual([us.name, us.state, us.consecutiveFailures], ["us", "open", 8]);
  assert.deepEqual(us.openUntil, new Date(Date.UTC(2026, 0, 1, 0, 0, 30)));
  assert.equal(us.lastOutcome, "timeout");
});

Deno.test("searchMany keeps asking a region that answers with errors that are not outages", async () => {
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => errorAnswer(404, "no such index", 404) },
  ], { batchConcurrency: 1 });

  await discovery.searchMany(["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);

  assert.equal(upstream.count(searchUrl(US)), 7);
  assert.equal(discovery.health()[1].state, "closed");
});

Deno.test("the JWT the request carried is redacted from an upstream error, even when opaque", () => {
  assert.throws(
    () =>
      parseSearchAnswer({
        status: 500,
        text: JSON.stringify({ error_code: 500, error_message: "token opaque-42 is unknown" }),
      }, { region: "cn", token: "opaque-42" }),
    (error: RegionError) => {
      assert.match(error.message, /token \[redacted\] is unknown/);
      return true;
    },
  );
});

Deno.test("each registry request is logged at debug with region, status, keyword and time, never the JWT", async () => {
  const { discovery, logger, issued } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
    { url: searchUrl(US), respond: () => searchAnswer([]) },
  ]);

  await discovery.search("a.b.c");

  assert.ok(
    logger.lines.some((line) =>
      /^debug Region cn answered HTTP 200 for a\.b\.c in \d+ ms/.test(line)
    ),
    logger.lines.join("\n"),
  );
  assert.ok(logger.lines.every((line) => !line.includes(issued[0])));
});

Deno.test("a batch against an auth service that does not answer costs one auth request", async () => {
  const clock = fakeClock();
  const logger = recordingLogger();
  const upstream = fakeUpstream([{ url: AUTH_URL, respond: never }]);
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret(CAS_SESSION) },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 20,
    logger,
  });
  const discovery = createDiscovery({
    regions: [CN, US],
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 20,
    logger,
    batchConcurrency: 2,
  });

  const results = await discovery.searchMany(Array.from({ length: 10 }, (_, i) => `k${i}`));

  upstream.assertNoUnexpected();
  assert.equal(upstream.count(AUTH_URL), 1);
  assert.ok(results.every((r) => r.status === "failed"));
  assert.match(failure(results[9].outcomes[0]).message, /did not answer within 20 ms/);
});

Deno.test("searchMany does not ask again a region that rejected a freshly issued JWT", async () => {
  const { upstream, discovery, issued } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => authErrorAnswer() },
  ], { batchConcurrency: 1 });

  const results = await discovery.searchMany(["k1", "k2", "k3"]);

  assert.equal(upstream.count(searchUrl(US)), 2, "the first keyword's try and retry only");
  assert.equal(issued.length, 2, "one token, one refresh");
  assert.match(
    failure(results[2].outcomes[1]).message,
    /^skipped until 00:00:30 UTC: rejected a freshly issued JWT/,
  );
});

for (const pause of [0, 31_000]) {
  Deno.test(`with cn accepting and us refusing every JWT, 5 searches ${pause ? "30 s apart " : ""}make at most 2 auth requests`, async () => {
    const { upstream, discovery, clock } = discoveryOver([
      { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
      { url: searchUrl(US), respond: () => authErrorAnswer() },
    ]);

    for (let i = 0; i < 5; i++) {
      const result = await discovery.search("a.b.c", { waitAllRegions: true });
      assert.equal(result.status, "found", `search ${i + 1}`);
      assert.deepEqual(result.services[0].regions, ["cn"]);
      assert.match(failure(result.outcomes[1]).message, /rejected a freshly issued JWT/);
      clock.advance(pause);
    }

    upstream.assertNoUnexpected();
    assert.ok(upstream.count(AUTH_URL) <= 2, `${upstream.count(AUTH_URL)} auth requests`);
    assert.equal(upstream.count(searchUrl(CN)), 5);
  });
}

Deno.test("an unexpected exception for one keyword does not make the rest of a batch skip the region", async () => {
  let calls = 0;
  const tokens: TokenProvider = {
    getToken: () =>
      ++calls === 1 ? Promise.reject(new TypeError("a bug")) : Promise.resolve("opaque-token"),
    invalidate() {},
    status: () => ({ configured: true, valid: true }),
  };
  const { upstream, discovery } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
    { url: searchUrl(US), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
  ], { tokens, batchConcurrency: 1 });

  const results = await discovery.searchMany(["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);

  upstream.assertNoUnexpected();
  assert.equal(failure(results[0].outcomes[0]).kind, "internal");
  assert.ok(results.slice(1).every((r) => r.outcomes.every((o) => o.ok)));
  assert.equal(upstream.count(searchUrl(CN)), 6);
  assert.equal(discovery.health()[0].state, "closed");
});
