import assert from "node:assert/strict";
import { createTokenProvider, type TokenProvider } from "../../src/auth.ts";
import type { Region } from "../../src/config/mod.ts";
import { createRegionSearch, parseSearchAnswer } from "../../src/discovery/region_search.ts";
import { Secret } from "../../src/secret.ts";
import type { Fetch } from "../../src/upstream.ts";
import {
  AUTH_URL,
  authErrorAnswer,
  CN,
  errorAnswer,
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
} from "../fake_upstream.ts";
import { errorOf, servicesOf } from "./fake_search.ts";
import type { RegionError } from "../../src/discovery/mod.ts";
import { CAS_SESSION, discoveryOver } from "./harness.ts";

const JWT = "header.payload-of-the-test-jwt.signature";

/** A token provider that always gives `token`, or throws `error` when given one. */
function fixedTokens(token: string, error?: unknown): TokenProvider {
  return {
    getToken: () => error === undefined ? Promise.resolve(token) : Promise.reject(error),
    invalidate() {},
    status: () => ({ configured: true, valid: true }),
  };
}

function searchOnce(region: Region, fetch: Fetch, tokens = fixedTokens(JWT)) {
  const logger = recordingLogger();
  const outcome = createRegionSearch({ tokenFor: () => tokens, fetch, timeoutMs: 5_000, logger })(
    region,
    "a.b.c",
  );
  return { outcome, logger };
}

// Redirects

Deno.test("a region answering 302 to another origin fails naming that origin, and the JWT never goes there", async () => {
  const reachedTarget: Request[] = [];
  const target = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    reachedTarget.push(request);
    return searchAnswer([{ psm: "a.b.c" }]);
  });
  const targetUrl = `http://127.0.0.1:${target.addr.port}`;
  const region = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(null, {
        status: 302,
        headers: { location: `${targetUrl}/login?service=neptune&ticket=ST-secret-ticket` },
      }),
  );
  try {
    const { outcome } = searchOnce(
      { name: "cn", baseUrl: `http://127.0.0.1:${region.addr.port}` },
      fetch,
    );

    const error = errorOf(await outcome);
    assert.equal(reachedTarget.length, 0, "the redirect was not followed");
    assert.equal(error.kind, "redirect");
    assert.equal(error.message, `redirected to ${targetUrl}: check the region's URL`);
  } finally {
    await Promise.all([target.shutdown(), region.shutdown()]);
  }
});

Deno.test("a redirect within the region's own origin is not followed either", async () => {
  const upstream = fakeUpstream([{
    url: searchUrl(CN),
    respond: () => new Response(null, { status: 307, headers: { location: "/sso/login" } }),
  }]);

  const error = errorOf(await searchOnce(CN, upstream.fetch).outcome);

  assert.equal(error.message, "redirected to https://cn.neptune.test: check the region's URL");
  assert.equal(upstream.requests.length, 1);
  assert.equal(upstream.requests[0]!.redirect, "manual");
});

Deno.test("a redirect with no usable location, or a fetch's opaque status 0, fails as redirected elsewhere", async () => {
  const answers = [
    () => new Response(null, { status: 301 }),
    () => new Response(null, { status: 302, headers: { location: "http://[bad" } }),
    // A spec-following fetch reports a redirect it did not follow as status 0, like this one.
    () => Response.error(),
  ];
  for (const respond of answers) {
    const upstream = fakeUpstream([{ url: searchUrl(CN), respond }]);

    const error = errorOf(await searchOnce(CN, upstream.fetch).outcome);

    assert.equal(error.kind, "redirect");
    assert.equal(error.message, "redirected elsewhere: check the region's URL");
  }
});

// Unexpected exceptions

Deno.test("an unexpected exception is kind internal, its stack logged at debug, not a network error", async () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
  const upstream = fakeUpstream([]);

  const { outcome, logger } = searchOnce(CN, upstream.fetch, fixedTokens(JWT, bug));

  const error = errorOf(await outcome);
  assert.equal(error.kind, "internal");
  assert.equal(error.cause, bug);
  assert.equal(
    error.message,
    "failed unexpectedly: try again, and report it if it persists (details in the log at DEBUG)",
  );
  const line = logger.lines.find((l) =>
    l.startsWith("debug Searching region cn failed unexpectedly")
  );
  assert.ok(line, logger.lines.join("\n"));
  assert.ok(
    line.includes("TypeError: Cannot read properties") && line.includes("region_search_test.ts"),
  );
  assert.equal(upstream.requests.length, 0);
});

// A region that refuses every JWT

/** A region search over `upstream` with one token provider signing in with a session cookie. */
function cookieSearchOver(upstream: ReturnType<typeof fakeUpstream>, clock: { now: () => number }) {
  const logger = recordingLogger();
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret(CAS_SESSION) },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 1_000,
    logger,
  });
  return createRegionSearch({
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    timeoutMs: 1_000,
    logger,
  });
}

/**
 * A region search over cn (answering) and us (answering `usRespond`), with a real token
 * provider shared by both and a fake auth service issuing a distinct hour-long JWT each time.
 */
function sharedTokenSearch(usRespond: () => Response = () => authErrorAnswer(401)) {
  const clock = fakeClock();
  const upstream = fakeUpstream([
    {
      url: AUTH_URL,
      respond: () =>
        tokenAnswer(jwtExpiringAt(clock.now() + HOUR_MS, { n: upstream.count(AUTH_URL) })),
    },
    { url: searchUrl(CN), respond: () => searchAnswer([{ psm: "a.b.c" }]) },
    { url: searchUrl(US), respond: usRespond },
  ]);
  return { upstream, search: cookieSearchOver(upstream, clock), clock };
}

Deno.test("a region that refused a fresh JWT does not cost a new token on every search", async () => {
  const { upstream, search } = sharedTokenSearch();

  for (let i = 0; i < 5; i++) {
    const [cn, us] = await Promise.all([search(CN, "a.b.c"), search(US, "a.b.c")]);
    assert.equal(cn.ok, true, `cn answered search ${i + 1}`);
    assert.match(errorOf(us).message, /rejected a freshly issued JWT/);
  }

  upstream.assertNoUnexpected();
  assert.equal(upstream.count(AUTH_URL), 2, "the first token and the fresh one us refused");
  assert.equal(upstream.count(searchUrl(US)), 6, "twice for the first search, then once each");
  const cnTokens = new Set(
    upstream.requests.filter((r) => r.url.startsWith(searchUrl(CN))).slice(1).map((r) =>
      r.headers.get("x-jwt-token")
    ),
  );
  assert.equal(cnTokens.size, 1, "cn kept the token us refused");
});

Deno.test("a region that refuses a token it had not refused before still gets one fresh token", async () => {
  const { upstream, search, clock } = sharedTokenSearch();

  await search(US, "a.b.c");
  clock.advance(2 * HOUR_MS); // the token us refused expired: a new one is issued
  await search(US, "a.b.c");

  assert.equal(upstream.count(AUTH_URL), 4);
  assert.equal(upstream.count(searchUrl(US)), 4);
});

Deno.test("once the region accepts a token again, its earlier refusal is forgotten", async () => {
  let refusing = true;
  const { upstream, search } = sharedTokenSearch(() =>
    refusing ? authErrorAnswer(401) : searchAnswer([])
  );

  await search(US, "k1"); // refuses the first token and the fresh one
  refusing = false;
  await search(US, "k2"); // accepts the fresh one
  refusing = true;
  await search(US, "k3"); // refuses it now: it may have been revoked, so one more fresh token

  assert.equal(upstream.count(AUTH_URL), 3);
});

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
    const url = new URL(request!.url);
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
    const error = errorOf(result.outcomes[0]);
    assert.equal(error.name, "RegionError");
    assert.equal(result.outcomes[0]!.region, "cn");
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    assert.deepEqual(servicesOf(result.outcomes[1]).map((s) => s.psm), ["oec.live.room"]);
    assert.ok(
      logger.lines.some((line) => line.startsWith("warn Region cn failed for oec.live.room")),
      logger.lines.join("\n"),
    );
  });
}

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
    assert.deepEqual(result.services[0]!.regions, ["us"]);
    assert.equal(upstream.count(AUTH_URL), 2);
    assert.equal(issued.length, 2);
    assert.notEqual(issued[0], issued[1]);
    const [first, retry, ...more] = searches(US);
    assert.equal(more.length, 0);
    assert.equal(first!.headers.get("x-jwt-token"), issued[0]);
    assert.equal(retry!.headers.get("x-jwt-token"), issued[1]);
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
  const error = errorOf(result.outcomes[1]);
  assert.equal(error.kind, "auth");
  assert.equal(result.outcomes[1]!.region, "us");
  assert.match(error.message, /rejected a freshly issued JWT/);
  assert.equal(upstream.count(AUTH_URL), 2);
  assert.deepEqual(searches(US).map((r) => r.headers.get("x-jwt-token")), issued);
});

Deno.test("search fails a region with kind auth when the JWT refresh itself fails", async () => {
  let authCalls = 0;
  const clock = fakeClock();
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
  const outcome = await cookieSearchOver(upstream, clock)(CN, "a.b.c");

  upstream.assertNoUnexpected();
  const error = errorOf(outcome);
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
    const error = errorOf(outcome);
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

  const answer = parseSearchAnswer({ status: 200, text: JSON.stringify(body) }, { keyword: "oec" });

  assert.ok(answer !== "auth_rejected");
  const { services } = answer;
  assert.deepEqual(services.map((s) => s.psm), ["oec.affiliate.monitor", "toutiao.user.info"]);
  const [full, bare] = services;
  assert.deepEqual(full!.owners, ["wangzhonghua.97", "li.na"]);
  assert.equal(full!.description, "Affiliate monitoring");
  assert.equal(full!.chineseName, "联盟监控");
  assert.equal(full!.framework, "kitex");
  assert.equal(full!.type, "thrift");
  assert.equal(full!.deploymentPlatform, "tce");
  assert.equal(full!.level, "P2");
  assert.equal(full!.updatedAt, "2025-09-01T08:00:00Z");
  assert.equal("brand_new_field" in full!, false);
  assert.equal("node_id" in full!, false);
  assert.deepEqual(bare!.owners, []);
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
    assert.equal(bare![field], undefined, field);
  }
});

Deno.test("parseSearchAnswer accepts owners given as a list", () => {
  const answer = parseSearchAnswer({
    status: 200,
    text: JSON.stringify({ error_code: 0, data: [{ psm: "a.b.c", owners: ["x", " y ", "", 3] }] }),
  }, { keyword: "a" });

  assert.ok(answer !== "auth_rejected");
  assert.deepEqual(answer.services[0]!.owners, ["x", "y", "3"]);
});

Deno.test("parseSearchAnswer treats HTTP 401 and error_code 401 as a rejected JWT", () => {
  assert.equal(
    parseSearchAnswer({ status: 401, text: "Unauthorized" }, { keyword: "a" }),
    "auth_rejected",
  );
  assert.equal(parseSearchAnswer({ status: 401, text: "" }, { keyword: "a" }), "auth_rejected");
  assert.equal(
    parseSearchAnswer({
      status: 200,
      text: JSON.stringify({ error_code: 401, error_type: "AUTH_ERROR" }),
    }, { keyword: "a" }),
    "auth_rejected",
  );
  assert.equal(
    parseSearchAnswer({ status: 200, text: JSON.stringify({ error_code: "401" }) }, {
      keyword: "a",
    }),
    "auth_rejected",
  );
});

Deno.test("parseSearchAnswer throws a RegionError naming the reason", () => {
  assert.throws(
    () =>
      parseSearchAnswer({
        status: 200,
        text: JSON.stringify({ error_code: 500, error_message: "boom" }),
      }, { keyword: "a" }),
    (error: RegionError) => {
      assert.equal(error.name, "RegionError");
      assert.equal(error.kind, "upstream_error");
      assert.equal(error.message, "answered error_code 500 (boom)");
      return true;
    },
  );
  assert.throws(() => parseSearchAnswer({ status: 200, text: "null" }, { keyword: "a" }), {
    kind: "invalid_body",
  });
  assert.throws(() => parseSearchAnswer({ status: 404, text: "{}" }, { keyword: "a" }), {
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
  const [cnError, usError] = result.outcomes.map((o) => errorOf(o));
  assert.equal(cnError!.kind, "upstream_error");
  assert.equal(cnError!.message.includes(leaked), false);
  assert.match(cnError!.message, /token \[redacted\] is not allowed here/);
  assert.equal(usError!.kind, "http_status");
  assert.equal(usError!.message.includes(leaked), false);
  assert.match(usError!.message, /\[redacted\]/);
  assert.equal(logger.lines.some((line) => line.includes(leaked)), false);
});

Deno.test("a very long upstream error_message is shortened in the region's error", () => {
  const text = JSON.stringify({ error_code: 500, error_message: "x".repeat(1_000) });

  assert.throws(
    () => parseSearchAnswer({ status: 200, text }, { keyword: "a" }),
    (error: RegionError) => {
      assert.equal(error.kind, "upstream_error");
      assert.ok(error.message.length < 300, `message is ${error.message.length} characters`);
      assert.ok(error.message.includes("…"));
      return true;
    },
  );
});

Deno.test("the JWT the request carried is redacted from an upstream error, even when opaque", () => {
  assert.throws(
    () =>
      parseSearchAnswer({
        status: 500,
        text: JSON.stringify({ error_code: 500, error_message: "token opaque-42 is unknown" }),
      }, { keyword: "a", token: "opaque-42" }),
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
  assert.ok(logger.lines.every((line) => !line.includes(issued[0]!)));
});

Deno.test("searchMany does not ask again a region that rejected a freshly issued JWT", async () => {
  const { upstream, discovery, issued } = discoveryOver([
    { url: searchUrl(CN), respond: () => searchAnswer([]) },
    { url: searchUrl(US), respond: () => authErrorAnswer() },
  ], { concurrency: 1 });

  const results = await discovery.searchMany(["k1", "k2", "k3"]);

  assert.equal(upstream.count(searchUrl(US)), 2, "the first keyword's try and retry only");
  assert.equal(issued.length, 2, "one token, one refresh");
  assert.match(
    errorOf(results[2]!.outcomes[1]).message,
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
      assert.deepEqual(result.services[0]!.regions, ["cn"]);
      assert.match(errorOf(result.outcomes[1]).message, /rejected a freshly issued JWT/);
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
  ], { tokens, concurrency: 1 });

  const results = await discovery.searchMany(["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);

  upstream.assertNoUnexpected();
  assert.equal(errorOf(results[0]!.outcomes[0]).kind, "internal");
  assert.ok(results.slice(1).every((r) => r.outcomes.every((o) => o.ok)));
  assert.equal(upstream.count(searchUrl(CN)), 6);
  assert.equal(discovery.health()[0]!.state, "closed");
});

Deno.test("an error_code that is neither a number nor a string is named, not printed", () => {
  assert.throws(
    () =>
      parseSearchAnswer({ status: 200, text: JSON.stringify({ error_code: { nested: "x" } }) }, {
        keyword: "a",
      }),
    (error: RegionError) => {
      assert.equal(error.message, "answered an error_code that is not a number");
      return true;
    },
  );
});
