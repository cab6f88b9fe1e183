import assert from "node:assert/strict";
import { createAuthSources } from "../src/auth_sources.ts";
import { type Config, type Env, parseCommand, type RegionConfig } from "../src/config/mod.ts";
import { Secret } from "../src/secret.ts";
import { describeHealth } from "../src/health.ts";
import { fakeUpstream, recordingLogger } from "./fake_upstream.ts";
import { fourRegionConfigFile, fourRegionUpstream } from "./fake_regions.ts";
import { testConfig, textOf, withConnection } from "./harness.ts";

const CLOUD_COOKIE = "SENTINEL-CLOUD-COOKIE-51a7";
const US_COOKIE = "SENTINEL-US-COOKIE-0b2e";
const I18N_SECRET = "SENTINEL-I18N-SECRET-c3d9";
const ALL_CREDENTIALS = [CLOUD_COOKIE, US_COOKIE, I18N_SECRET];

function upstream() {
  return fourRegionUpstream("https://fake.test", {
    cloudCookie: CLOUD_COOKIE,
    usCookie: US_COOKIE,
    i18nSecret: I18N_SECRET,
  });
}

/** The config a user of `fake` would write, parsed with `env`. */
function configFor(fake: ReturnType<typeof upstream>, env: Env): Config {
  const file = fourRegionConfigFile(fake);
  const command = parseCommand(["--config", "regions.json"], env, {
    readFile: () => JSON.stringify(file),
  });
  if (command.kind !== "serve") throw new Error("expected a serve command");
  return command.config;
}

const EVERY_CREDENTIAL: Env = {
  CAS_SESSION: CLOUD_COOKIE,
  CAS_SESSION_us: US_COOKIE,
  SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET,
};

Deno.test("each region's search carries a token of its own auth service, asked once per source", async () => {
  const fake = upstream();
  const logger = recordingLogger();
  const outputs: string[] = [];
  await withConnection(
    configFor(fake, EVERY_CREDENTIAL),
    { upstream: fake, logger },
    async (client) => {
      const result = await client.callTool({
        name: "search_multiple_services",
        arguments: { keywords: "svc,main,cn.svc.main" },
      });
      outputs.push(JSON.stringify(result));
      assert.equal(result.isError, false);
      const structured = result.structuredContent as { summary: Record<string, number> };
      assert.deepEqual(structured.summary, { found: 1, candidates: 2, not_found: 0, failed: 0 });
    },
  );
  assert.deepEqual([...new Set(fake.searches)].sort(), [
    "boe:cloud",
    "cn:cloud",
    "i18n:i18n",
    "us:us",
  ]);
  assert.equal(fake.authRequests("cloud"), 1, "cn and boe share one token");
  assert.equal(fake.authRequests("us"), 1);
  assert.equal(fake.authRequests("i18n"), 1);
  const i18nAuth = fake.requests.find((r) => r.url === fake.authUrl("i18n"));
  assert.equal(i18nAuth?.headers.get("cookie"), null, "a service account sends no cookie");
  assertNoCredential([...outputs, ...logger.lines]);
});

Deno.test("a region without its cookie is skipped with a hint, the others still answer", async () => {
  const fake = upstream();
  const env = { CAS_SESSION_cn: CLOUD_COOKIE, SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET };
  const logger = recordingLogger();
  await withConnection(configFor(fake, env), { upstream: fake, logger }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc" },
    });
    assert.equal(result.isError, false);
    const text = textOf(result);
    assert.match(text, /Only cn, i18n answered/);
    assert.match(text, /boe: not configured: set CAS_SESSION_boe /);
    assert.match(text, /us: not configured: set CAS_SESSION_us /);
    assertNoCredential([JSON.stringify(result), ...logger.lines]);
  });
  assert.equal(fake.authRequests("us"), 0, "nothing is sent for a region without a credential");
  assert.equal(fake.authRequests("cloud"), 1);
  assert.deepEqual([...fake.searches].sort(), ["cn:cloud", "i18n:i18n"]);
});

// An auth service on another site than the fake's (fake.test): no route answers it, so a
// request to it fails the test.
const OTHER_SITE_AUTH = "https://sso.other-site.test/auth/api/v1/jwt";

/** The four regions plus eu, which signs in on another site. */
function configWithOtherSite(fake: ReturnType<typeof upstream>, env: Env, credential?: string) {
  const file = fourRegionConfigFile(fake);
  const eu = { name: "eu", base_url: fake.baseUrl("eu"), auth_url: OTHER_SITE_AUTH, credential };
  const command = parseCommand(["--config", "regions.json"], env, {
    readFile: () => JSON.stringify({ ...file, regions: [...file.regions, eu] }),
  });
  if (command.kind !== "serve") throw new Error("expected a serve command");
  return command.config;
}

Deno.test("the shared cookie is never sent to an auth service on another site: that region is skipped and named", async () => {
  const fake = upstream();
  const logger = recordingLogger();
  await withConnection(
    configWithOtherSite(fake, EVERY_CREDENTIAL),
    { upstream: fake, logger },
    async (client) => {
      const result = await client.callTool({
        name: "search_psm_service",
        arguments: { keyword: "svc" },
      });
      const reason =
        /not configured: CAS_SESSION is not sent to sso\.other-site\.test, another site than the default auth URL's; set CAS_SESSION_eu or SERVICE_ACCOUNT_SECRET_eu \(or add "credential": "CAS_SESSION" to region eu in the config file\)/;
      assert.match(textOf(result), reason);
      assert.match(textOf(result), /Only cn, boe, us, i18n answered/);
      const regions = await client.callTool({ name: "list_available_regions" });
      assert.match(
        textOf(regions),
        /^- eu: \S+ \(auth \S+; not configured: CAS_SESSION is not sent to sso\.other-site\.test/m,
      );
      const eu = (regions.structuredContent as { regions: Record<string, unknown>[] }).regions
        .find((r) => r.name === "eu");
      assert.equal(eu?.credential_source, undefined);
      assert.match(eu?.unconfigured as string, reason);
      assertNoCredential([JSON.stringify(result), JSON.stringify(regions), ...logger.lines]);
    },
  );
  assert.equal(fake.count("https://sso.other-site.test/"), 0, "nothing is sent to the other site");
  assert.deepEqual([...new Set(fake.searches)].sort(), [
    "boe:cloud",
    "cn:cloud",
    "i18n:i18n",
    "us:us",
  ]);
});

Deno.test("a credential another auth service does not accept fails that region only", async () => {
  const fake = upstream();
  // us falls back to the cloud cookie, which the us auth service refuses.
  const env = { CAS_SESSION: CLOUD_COOKIE, SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET };
  await withConnection(configFor(fake, env), { upstream: fake }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc" },
    });
    assert.match(textOf(result), /us: CAS_SESSION is expired or invalid/);
    assert.match(textOf(result), /Only cn, boe, i18n answered/);
  });
});

Deno.test("the shared cookie refused at a region's own auth service suggests that region's variable", async () => {
  const fake = upstream();
  const env = { CAS_SESSION: "SENTINEL-STALE-COOKIE", SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET };
  await withConnection(configFor(fake, env), { upstream: fake }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const errors = (result.structuredContent as { sources: Record<string, unknown>[] }).sources
      .map((s) => [(s.regions as string[]).join(","), s.last_error]);
    assert.deepEqual(errors, [
      [
        "cn,boe",
        "CAS_SESSION is expired or invalid: sign in again in the browser, copy a fresh CAS_SESSION cookie and restart the server",
      ],
      [
        "us",
        "CAS_SESSION is expired or invalid: sign in again in the browser, copy a fresh CAS_SESSION cookie and restart the server; if fake.test is another SSO domain, set CAS_SESSION_us for it instead",
      ],
      ["i18n", undefined],
    ]);
  });
});

function assertNoCredential(outputs: readonly string[]) {
  for (const output of outputs) {
    for (const credential of ALL_CREDENTIALS) {
      assert.ok(!output.includes(credential), `output leaks a credential: ${output}`);
    }
  }
}

function region(name: string, authUrl: string, source?: string): RegionConfig {
  return {
    name,
    baseUrl: `https://${name}.neptune.test`,
    authUrl,
    credential: source
      ? { kind: "cas_session", source, value: new Secret(`cookie-of-${source}`) }
      : undefined,
  };
}

function authSources(regions: readonly RegionConfig[]) {
  const fake = fakeUpstream([]);
  const auth = createAuthSources(regions, {
    fetch: fake.fetch,
    now: Date.now,
    timeoutMs: 1000,
    logger: recordingLogger(),
  });
  return { auth, fake };
}

Deno.test("regions that share an auth URL and a variable share one token provider", () => {
  const { auth } = authSources([
    region("cn", "https://a.test/jwt", "CAS_SESSION"),
    region("boe", "https://a.test/jwt", "CAS_SESSION"),
    region("sg", "https://a.test/jwt", "CAS_SESSION_sg"),
    region("us", "https://b.test/jwt", "CAS_SESSION"),
  ]);
  assert.deepEqual(
    auth.sources.map((s) => ({ url: s.authUrl, regions: s.regions, source: s.credential?.source })),
    [
      { url: "https://a.test/jwt", regions: ["cn", "boe"], source: "CAS_SESSION" },
      { url: "https://a.test/jwt", regions: ["sg"], source: "CAS_SESSION_sg" },
      { url: "https://b.test/jwt", regions: ["us"], source: "CAS_SESSION" },
    ],
  );
  const tokenOf = (name: string) => auth.tokenFor({ name, baseUrl: "" });
  assert.equal(tokenOf("cn"), tokenOf("boe"));
  assert.notEqual(tokenOf("cn"), tokenOf("sg"));
  assert.notEqual(tokenOf("cn"), tokenOf("us"));
});

Deno.test("with no credential at all and one auth URL, every region gives the CAS_SESSION hint", async () => {
  const { auth, fake } = authSources([
    region("cn", "https://a.test/jwt"),
    region("us", "https://a.test/jwt"),
  ]);
  assert.equal(auth.sources.length, 1);
  await assert.rejects(auth.sources[0]!.tokens.getToken(), /^AuthError: CAS_SESSION is not set/);
  assert.equal(fake.requests.length, 0);
});

Deno.test("each region without a credential gets its own source naming its variables", async () => {
  const { auth } = authSources([
    region("cn", "https://a.test/jwt", "CAS_SESSION_cn"),
    region("us", "https://a.test/jwt"),
    region("eu", "https://a.test/jwt"),
  ]);
  assert.deepEqual(auth.sources.map((s) => s.regions), [["cn"], ["us"], ["eu"]]);
  await assert.rejects(
    auth.tokenFor({ name: "eu", baseUrl: "" }).getToken(),
    /not configured: set CAS_SESSION_eu \(or SERVICE_ACCOUNT_SECRET_eu, or CAS_SESSION for every region\)/,
  );
  assert.equal(auth.sources[1]!.credential, undefined);
});

Deno.test("the regions argument searches only the regions named, on both search tools", async () => {
  const fake = upstream();
  await withConnection(configFor(fake, EVERY_CREDENTIAL), { upstream: fake }, async (client) => {
    const one = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc", regions: ["i18n"] },
    });
    assert.match(textOf(one), /i18n\.svc\.main/);
    const many = await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "svc,main", regions: ["cn", "us"] },
    });
    assert.equal(many.isError, false);
    const names = (many.structuredContent as { results: { regions: { name: string }[] }[] })
      .results.map((result) => result.regions.map((region) => region.name));
    assert.deepEqual(names, [["cn", "us"], ["cn", "us"]]);
  });
  assert.deepEqual([...new Set(fake.searches)].sort(), ["cn:cloud", "i18n:i18n", "us:us"]);
  assert.equal(fake.authRequests("cloud"), 1);
});

Deno.test("an unknown region name is an error listing the known ones, and nothing is searched", async () => {
  const fake = upstream();
  await withConnection(configFor(fake, EVERY_CREDENTIAL), { upstream: fake }, async (client) => {
    for (const name of ["search_psm_service", "search_multiple_services"]) {
      const result = await client.callTool({
        name,
        arguments: { keyword: "svc", keywords: "svc", regions: ["cn", "eu"] },
      });
      assert.equal(result.isError, true, name);
      assert.equal(
        textOf(result),
        'Unknown region "eu": use any of cn, boe, us, i18n, or leave regions out to search every region',
      );
    }
  });
  assert.equal(fake.requests.length, 0);
});

Deno.test("check_jwt_status reports each auth source: its regions, credential kind and variable, never a value", async () => {
  const fake = upstream();
  const env = { CAS_SESSION: CLOUD_COOKIE, SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET };
  await withConnection(configFor(fake, env), { upstream: fake }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const structured = result.structuredContent as {
      valid: boolean;
      configured: boolean;
      sources: Record<string, unknown>[];
    };
    assert.deepEqual(
      structured.sources.map((s) => [s.regions, s.credential_kind, s.credential_source, s.valid]),
      [
        [["cn", "boe"], "cookie", "CAS_SESSION", true],
        [["us"], "cookie", "CAS_SESSION", false],
        [["i18n"], "service_account", "SERVICE_ACCOUNT_SECRET_i18n", true],
      ],
    );
    assert.equal(structured.sources[1]!.auth_url, fake.authUrl("us"));
    assert.match(structured.sources[1]!.last_error as string, /^CAS_SESSION is expired or invalid/);
    assert.match(structured.sources[0]!.expires_at as string, /^\d{4}-\d\d-\d\dT/);
    assert.equal(structured.valid, false);
    const text = textOf(result);
    assert.match(text, /^2 of 3 auth sources hold a valid JWT\. us: CAS_SESSION is expired/);
    assert.match(
      text,
      /- i18n via .* \(service account from SERVICE_ACCOUNT_SECRET_i18n\): JWT valid/,
    );
    assertNoCredential([JSON.stringify(result)]);
  });
  assert.equal(fake.authRequests("cloud"), 1, "one request for the source cn and boe share");
});

Deno.test("list_available_regions shows each region's auth URL, credential variable and last search", async () => {
  const fake = upstream();
  const env = { CAS_SESSION_cn: CLOUD_COOKIE, SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET };
  await withConnection(configFor(fake, env), { upstream: fake }, async (client) => {
    await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc", regions: ["cn"] },
    });
    const result = await client.callTool({ name: "list_available_regions" });
    const regions = (result.structuredContent as { regions: Record<string, unknown>[] }).regions;
    const byName = new Map(regions.map((r) => [r.name, r]));
    assert.equal(byName.get("us")?.auth_url, fake.authUrl("us"));
    assert.equal(byName.get("us")?.credential_source, undefined);
    assert.equal(byName.get("i18n")?.credential_kind, "service_account");
    assert.equal(byName.get("i18n")?.credential_source, "SERVICE_ACCOUNT_SECRET_i18n");
    const cnHealth = byName.get("cn")?.health as Record<string, unknown>;
    assert.equal(cnHealth.last_outcome, "ok");
    assert.equal(typeof cnHealth.last_latency_ms, "number");
    const text = textOf(result);
    assert.match(
      text,
      /- cn: \S+ \(auth \S+; cookie from CAS_SESSION_cn; last search ok in \d+ ms\)/,
    );
    assert.match(
      text,
      /- us: \S+ \(auth \S+; not configured: set CAS_SESSION_us .*; not searched yet\)/,
    );
    assertNoCredential([JSON.stringify(result)]);
  });
});

Deno.test("list_available_regions names a region's missing variable once, even after a search failed for it", async () => {
  const fake = upstream();
  await withConnection(configFor(fake, { CAS_SESSION_cn: CLOUD_COOKIE }), {
    upstream: fake,
  }, async (client) => {
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "svc" } });
    const result = await client.callTool({ name: "list_available_regions" });
    const text = textOf(result);
    assert.match(text, /- us: \S+ \(auth \S+; not configured: set CAS_SESSION_us [^;]*\)$/m);
    assert.equal(text.match(/set CAS_SESSION_us/g)?.length, 1, text);
    const us = (result.structuredContent as { regions: Record<string, unknown>[] }).regions
      .find((r) => r.name === "us");
    assert.match(us?.unconfigured as string, /^not configured: set CAS_SESSION_us /);
  });
});

Deno.test("without any credential in the default setup, list_available_regions asks for CAS_SESSION alone", async () => {
  const config = testConfig([], {});
  await withConnection(config, { upstream: fakeUpstream([]) }, async (client) => {
    const result = await client.callTool({ name: "list_available_regions" });
    const text = textOf(result);
    assert.doesNotMatch(text, /CAS_SESSION_/);
    assert.match(text, /- cn: \S+ \(not configured: set CAS_SESSION and restart the server; /);
    assert.match(text, /- us: \S+ \(not configured: set CAS_SESSION and restart the server; /);
  });
});

Deno.test("/health counts the server as configured and valid only when every auth source is", async () => {
  const fake = upstream();
  const health = (deps: Parameters<typeof describeHealth>[0]) =>
    describeHealth(deps, { startedAt: 0, now: Date.now }).auth;
  await withConnection(
    configFor(fake, EVERY_CREDENTIAL),
    { upstream: fake },
    async (client, deps) => {
      assert.deepEqual(health(deps), { configured: true, valid: false, expires_at: undefined });
      await client.callTool({ name: "check_jwt_status", arguments: {} });
      assert.equal(health(deps).valid, true);
    },
  );
  const partial = upstream();
  await withConnection(configFor(partial, { CAS_SESSION_cn: CLOUD_COOKIE }), {
    upstream: partial,
  }, (_client, deps) => {
    assert.equal(health(deps).configured, false);
    return Promise.resolve();
  });
});
