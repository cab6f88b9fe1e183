import assert from "node:assert/strict";
import { createTokenProvider, type TokenProvider } from "../../src/auth.ts";
import type { Region } from "../../src/config/mod.ts";
import { createRegionSearch, searchRegion } from "../../src/discovery/region_search.ts";
import { Secret } from "../../src/secret.ts";
import type { Fetch } from "../../src/upstream.ts";
import {
  AUTH_URL,
  authErrorAnswer,
  CN,
  fakeClock,
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  recordingLogger,
  searchAnswer,
  searchUrl,
  tokenAnswer,
  US,
} from "../fake_upstream.ts";
import { errorOf } from "./fake_search.ts";

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
  const outcome = searchRegion(region, "a.b.c", {
    tokenFor: () => tokens,
    fetch,
    timeoutMs: 5_000,
    logger,
  });
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
  assert.equal(upstream.requests[0].redirect, "manual");
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
  const logger = recordingLogger();
  const tokens = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", value: new Secret("cas-session-cookie-value") },
    fetch: upstream.fetch,
    now: clock.now,
    timeoutMs: 1_000,
    logger,
  });
  const search = createRegionSearch({
    tokenFor: () => tokens,
    fetch: upstream.fetch,
    timeoutMs: 1_000,
    logger,
  });
  return { upstream, search, clock };
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
