import assert from "node:assert/strict";
import type { Env } from "../src/config/mod.ts";
import { formatDoctorReport, proxyAddress, proxyFor, runDoctor } from "../src/doctor.ts";
import {
  AUTH_URL,
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
} from "./fake_upstream.ts";
import { demoFetchFor, SENTINEL_COOKIE, testConfig } from "./harness.ts";

const clock = fakeClock();
const TOKEN = jwtExpiringAt(clock.now() + HOUR_MS);

function upstream({ usStatus = 200, searchMs = 0 } = {}) {
  return fakeUpstream([
    { url: AUTH_URL, respond: () => tokenAnswer(TOKEN) },
    {
      url: searchUrl(CN),
      respond: () => {
        clock.advance(searchMs);
        return searchAnswer([{ psm: "infra.neptune.registry" }]);
      },
    },
    {
      url: searchUrl(US),
      respond: () =>
        usStatus === 200 ? searchAnswer([]) : new Response("gone", { status: usStatus }),
    },
  ]);
}

function doctor(
  fetch: typeof globalThis.fetch,
  { args = [], env = { CAS_SESSION: SENTINEL_COOKIE } }: { args?: string[]; env?: Env } = {},
) {
  return runDoctor(testConfig(args, env), {
    env,
    fetch,
    now: clock.now,
    logger: () => recordingLogger(),
  });
}

function byName(report: Awaited<ReturnType<typeof runDoctor>>) {
  return Object.fromEntries(report.checks.map((check) => [check.name, check]));
}

Deno.test("doctor passes the credential, the JWT with its expiry, and each region with its latency", async () => {
  const report = await doctor(upstream({ searchMs: 42 }).fetch);
  assert.equal(report.ok, true);
  const checks = byName(report);
  assert.deepEqual(Object.keys(checks), [
    "credentials",
    "jwt",
    "region cn",
    "region us",
    "proxy",
    "tls",
  ]);
  assert.deepEqual(checks.credentials, {
    name: "credentials",
    status: "pass",
    detail: "CAS_SESSION for cn, us",
  });
  assert.equal(checks.jwt!.status, "pass");
  assert.match(
    checks.jwt!.detail,
    /obtained from auth\.test; expires 2026-01-01T01:00:00\.000Z \(in 60 min\)/,
  );
  assert.deepEqual(checks["region cn"], {
    name: "region cn",
    status: "pass",
    detail: "answered a search in 42 ms",
  });
  assert.equal(checks["region us"]!.status, "pass");
  assert.match(formatDoctorReport(report), /All checks passed\.$/);
});

Deno.test("doctor fails a region that does not answer, says what to do, and never shows a credential", async () => {
  const report = await doctor(upstream({ usStatus: 404 }).fetch);
  assert.equal(report.ok, false);
  const us = byName(report)["region us"];
  assert.equal(us!.status, "fail");
  assert.match(us!.detail, /HTTP 404/);
  assert.match(us!.fix ?? "", /check --region/);
  const table = formatDoctorReport(report);
  assert.match(table, /^region us +FAIL +.*HTTP 404/m);
  assert.match(table, /^ +-> The registry is failing/m);
  assert.match(table, /1 check failed/);
  for (const output of [table, JSON.stringify(report)]) {
    assert.ok(!output.includes(SENTINEL_COOKIE), "no cookie");
    assert.ok(!output.includes(TOKEN), "no JWT");
  }
});

Deno.test("doctor without CAS_SESSION fails the credentials and skips what needs them", async () => {
  const report = await doctor(fakeUpstream([]).fetch, { env: {} });
  assert.equal(report.ok, false);
  const checks = byName(report);
  assert.equal(checks.credentials!.status, "fail");
  assert.match(checks.credentials!.fix ?? "", /export CAS_SESSION=/);
  assert.equal(checks.jwt, undefined, "no credential, no JWT to check");
  assert.deepEqual([checks["region cn"]!.status, checks["region us"]!.status], ["skip", "skip"]);
});

Deno.test("doctor fails the JWT check with the auth service's reason when the cookie expired", async () => {
  const expired = fakeUpstream([{
    url: AUTH_URL,
    respond: () => new Response(null, { status: 302, headers: { location: "https://sso.test/" } }),
  }]);
  const report = await doctor(expired.fetch);
  const checks = byName(report);
  assert.equal(checks.jwt!.status, "fail");
  assert.match(checks.jwt!.detail, /CAS_SESSION/);
  assert.deepEqual(checks["region cn"], {
    name: "region cn",
    status: "skip",
    detail: "needs a JWT",
  });
});

Deno.test("a region that refuses the JWT its credential obtained is an access problem, not a stale cookie", async () => {
  const report = await doctor(upstream({ usStatus: 401 }).fetch, {
    env: { CAS_SESSION_cn: SENTINEL_COOKIE, SERVICE_ACCOUNT_SECRET_us: "service-secret" },
  });
  const checks = byName(report);
  assert.equal(checks["jwt us"]!.status, "pass");
  assert.equal(checks["region us"]!.status, "fail");
  assert.match(checks["region us"]!.detail, /rejected a freshly issued JWT/);
  assert.match(checks["region us"]!.fix ?? "", /access to this registry/);
  assert.doesNotMatch(checks["region us"]!.fix ?? "", /cookie/i);
});

Deno.test("doctor works in demo mode without a cookie", async () => {
  const config = testConfig(["--demo"], {});
  const report = await runDoctor(config, {
    env: {},
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  assert.equal(report.ok, true, formatDoctorReport(report));
  assert.match(byName(report).credentials!.detail, /not needed: demo mode/);
});

Deno.test("doctor checks the JWT of each credential and skips the regions of one that has none", async () => {
  const report = await doctor(upstream().fetch, { env: { CAS_SESSION_cn: SENTINEL_COOKIE } });
  assert.equal(report.ok, false);
  const checks = byName(report);
  assert.equal(checks.credentials!.status, "fail");
  assert.equal(checks.credentials!.detail, "CAS_SESSION_cn for cn; none for us");
  assert.match(checks.credentials!.fix ?? "", /CAS_SESSION_<region> .* for us/);
  assert.equal(checks.jwt!.status, "pass");
  assert.equal(checks["region cn"]!.status, "pass");
  assert.deepEqual(checks["region us"], {
    name: "region us",
    status: "skip",
    detail: "needs a credential",
  });
});

Deno.test("doctor says why a region on another site has no credential, and how to opt in", async () => {
  const config = testConfig();
  const otherSite = "https://sso.other-site.test/auth/api/v1/jwt";
  const regions = config.regions.map((region) =>
    region.name === "us"
      ? { ...region, authUrl: otherSite, credential: undefined, withheld: "CAS_SESSION" as const }
      : region
  );
  const report = await runDoctor({ ...config, regions }, {
    env: { CAS_SESSION: SENTINEL_COOKIE },
    fetch: upstream().fetch,
    now: clock.now,
    logger: () => recordingLogger(),
  });
  const checks = byName(report);
  assert.equal(checks.credentials!.status, "fail");
  assert.equal(checks.credentials!.detail, "CAS_SESSION for cn; none for us");
  const fix = checks.credentials!.fix ?? "";
  assert.match(fix, /CAS_SESSION is not sent to sso\.other-site\.test, another site/);
  assert.match(fix, /"credential": "CAS_SESSION"/);
  assert.doesNotMatch(fix, /CAS_SESSION for every region/);
});

Deno.test("doctor shows the proxy in effect as scheme://host:port only, never its password", async () => {
  const report = await doctor(upstream().fetch, {
    env: {
      CAS_SESSION: SENTINEL_COOKIE,
      HTTPS_PROXY: "http://alice:s3cret-pass@proxy.corp.example:3128",
      HTTP_PROXY: "proxy.corp.example",
      NO_PROXY: "localhost,.corp.example",
    },
  });
  const { detail, status } = byName(report).proxy!;
  assert.equal(status, "info");
  assert.equal(
    detail,
    "HTTPS_PROXY=http://proxy.corp.example:3128; HTTP_PROXY=http://proxy.corp.example:80; NO_PROXY=localhost,.corp.example",
  );
  assert.ok(
    !JSON.stringify(report).includes("s3cret") && !JSON.stringify(report).includes("alice"),
  );
});

Deno.test("doctor fails a proxy variable that is not a URL without echoing it", async () => {
  const report = await doctor(upstream().fetch, {
    env: { CAS_SESSION: SENTINEL_COOKIE, HTTPS_PROXY: "http://bob:pw@[::1" },
  });
  const proxy = byName(report).proxy;
  assert.equal(proxy!.status, "fail");
  assert.equal(proxy!.detail, "HTTPS_PROXY is not a URL");
  assert.equal(report.ok, false);
});

Deno.test("doctor reports the CA settings and fails an unknown DENO_TLS_CA_STORE", async () => {
  const system = await doctor(upstream().fetch, {
    env: {
      CAS_SESSION: SENTINEL_COOKIE,
      DENO_TLS_CA_STORE: "system",
      DENO_CERT: "/etc/corp-ca.pem",
    },
  });
  assert.equal(
    byName(system).tls!.detail,
    "DENO_TLS_CA_STORE=system; DENO_CERT=/etc/corp-ca.pem; NODE_EXTRA_CA_CERTS not set",
  );
  const node = await doctor(upstream().fetch, {
    env: { CAS_SESSION: SENTINEL_COOKIE, NODE_EXTRA_CA_CERTS: "/etc/extra-ca.pem" },
  });
  assert.match(byName(node).tls!.detail, /NODE_EXTRA_CA_CERTS=\/etc\/extra-ca\.pem$/);
  const bogus = await doctor(upstream().fetch, {
    env: { CAS_SESSION: SENTINEL_COOKIE, DENO_TLS_CA_STORE: "windows" },
  });
  assert.equal(byName(bogus).tls!.status, "fail");
  assert.match(byName(bogus).tls!.fix ?? "", /system, mozilla/);
});

Deno.test("proxyAddress keeps scheme, host and port and drops credentials, paths and queries", () => {
  assert.equal(
    proxyAddress("https://u:p@proxy.example:8443/path?x=1"),
    "https://proxy.example:8443",
  );
  assert.equal(proxyAddress("socks5://proxy.example:1080"), "socks5://proxy.example:1080");
  assert.equal(proxyAddress("10.0.0.1:3128"), "http://10.0.0.1:3128");
  assert.equal(proxyAddress("http://"), undefined);
});

Deno.test("doctor names the proxy it went through when the auth service was unreachable", async () => {
  const unreachable = fakeUpstream([{
    url: AUTH_URL,
    respond: () => {
      throw new TypeError("error sending request: connection refused");
    },
  }]);
  const through = await doctor(unreachable.fetch, {
    env: {
      CAS_SESSION: SENTINEL_COOKIE,
      HTTPS_PROXY: "http://carol:pw@proxy.corp.example:3128",
    },
  });
  const { fix } = byName(through).jwt!;
  assert.match(
    fix ?? "",
    /^auth\.test was not reached through the proxy http:\/\/proxy\.corp\.example:3128 \(HTTPS_PROXY\)/,
  );
  assert.doesNotMatch(fix ?? "", /set HTTPS_PROXY|carol|pw@/);
  const direct = await doctor(unreachable.fetch, {
    env: {
      CAS_SESSION: SENTINEL_COOKIE,
      HTTPS_PROXY: "http://proxy.corp.example:3128",
      NO_PROXY: ".test",
    },
  });
  assert.match(
    byName(direct).jwt!.fix ?? "",
    /^Check the VPN; behind a corporate proxy set HTTPS_PROXY/,
  );
});

Deno.test("proxyFor follows NO_PROXY: *, a domain and its subdomains, a port", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  const proxy = { HTTPS_PROXY: "proxy.example:3128" };
  assert.deepEqual(proxyFor("https://a.test/x", env(proxy)), {
    variable: "HTTPS_PROXY",
    address: "http://proxy.example:3128",
  });
  assert.equal(proxyFor("http://a.test/x", env(proxy)), undefined, "HTTP_PROXY is not set");
  for (const noProxy of ["*", "a.test", ".test", "b.example, a.test:443"]) {
    assert.equal(
      proxyFor("https://a.test/x", env({ ...proxy, NO_PROXY: noProxy })),
      undefined,
      noProxy,
    );
  }
  for (const noProxy of ["b.test", "a.test:8443", "ba.test"]) {
    assert.ok(proxyFor("https://a.test/x", env({ ...proxy, NO_PROXY: noProxy })), noProxy);
  }
});
