import assert from "node:assert/strict";
import {
  AuthError,
  type AuthErrorCode,
  createTokenProvider,
  readExpiry,
  readJwtClaims,
  type TokenProvider,
} from "../src/auth.ts";
import { isoTime } from "../src/wording.ts";
import { unsignedJwt } from "../src/demo.ts";
import { Secret } from "../src/secret.ts";
import {
  AUTH_URL,
  type FakeClock,
  fakeClock,
  type FakeUpstream,
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  never,
  type RecordingLogger,
  recordingLogger,
  settle,
  tokenAnswer,
} from "./fake_upstream.ts";

const COOKIE = "SENTINEL-COOKIE-9f3c";
const MINUTE = 60_000;

interface Harness {
  provider: TokenProvider;
  fake: FakeUpstream;
  clock: FakeClock;
  logger: RecordingLogger;
}

function harness(
  respond: (request: Request) => Response | Promise<Response>,
  { credential = true, timeoutMs = 1000 }: { credential?: boolean; timeoutMs?: number } = {},
): Harness {
  const clock = fakeClock();
  const logger = recordingLogger();
  const fake = fakeUpstream([{
    url: AUTH_URL,
    headers: { Cookie: `CAS_SESSION=${COOKIE}` },
    respond,
  }]);
  const provider = createTokenProvider({
    authUrl: AUTH_URL,
    credential: credential ? { kind: "cas_session", value: new Secret(COOKIE) } : undefined,
    fetch: fake.fetch,
    now: clock.now,
    timeoutMs,
    logger,
  });
  return { provider, fake, clock, logger };
}

/** Answers each auth request with the next of `tokens`. */
function tokensInTurn(...tokens: string[]) {
  let next = 0;
  return () => {
    const token = tokens[next++];
    if (token === undefined) throw new Error("The test ran out of tokens");
    return tokenAnswer(token);
  };
}

function assertNoLeak({ logger }: Harness, ...values: string[]) {
  for (const line of logger.lines) {
    for (const value of values) assert.ok(!line.includes(value), `log line leaks: ${line}`);
  }
}

async function assertAuthError(
  promise: Promise<unknown>,
  code: AuthErrorCode,
  message?: RegExp,
): Promise<AuthError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof AuthError, `expected an AuthError, got ${caught}`);
  assert.equal(caught.name, "AuthError");
  assert.equal(caught.code, code);
  if (message) assert.match(caught.message, message);
  assert.ok(!caught.message.includes(COOKIE), `the message leaks the cookie: ${caught.message}`);
  return caught;
}

Deno.test("readJwtClaims decodes the payload of a base64url JWT", () => {
  // "???>>>" encodes to base64 with "/" and "+", which base64url writes as "_" and "-".
  const token = unsignedJwt({ sub: "alice", note: "???>>>", n: 3 });
  assert.match(token.split(".")[1]!, /[-_]/);
  assert.deepEqual(readJwtClaims(token), { sub: "alice", note: "???>>>", n: 3 });
});

Deno.test("readJwtClaims decodes UTF-8 claims", () => {
  const utf8 = new TextEncoder().encode(JSON.stringify({ name: "张三", exp: 1 }));
  const payload = btoa(String.fromCharCode(...utf8)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");
  assert.deepEqual(readJwtClaims(`x.${payload}.y`), { name: "张三", exp: 1 });
});

Deno.test("readJwtClaims returns undefined for text that is not a JWT", () => {
  assert.equal(readJwtClaims("opaque-token"), undefined);
  assert.equal(readJwtClaims("a.!!!.c"), undefined);
  assert.equal(readJwtClaims(`x.${btoa("not json")}.y`), undefined);
  assert.equal(readJwtClaims(`x.${btoa("[1,2]")}.y`), undefined);
  assert.equal(readJwtClaims(`x.${btoa("null")}.y`), undefined);
});

Deno.test("readExpiry gives the exp claim in milliseconds, or undefined without one", () => {
  const expiresAt = Date.UTC(2026, 0, 1, 12, 30, 15);
  assert.equal(readExpiry(jwtExpiringAt(expiresAt)), expiresAt);
  assert.equal(readExpiry(unsignedJwt({ sub: "alice" })), undefined);
  assert.equal(readExpiry(unsignedJwt({ exp: "1767225600" })), undefined);
  assert.equal(readExpiry("opaque-token"), undefined);
});

Deno.test("a token's expiry is read from its exp claim", async () => {
  const start = fakeClock().now();
  const token = jwtExpiringAt(start + 10 * MINUTE);
  const h = harness(() => tokenAnswer(token));
  assert.equal(await h.provider.getToken(), token);
  const status = h.provider.status();
  assert.equal(status.expiresAt?.getTime(), start + 10 * MINUTE);
  assert.equal(status.secondsLeft, 600);
  h.fake.assertNoUnexpected();
});

Deno.test("a token without exp is assumed to live one hour", async () => {
  const first = unsignedJwt({ sub: "alice" });
  const h = harness(tokensInTurn(first, "opaque-token-2"));
  const start = h.clock.now();
  await h.provider.getToken();
  assert.equal(h.provider.status().expiresAt?.getTime(), start + HOUR_MS);
  h.clock.advance(HOUR_MS - MINUTE - 1000);
  await h.provider.getToken();
  assert.equal(h.fake.requests.length, 1, "refreshed before the assumed hour was nearly over");
  h.clock.advance(2000);
  assert.equal(await h.provider.getToken(), first, "served while the renewal runs");
  await settle();
  assert.equal(await h.provider.getToken(), "opaque-token-2");
  assert.equal(h.fake.requests.length, 2);
  assert.equal(h.provider.status().expiresAt?.getTime(), h.clock.now() + HOUR_MS);
});

Deno.test("a valid token is reused: many calls make one auth request", async () => {
  const start = fakeClock().now();
  const token = jwtExpiringAt(start + HOUR_MS);
  const h = harness(tokensInTurn(token));
  for (let i = 0; i < 10; i++) {
    assert.equal(await h.provider.getToken(), token);
    h.clock.advance(MINUTE);
  }
  assert.equal(h.fake.requests.length, 1);
  h.fake.assertNoUnexpected();
});

Deno.test("a token is refreshed once it is within 60 s of expiry", async () => {
  const start = fakeClock().now();
  const first = jwtExpiringAt(start + 10 * MINUTE);
  const second = jwtExpiringAt(start + 70 * MINUTE);
  const h = harness(tokensInTurn(first, second));
  assert.equal(await h.provider.getToken(), first);
  h.clock.advance(9 * MINUTE - 1000); // 61 s left
  assert.equal(await h.provider.getToken(), first);
  assert.equal(h.fake.requests.length, 1);
  h.clock.advance(2000); // 59 s left
  assert.equal(await h.provider.getToken(), first, "served while the renewal runs");
  await settle();
  assert.equal(await h.provider.getToken(), second);
  assert.equal(h.fake.requests.length, 2);
  assert.equal(h.provider.status().expiresAt?.getTime(), start + 70 * MINUTE);
});

Deno.test("concurrent callers share one auth request", async () => {
  const token = jwtExpiringAt(fakeClock().now() + HOUR_MS);
  const held = Promise.withResolvers<void>();
  const h = harness(async () => {
    await held.promise;
    return tokenAnswer(token);
  });
  const callers = Array.from({ length: 5 }, () => h.provider.getToken());
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(h.fake.requests.length, 1);
  held.resolve();
  assert.deepEqual(await Promise.all(callers), Array(5).fill(token));
  assert.equal(h.fake.requests.length, 1);
  h.fake.assertNoUnexpected();
});

Deno.test("invalidate forces a refresh, but invalidating a replaced token does not", async () => {
  const start = fakeClock().now();
  const old = jwtExpiringAt(start + HOUR_MS, { n: 1 });
  const fresh = jwtExpiringAt(start + HOUR_MS, { n: 2 });
  const h = harness(tokensInTurn(old, fresh));
  assert.equal(await h.provider.getToken(), old);
  h.provider.invalidate(old);
  assert.equal(await h.provider.getToken(), fresh);
  assert.equal(h.fake.requests.length, 2);
  h.provider.invalidate(old);
  h.provider.invalidate("some-other-token");
  assert.equal(await h.provider.getToken(), fresh);
  assert.equal(h.fake.requests.length, 2);
});

Deno.test("the auth request sends the cookie and Accept header and does not follow redirects", async () => {
  const h = harness(() => tokenAnswer(jwtExpiringAt(fakeClock().now() + HOUR_MS)));
  await h.provider.getToken();
  h.fake.assertNoUnexpected();
  const [request] = h.fake.requests;
  assert.equal(request!.method, "GET");
  assert.equal(request!.url, AUTH_URL);
  assert.equal(request!.headers.get("cookie"), `CAS_SESSION=${COOKIE}`);
  assert.equal(request!.headers.get("accept"), "application/json, text/plain, */*");
  assert.equal(request!.redirect, "manual");
});

Deno.test("a redirect to the login page means the CAS_SESSION has expired", async () => {
  const h = harness(() =>
    new Response(null, { status: 302, headers: { Location: "https://sso.test/login" } })
  );
  await assertAuthError(h.provider.getToken(), "session_expired", /CAS_SESSION is expired/);
  assert.equal(h.fake.requests.length, 1, "the redirect was followed");
  assertNoLeak(h, COOKIE);
});

Deno.test("an opaque redirect (status 0) also means the CAS_SESSION has expired", async () => {
  const h = harness(() => Response.error());
  await assertAuthError(h.provider.getToken(), "session_expired", /CAS_SESSION is expired/);
});

Deno.test("HTTP 401 and 403 mean the CAS_SESSION has expired", async () => {
  for (const status of [401, 403]) {
    const h = harness(() => new Response("denied", { status }));
    await assertAuthError(h.provider.getToken(), "session_expired", /CAS_SESSION is expired/);
    assertNoLeak(h, COOKIE);
  }
});

Deno.test("HTTP 500 from the auth service is an http_status failure naming the status", async () => {
  const h = harness(() => new Response(`oops ${COOKIE}`, { status: 500 }));
  await assertAuthError(h.provider.getToken(), "http_status", /HTTP 500/);
  assertNoLeak(h, COOKIE);
});

Deno.test("a 200 answer without X-Jwt-Token is a no_token failure", async () => {
  for (const headers of [{}, { "X-Jwt-Token": "  " }] as HeadersInit[]) {
    const h = harness(() => new Response("<html>login</html>", { status: 200, headers }));
    await assertAuthError(h.provider.getToken(), "no_token", /X-Jwt-Token/);
    assertNoLeak(h, COOKIE);
  }
});

Deno.test("an auth service that does not answer in time is a timeout failure", async () => {
  const h = harness(() => never(), { timeoutMs: 20 });
  await assertAuthError(h.provider.getToken(), "timeout", /auth\.test.*20 ms/);
  assertNoLeak(h, COOKIE);
});

Deno.test("an auth service that cannot be reached is a network failure", async () => {
  const h = harness(() => {
    throw new TypeError(`connection refused (cookie ${COOKIE})`);
  });
  await assertAuthError(h.provider.getToken(), "network", /auth\.test/);
  assertNoLeak(h, COOKIE);
});

Deno.test("without a credential getToken fails with missing_credential and sends nothing", async () => {
  const h = harness(() => tokenAnswer("never-issued"), { credential: false });
  await assertAuthError(h.provider.getToken(), "missing_credential", /CAS_SESSION is not set/);
  assert.equal(h.fake.requests.length, 0);
  const status = h.provider.status();
  assert.equal(status.configured, false);
  assert.equal(status.valid, false);
  assert.match(status.lastError ?? "", /CAS_SESSION is not set/);
});

Deno.test("status reports the cached token's state and never the token or cookie", async () => {
  const start = fakeClock().now();
  const token = jwtExpiringAt(start + 10 * MINUTE);
  const h = harness(() => tokenAnswer(token));

  const before = h.provider.status();
  assert.equal(before.configured, true);
  assert.equal(before.valid, false);
  assert.equal(before.expiresAt, undefined);
  assert.equal(before.secondsLeft, undefined);
  assert.equal(before.lastError, undefined);
  assert.equal(h.fake.requests.length, 0, "status contacted the auth service");

  await h.provider.getToken();
  h.clock.advance(90_500);
  const after = h.provider.status();
  assert.equal(after.configured, true);
  assert.equal(after.valid, true);
  assert.equal(after.expiresAt?.getTime(), start + 10 * MINUTE);
  assert.equal(after.secondsLeft, 509);
  assert.equal(after.lastRefreshAt?.getTime(), start);
  assert.equal(after.lastError, undefined);
  const json = JSON.stringify(after);
  assert.ok(!json.includes(COOKIE), json);
  assert.ok(!json.includes(token), json);
  assert.ok(!json.includes(token.split(".")[1]!), json);

  h.clock.advance(10 * MINUTE);
  const expired = h.provider.status();
  assert.equal(expired.valid, false);
  assert.equal(expired.secondsLeft, 0);
  assertNoLeak(h, COOKIE, token);
});

Deno.test("a failure is recorded in lastError and a later success clears it", async () => {
  let answer = () => new Response("down", { status: 503 });
  const h = harness(() => answer());
  await assertAuthError(h.provider.getToken(), "http_status");
  assert.match(h.provider.status().lastError ?? "", /HTTP 503/);
  assert.equal(h.provider.status().valid, false);

  h.clock.advance(5_000);
  const token = jwtExpiringAt(h.clock.now() + HOUR_MS);
  answer = () => tokenAnswer(token);
  assert.equal(await h.provider.getToken(), token);
  const status = h.provider.status();
  assert.equal(status.lastError, undefined);
  assert.equal(status.valid, true);
  assertNoLeak(h, COOKIE, token);
});

Deno.test("after a failed request callers get the same error for 5 s, then one new request", async () => {
  let calls = 0;
  const token = jwtExpiringAt(fakeClock().now() + HOUR_MS);
  const h = harness(() => ++calls === 1 ? new Response(null, { status: 401 }) : tokenAnswer(token));
  await assertAuthError(h.provider.getToken(), "session_expired");
  assert.match(h.provider.status().lastError ?? "", /CAS_SESSION is expired/);
  h.clock.advance(4_000);
  await assertAuthError(h.provider.getToken(), "session_expired");
  assert.equal(h.fake.requests.length, 1, "no new request within the backoff");
  h.clock.advance(1_000);
  assert.equal(await h.provider.getToken(), token);
  assert.equal(h.fake.requests.length, 2);
});

Deno.test("concurrent callers all receive the failure of the shared request", async () => {
  const held = Promise.withResolvers<void>();
  const h = harness(async () => {
    await held.promise;
    return new Response(null, { status: 403 });
  });
  const callers = Array.from({ length: 3 }, () => h.provider.getToken());
  held.resolve();
  for (const caller of callers) await assertAuthError(caller, "session_expired");
  assert.equal(h.fake.requests.length, 1);
});

Deno.test("a caller whose signal aborts stops waiting while the shared request goes on", async () => {
  const token = jwtExpiringAt(fakeClock().now() + HOUR_MS);
  const held = Promise.withResolvers<void>();
  const h = harness(async () => {
    await held.promise;
    return tokenAnswer(token);
  });
  const controller = new AbortController();
  const reason = new Error("the MCP client cancelled the call");
  const leaving = h.provider.getToken({ signal: controller.signal });
  const staying = h.provider.getToken();
  const alsoStaying = h.provider.getToken({ signal: new AbortController().signal });

  controller.abort(reason);
  await assert.rejects(leaving, (error) => error === reason);
  assert.equal(h.fake.requests[0]!.signal.aborted, false, "the shared request was aborted");

  held.resolve();
  assert.equal(await staying, token);
  assert.equal(await alsoStaying, token);
  assert.equal(h.fake.requests.length, 1);
  assert.equal(h.provider.status().valid, true);
});

Deno.test("a caller with an already aborted signal is refused at once", async () => {
  const h = harness(() => tokenAnswer(jwtExpiringAt(fakeClock().now() + HOUR_MS)));
  const reason = new DOMException("gone", "AbortError");
  await assert.rejects(h.provider.getToken({ signal: AbortSignal.abort(reason) }), (error) => {
    return error === reason;
  });
  assert.equal(h.fake.requests.length, 0, "a refused caller starts no auth request");
  await h.provider.getToken();
  assert.equal(h.fake.requests.length, 1);
});

Deno.test("no log line or error message of the provider contains the cookie", async () => {
  const answers = [
    () =>
      new Response(null, { status: 302, headers: { Location: `https://sso.test/?c=${COOKIE}` } }),
    () => new Response(COOKIE, { status: 500 }),
    () => new Response(COOKIE, { status: 200 }),
    () => tokenAnswer(jwtExpiringAt(fakeClock().now() + HOUR_MS)),
  ];
  let next = 0;
  const h = harness(() => answers[next++]!());
  const messages: string[] = [];
  for (let i = 0; i < answers.length; i++) {
    await h.provider.getToken().catch((error: Error) => messages.push(error.message));
    h.clock.advance(5_000); // past the failure backoff
  }
  assert.equal(messages.length, 3);
  for (const message of messages) assert.ok(!message.includes(COOKIE), message);
  assert.ok(h.logger.lines.length > 0, "the provider logged nothing");
  assertNoLeak(h, COOKIE);
});

Deno.test("a renewal that fails before expiry keeps serving the current token until it expires", async () => {
  const start = fakeClock().now();
  const current = jwtExpiringAt(start + HOUR_MS);
  let answers = 0;
  const h = harness(() =>
    answers++ === 0 ? tokenAnswer(current) : new Response("down", { status: 503 })
  );
  assert.equal(await h.provider.getToken(), current);
  h.clock.advance(HOUR_MS - 30_000);

  assert.equal(await h.provider.getToken(), current, "the still-valid token is served");
  await settle();
  assert.equal(h.fake.requests.length, 2, "a renewal was attempted");
  assert.match(h.provider.status().lastError ?? "", /HTTP 503/);
  assert.equal(h.provider.status().valid, true);
  assert.equal(await h.provider.getToken(), current);
  assert.equal(h.fake.requests.length, 2, "no new attempt within the backoff");

  h.clock.advance(31_000);
  await assertAuthError(h.provider.getToken(), "http_status", /HTTP 503/);
});

Deno.test("callers in the renewal window get the current token at once, not after the renewal", async () => {
  const start = fakeClock().now();
  const held = Promise.withResolvers<void>();
  let answers = 0;
  const h = harness(async () => {
    if (answers++ === 0) return tokenAnswer(jwtExpiringAt(start + HOUR_MS, { n: 1 }));
    await held.promise;
    return tokenAnswer(jwtExpiringAt(start + 2 * HOUR_MS, { n: 2 }));
  });
  const first = await h.provider.getToken();
  h.clock.advance(HOUR_MS - 30_000);

  const during = await Promise.all([h.provider.getToken(), h.provider.getToken()]);
  assert.deepEqual(during, [first, first]);
  assert.equal(h.fake.requests.length, 2, "one renewal for both callers");

  held.resolve();
  await settle();
  assert.notEqual(await h.provider.getToken(), first, "the renewed token is used next");
  assert.equal(h.fake.requests.length, 2);
});

Deno.test("a token shorter-lived than the margin is renewed halfway, not on every call", async () => {
  const start = fakeClock().now();
  const h = harness(tokensInTurn(
    jwtExpiringAt(start + 40_000, { n: 1 }),
    jwtExpiringAt(start + 60_000, { n: 2 }),
  ));
  const first = await h.provider.getToken();
  h.clock.advance(19_000);
  assert.equal(await h.provider.getToken(), first);
  assert.equal(h.fake.requests.length, 1);
  h.clock.advance(2_000);
  assert.equal(await h.provider.getToken(), first, "served while the renewal runs");
  await settle();
  assert.notEqual(await h.provider.getToken(), first);
  assert.equal(h.fake.requests.length, 2);
});

Deno.test("a token already expired by the local clock is kept for the default hour, with a warning", async () => {
  const start = fakeClock().now();
  const h = harness(() => tokenAnswer(jwtExpiringAt(start - 5 * MINUTE)));
  await h.provider.getToken();
  await h.provider.getToken();
  assert.equal(h.fake.requests.length, 1);
  assert.equal(h.provider.status().expiresAt?.getTime(), start + HOUR_MS);
  assert.ok(h.logger.lines.some((line) => /already expired by this machine's clock/.test(line)));
  assert.match(h.provider.status().expiryWarning ?? "", /already expired by this machine's clock/);
  assert.equal(h.provider.status().lastError, undefined, "the clock is not a failed renewal");
});

for (
  const [what, exp] of [
    ["1e13 seconds", 1e13],
    ["milliseconds", Date.UTC(2026, 0, 1, 1)],
    ["a huge number", 1e308],
    ["a negative number", -5],
    ["a string", "1767229200"],
  ] as const
) {
  Deno.test(`an exp claim out of range (${what}) is treated as absent, with a warning`, async () => {
    const start = fakeClock().now();
    const h = harness(() => tokenAnswer(unsignedJwt({ sub: "x", exp })));
    await h.provider.getToken();
    const status = h.provider.status();
    assert.equal(status.expiresAt?.getTime(), start + HOUR_MS, "the default lifetime");
    assert.equal(status.valid, true);
    if (typeof exp === "number") {
      assert.match(status.expiryWarning ?? "", /exp claim is not a time in seconds/);
      assert.ok(h.logger.lines.some((line) => /^warn .*exp claim is not a time/.test(line)));
    }
  });
}

Deno.test("readExpiry accepts exp only as seconds between 2000 and 2200", () => {
  assert.equal(readExpiry(unsignedJwt({ exp: 946_684_800 })), 946_684_800_000);
  assert.equal(readExpiry(unsignedJwt({ exp: 946_684_799 })), undefined);
  assert.equal(readExpiry(unsignedJwt({ exp: 7_258_118_400 })), 7_258_118_400_000);
  assert.equal(readExpiry(unsignedJwt({ exp: 7_258_118_401 })), undefined);
});

Deno.test("isoTime gives undefined for a missing or invalid date instead of throwing", () => {
  assert.equal(isoTime(undefined), undefined);
  assert.equal(isoTime(new Date(1e13 * 1000)), undefined);
  assert.equal(isoTime(new Date(Date.UTC(2026, 0, 1))), "2026-01-01T00:00:00.000Z");
});

Deno.test("status reports when the token will be renewed", async () => {
  const start = fakeClock().now();
  const h = harness(() => tokenAnswer(jwtExpiringAt(start + HOUR_MS)));
  await h.provider.getToken();
  assert.equal(h.provider.status().renewsAt?.getTime(), start + HOUR_MS - MINUTE);
});

Deno.test("the cause of a failed auth request is logged at debug, without the cookie", async () => {
  const h = harness(() => Promise.reject(new TypeError(`dns error: no such host (${COOKIE})`)));
  await assertAuthError(h.provider.getToken(), "network");
  assert.ok(
    h.logger.lines.some((line) =>
      /^debug The auth request failed with: Connection failed \(dns error/.test(line)
    ),
    h.logger.lines.join("\n"),
  );
  assertNoLeak(h, COOKIE);
});

function serviceAccountProvider(respond: (request: Request) => Response) {
  const logger = recordingLogger();
  const fake = fakeUpstream([{
    url: AUTH_URL,
    headers: { Authorization: `Bearer ${COOKIE}` },
    respond,
  }]);
  const provider = createTokenProvider({
    authUrl: AUTH_URL,
    credential: {
      kind: "service_account",
      source: "SERVICE_ACCOUNT_SECRET_us",
      value: new Secret(COOKIE),
    },
    fetch: fake.fetch,
    now: fakeClock().now,
    timeoutMs: 1000,
    logger,
  });
  return { provider, fake, logger };
}

Deno.test("a service account sends its secret as a bearer token and no cookie", async () => {
  const token = jwtExpiringAt(Date.UTC(2026, 0, 1, 1));
  const { provider, fake } = serviceAccountProvider(() => tokenAnswer(token));
  assert.equal(await provider.getToken(), token);
  assert.equal(fake.requests[0]!.headers.get("cookie"), null);
  fake.assertNoUnexpected();
});

Deno.test("a refused service account is named by its variable, never by its value", async () => {
  const { provider, logger } = serviceAccountProvider(() => new Response(null, { status: 401 }));
  const error = await assertAuthError(
    provider.getToken(),
    "session_expired",
    /^SERVICE_ACCOUNT_SECRET_us was refused by the auth service/,
  );
  assert.ok(!error.message.includes(COOKIE));
  for (const line of logger.lines) assert.ok(!line.includes(COOKIE), line);
});

Deno.test("an expired regional cookie is named by its variable", async () => {
  const fake = fakeUpstream([{
    url: AUTH_URL,
    respond: () => new Response(null, { status: 403 }),
  }]);
  const provider = createTokenProvider({
    authUrl: AUTH_URL,
    credential: { kind: "cas_session", source: "CAS_SESSION_us", value: new Secret(COOKIE) },
    fetch: fake.fetch,
    now: fakeClock().now,
    timeoutMs: 1000,
    logger: recordingLogger(),
  });
  await assertAuthError(
    provider.getToken(),
    "session_expired",
    /^CAS_SESSION_us is expired or invalid: .*copy a fresh CAS_SESSION cookie into CAS_SESSION_us/,
  );
});

Deno.test("without a credential the provider gives the reason it was created with", async () => {
  const fake = fakeUpstream([]);
  const provider = createTokenProvider({
    authUrl: AUTH_URL,
    fetch: fake.fetch,
    now: fakeClock().now,
    timeoutMs: 1000,
    logger: recordingLogger(),
    missingCredentialMessage: "not configured: set CAS_SESSION_us",
  });
  await assertAuthError(
    provider.getToken(),
    "missing_credential",
    /^not configured: set CAS_SESSION_us$/,
  );
  assert.equal(provider.status().lastError, "not configured: set CAS_SESSION_us");
  assert.equal(fake.requests.length, 0);
});

Deno.test("each log line about a new or failed JWT names the auth host, to tell several sources apart", async () => {
  const answers = [
    () => new Response(null, { status: 401 }),
    () => tokenAnswer(jwtExpiringAt(fakeClock().now() + HOUR_MS)),
  ];
  let next = 0;
  const h = harness(() => answers[next++]!());
  await h.provider.getToken().catch(() => {});
  h.clock.advance(5_000); // past the failure backoff
  await h.provider.getToken();
  const host = new URL(AUTH_URL).host;
  const lines = h.logger.lines.filter((line) => /^(info|warn) /.test(line));
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0]!, new RegExp(`^warn Could not obtain a JWT from ${host}: `));
  assert.match(lines[1]!, new RegExp(`^info Obtained a JWT valid until \\S+ from ${host} `));
});
