import assert from "node:assert/strict";
import {
  AUTH_URL,
  CN,
  type FakeClock,
  fakeClock,
  fakeUpstream,
  jwtExpiringAt,
  recordingLogger,
  regionsUpstream,
  searchAnswer,
  searchUrl,
  tokenAnswer,
  US,
} from "../fake_upstream.ts";
import {
  connectInMemory,
  demoFetchFor,
  SENTINEL_COOKIE,
  testConfig,
  textOf,
  withConnection,
} from "../harness.ts";
import type { Client } from "../mcp_client.ts";
import { describeHealth } from "../../src/health.ts";

async function assertToolError(
  client: Client,
  call: { name: string; arguments: Record<string, unknown> },
  message: RegExp,
) {
  const result = await client.callTool(call);
  assert.equal(result.isError, true, `${call.name} should fail`);
  assert.match(textOf(result), message);
}

const SNAPSHOT = new URL("../testdata/tools_list.json", import.meta.url);

Deno.test("tools/list matches the reviewed snapshot in tests/testdata/tools_list.json", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const { tools } = await client.listTools();
    const actual = `${JSON.stringify(tools, null, 2)}\n`;
    if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") await Deno.writeTextFile(SNAPSHOT, actual);
    assert.equal(
      actual,
      await Deno.readTextFile(SNAPSHOT),
      "tools/list changed: review the diff, then run `deno task snapshot`",
    );
  });
});

Deno.test("the server offers exactly the four tools, read-only, searches open-world", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    assert.deepEqual([...byName.keys()].sort(), [
      "check_jwt_status",
      "list_available_regions",
      "search_multiple_services",
      "search_psm_service",
    ]);
    for (const tool of tools) {
      assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
      assert.ok(tool.outputSchema, `${tool.name} declares an output schema`);
    }
    assert.equal(byName.get("search_psm_service")?.annotations?.openWorldHint, true);
    assert.equal(byName.get("search_multiple_services")?.annotations?.openWorldHint, true);
    assert.deepEqual(byName.get("search_psm_service")?.inputSchema.required, ["keyword"]);
    assert.deepEqual(byName.get("search_multiple_services")?.inputSchema.required, ["keywords"]);
  });
});

Deno.test("search_psm_service returns an exact PSM's details as text and structured content", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "  oec.affiliate.monitor  ", wait_all_regions: true },
    });
    assert.equal(result.isError, false);
    const text = textOf(result);
    for (
      const expected of [
        "PSM: oec.affiliate.monitor",
        "Description: Affiliate order monitoring and alerting",
        "Owners: wangzhonghua.97",
        "Framework: kitex",
        "Type: thrift",
        "Deployment platform: tce",
        "Level: P2",
        "Regions: cn, us",
        "Updated at: 2025-09-01T08:00:00Z",
      ]
    ) assert.ok(text.includes(expected), `text has "${expected}":\n${text}`);
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.status, "found");
    assert.equal(structured.keyword, "oec.affiliate.monitor");
    assert.deepEqual(structured.services, [{
      psm: "oec.affiliate.monitor",
      description: "Affiliate order monitoring and alerting",
      chinese_name: "oec.affiliate.monitor",
      owners: ["wangzhonghua.97"],
      framework: "kitex",
      type: "thrift",
      deployment_platform: "tce",
      level: "P2",
      updated_at: "2025-09-01T08:00:00Z",
      regions: ["cn", "us"],
    }]);
    const regions = structured.regions as { fetched_at?: string }[];
    assert.deepEqual(regions.map(({ fetched_at: _, ...rest }) => rest), [
      { name: "cn", ok: true, status: "live", matches: 1, from_cache: false },
      { name: "us", ok: true, status: "live", matches: 1, from_cache: false },
    ]);
    assert.ok(regions.every((r) => !Number.isNaN(Date.parse(r.fetched_at ?? ""))));
  });
});

Deno.test("search_psm_service lists ranked candidates for a partial keyword", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.affiliate" },
    });
    assert.equal(result.isError, false);
    const structured = result.structuredContent as {
      status: string;
      services: { psm: string }[];
      total_matches: number;
    };
    assert.equal(structured.status, "candidates");
    assert.equal(structured.total_matches, 5);
    assert.deepEqual(structured.services.map((s) => s.psm), [
      "oec.affiliate.api",
      "oec.affiliate.link",
      "oec.affiliate.monitor",
      "oec.affiliate.commission",
      "oec.affiliate.settlement",
    ]);
    assert.match(textOf(result), /No service is named exactly "oec\.affiliate"; 5 services match/);
  });
});

Deno.test("search_psm_service reports not found as a result that suggests what to try", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "no.such.service" },
    });
    assert.equal(result.isError, false);
    assert.equal((result.structuredContent as { status: string }).status, "not_found");
    assert.match(textOf(result), /No service matches "no\.such\.service" in cn, us: check/);
  });
});

function upstreamWithFailingUs(usStatus: number) {
  return regionsUpstream({
    cn: () => searchAnswer([{ psm: "oec.live.room", owners: "liu.yang" }]),
    us: () => new Response("<html>bad gateway</html>", { status: usStatus }),
  });
}

Deno.test("search_psm_service answers from the regions that worked and names the one that failed", async () => {
  const upstream = upstreamWithFailingUs(502);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room", wait_all_regions: true },
    });
    assert.equal(result.isError, false);
    assert.match(
      textOf(result),
      /Found oec\.live\.room in cn\. Only cn answered: us: answered HTTP 502\. Search again in a moment to cover it\./,
    );
    const structured = result.structuredContent as { regions: { fetched_at?: string }[] };
    assert.deepEqual(structured.regions.map(({ fetched_at: _, ...rest }) => rest), [
      { name: "cn", ok: true, status: "live", matches: 1, from_cache: false },
      { name: "us", ok: false, status: "failed", error: "answered HTTP 502" },
    ]);
  });
});

Deno.test("search_psm_service shows the registry's display name when it differs from the PSM", async () => {
  const upstream = regionsUpstream({
    cn: () => searchAnswer([{ psm: "oec.live.room", service_chinese_name: "直播间服务" }]),
    us: () => searchAnswer([{ psm: "oec.live.room", service_chinese_name: "oec.live.room" }]),
  });
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });
    assert.match(textOf(result), /PSM: oec\.live\.room\nName: 直播间服务\n/);
  });
  const echoed = regionsUpstream({
    cn: () => searchAnswer([{ psm: "a.b.c", service_chinese_name: "a.b.c" }]),
    us: () => searchAnswer([]),
  });
  await withConnection(testConfig(), { upstream: echoed }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "a.b.c" },
    });
    assert.ok(!textOf(result).includes("Name:"), "a name equal to the PSM is not repeated");
  });
});

Deno.test("search_psm_service is an error result naming every region when all fail", async () => {
  const upstream = regionsUpstream({
    cn: () => new Response("not json", { status: 200 }),
    us: () => new Response("", { status: 503 }),
  });
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });
    assert.equal(result.isError, true);
    const text = textOf(result);
    assert.match(text, /No region could be searched for "oec\.live\.room"/);
    assert.match(text, /cn: answered with a body that is not a JSON object/);
    assert.match(text, /us: answered HTTP 503/);
    assert.match(text, /Check your network or VPN connection and CAS_SESSION/);
    assert.equal((result.structuredContent as { status: string }).status, "failed");
  });
});

Deno.test("without CAS_SESSION the search tools explain how to set it, once for all regions", async () => {
  const upstream = fakeUpstream([]);
  await withConnection(testConfig([], {}), { upstream }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });
    assert.equal(result.isError, true);
    const text = textOf(result);
    assert.match(text, /cn, us: CAS_SESSION is not set: sign in to cloud\.bytedance\.net/);
    assert.equal(text.match(/CAS_SESSION is not set/g)?.length, 1);
    assert.equal(upstream.requests.length, 0, "nothing is sent without a credential");
  });
});

Deno.test("search_psm_service rejects an empty or overlong keyword, or one with control characters, with an actionable error", async () => {
  const config = testConfig();
  const upstream = fakeUpstream([]);
  await withConnection(config, { upstream }, async (client) => {
    await assertToolError(
      client,
      { name: "search_psm_service", arguments: { keyword: "   " } },
      /The keyword is empty: give a PSM such as oec\.affiliate\.monitor/,
    );
    await assertToolError(
      client,
      { name: "search_psm_service", arguments: { keyword: "x".repeat(257) } },
      /longer than 256 characters/,
    );
    for (const keyword of ["\u202eevil.txt", "oec\u001b[31m.live", "oec\u0000live"]) {
      const result = await client.callTool({ name: "search_psm_service", arguments: { keyword } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /holds a control or text-direction character/);
      assert.ok(!textOf(result).includes(keyword), "the keyword is not quoted back");
    }
    assert.equal(upstream.requests.length, 0);
  });
});

Deno.test("search_multiple_services splits, trims, drops empties and searches duplicates once", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: " oec.trade.order, toutiao.user ,, oec.trade.order , nope.nope.nope" },
    });
    assert.equal(result.isError, false);
    const structured = result.structuredContent as {
      keywords: string[];
      summary: Record<string, number>;
      results: { keyword: string; status: string }[];
    };
    assert.deepEqual(structured.keywords, ["oec.trade.order", "toutiao.user", "nope.nope.nope"]);
    assert.deepEqual(structured.summary, { found: 1, candidates: 1, not_found: 1, failed: 0 });
    assert.deepEqual(
      structured.results.map((r) => [r.keyword, r.status]),
      [["oec.trade.order", "found"], ["toutiao.user", "candidates"], [
        "nope.nope.nope",
        "not_found",
      ]],
    );
    const text = textOf(result);
    assert.match(text, /^Searched 3 keywords: 1 found, 1 with candidates only, 1 not found/);
    assert.match(text, /^oec\.trade\.order: found in cn, us: /m, "one line per keyword by default");
  });
});

Deno.test("search_multiple_services refuses no keywords and more than 100", async () => {
  const config = testConfig();
  const upstream = fakeUpstream([]);
  await withConnection(config, { upstream }, async (client) => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `svc.n${i}.api`).join(",");
    await assertToolError(
      client,
      { name: "search_multiple_services", arguments: { keywords: " , ," } },
      /No keyword given: pass keywords, PSMs separated by commas/,
    );
    await assertToolError(
      client,
      { name: "search_multiple_services", arguments: { keywords: tooMany } },
      /Too many keywords: pass at most 100 per call/,
    );
    assert.equal(upstream.requests.length, 0);
  });
});

Deno.test("search_multiple_services reports progress when the client asks for it", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const progress: [number, number | undefined][] = [];
    await client.callTool(
      {
        name: "search_multiple_services",
        arguments: { keywords: "oec.trade.order,oec.trade.cart,oec.live" },
      },
      undefined,
      { onprogress: ({ progress: done, total }) => progress.push([done, total]) },
    );
    assert.deepEqual(progress, [[1, 3], [2, 3], [3, 3]]);
  });
});

Deno.test("check_jwt_status obtains a token and reports its expiry without revealing it", async () => {
  const token = jwtExpiringAt(Date.now() + 30 * 60_000);
  const upstream = fakeUpstream([{
    url: AUTH_URL,
    respond: () => tokenAnswer(token),
  }]);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.configured, true);
    assert.equal(structured.valid, true);
    assert.equal(structured.auto_refresh, true);
    assert.equal(structured.demo, false);
    assert.ok((structured.seconds_left as number) > 29 * 60);
    assert.match(structured.expires_at as string, /^\d{4}-\d\d-\d\dT/);
    assert.match(textOf(result), /The JWT is valid for 2\d min/);
    const everything = JSON.stringify(result);
    assert.ok(!everything.includes(token), "the token is not shown");
    assert.ok(!everything.includes(SENTINEL_COOKIE), "the cookie is not shown");
  });
});

Deno.test("check_jwt_status without CAS_SESSION says how to set it", async () => {
  const upstream = fakeUpstream([]);
  await withConnection(testConfig([], {}), { upstream }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.configured, false);
    assert.equal(structured.valid, false);
    assert.equal(structured.auto_refresh, false);
    assert.match(structured.message as string, /CAS_SESSION is not set/);
    assert.match(textOf(result), /CAS_SESSION configured: no/);
  });
});

Deno.test("check_jwt_status reports an expired session as the reason, not as a tool failure", async () => {
  const upstream = fakeUpstream([{
    url: AUTH_URL,
    respond: () => new Response(null, { status: 302, headers: { location: "https://sso.test/" } }),
  }]);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    assert.ok(!result.isError);
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.valid, false);
    assert.match(structured.last_error as string, /CAS_SESSION is expired or invalid/);
    assert.ok(!JSON.stringify(result).includes(SENTINEL_COOKIE));
  });
});

Deno.test("check_jwt_status reads a token already expired by this clock as a clock warning", async () => {
  const upstream = fakeUpstream([{
    url: AUTH_URL,
    respond: () => tokenAnswer(jwtExpiringAt(Date.now() - 10 * 60_000)),
  }]);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.valid, true);
    assert.equal(structured.last_error, undefined);
    assert.match(structured.warning as string, /already expired by this machine's clock/);
    assert.match(structured.message as string, /renewed automatically\. Warning: .*clock/);
    assert.doesNotMatch(textOf(result), /renewal failed/);
  });
});

Deno.test("check_jwt_status survives an exp claim out of range (1e13) and uses an hour", async () => {
  const upstream = fakeUpstream([{
    url: AUTH_URL,
    respond: () => tokenAnswer(jwtExpiringAt(1e16)),
  }]);
  await withConnection(testConfig(), { upstream }, async (client, deps) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    assert.ok(!result.isError, textOf(result));
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.valid, true);
    assert.ok((structured.seconds_left as number) > 59 * 60);
    assert.match(structured.warning as string, /exp claim is not a time in seconds/);
    const health = describeHealth(deps, { startedAt: Date.now(), now: Date.now });
    assert.equal(health.auth.valid, true);
    assert.match(health.auth.expires_at ?? "", /^\d{4}-/);
  });
});

Deno.test("check_jwt_status in demo mode says so in its message and text", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({ name: "check_jwt_status", arguments: {} });
    const structured = result.structuredContent as Record<string, unknown>;
    assert.equal(structured.demo, true);
    assert.match(structured.message as string, /^Demo mode: the JWT comes from the built-in/);
    assert.match(textOf(result), /^Demo mode: /);
    assert.match(
      textOf(result),
      /Mode: demo \(built-in sample catalogue; CAS_SESSION is not used\)/,
    );
    assert.doesNotMatch(textOf(result), /CAS_SESSION configured/);
  });
});

Deno.test("check_jwt_status is open-world: it calls the auth service", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === "check_jwt_status");
    assert.equal(tool?.annotations?.openWorldHint, true);
  });
});

Deno.test("list_available_regions lists each region, the auth URL, the mode and the timeout", async () => {
  const config = testConfig(["--timeout", "2500"]);
  await withConnection(config, { upstream: fakeUpstream([]) }, async (client) => {
    const result = await client.callTool({ name: "list_available_regions" });
    const region = (name: string, baseUrl: string) => ({
      name,
      base_url: baseUrl,
      auth_url: AUTH_URL,
      credential_kind: "cookie",
      credential_source: "CAS_SESSION",
      health: { state: "closed" },
    });
    // As a client receives it: fields without a value are left out.
    assert.deepEqual(JSON.parse(JSON.stringify(result.structuredContent)), {
      regions: [region("cn", CN.baseUrl), region("us", US.baseUrl)],
      auth_url: AUTH_URL,
      query_mode: "concurrent",
      timeout_ms: 2500,
      demo: false,
    });
    const text = textOf(result);
    assert.match(text, /2 regions are searched concurrently:/);
    assert.match(text, /- us: https:\/\/us\.neptune\.test/);
    assert.match(text, /Timeout per upstream request: 2500 ms/);
  });
});

// Early answers, the cache, stale answers

/** An upstream where cn knows oec.live.room and us answers only once `usHeld` opens. */
function upstreamWithSlowUs(clock: FakeClock, state: { cnDown: boolean; usHeld: Promise<void> }) {
  return regionsUpstream({
    cn: () =>
      state.cnDown ? new Response("", { status: 502 }) : searchAnswer([{ psm: "oec.live.room" }]),
    us: async () => {
      await state.usHeld;
      return searchAnswer([]);
    },
    now: clock.now,
  });
}

function regionsOf(result: unknown): Record<string, unknown>[] {
  return (result as { structuredContent: { regions: Record<string, unknown>[] } })
    .structuredContent.regions;
}

Deno.test("search_psm_service answers on an exact match and names the region it did not wait for", async () => {
  const clock = fakeClock();
  const usHeld = Promise.withResolvers<void>();
  const upstream = upstreamWithSlowUs(clock, { cnDown: false, usHeld: usHeld.promise });
  const connection = await connectInMemory(testConfig(), { fetch: upstream.fetch, now: clock.now });
  try {
    const result = await connection.client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });

    const [summary, sources] = textOf(result).split("\n");
    assert.equal(summary, "Found oec.live.room in cn.");
    assert.match(sources!, /^us: not awaited, the exact PSM was found first .*wait_all_regions/);
    assert.deepEqual(regionsOf(result)[1], { name: "us", ok: false, status: "pending" });
    assert.equal(regionsOf(result)[0]!.status, "live");
  } finally {
    usHeld.resolve();
    // Joins the search of us still in flight (single flight), so that it ends within the test.
    await connection.deps.discovery.search("oec.live.room", { waitAllRegions: true });
    await connection.close();
  }
  upstream.assertNoUnexpected();
});

Deno.test("a cached answer reads like a fresh one, its age in structuredContent; refresh asks again", async () => {
  const clock = fakeClock();
  const upstream = upstreamWithSlowUs(clock, { cnDown: false, usHeld: Promise.resolve() });
  const connection = await connectInMemory(testConfig(), { fetch: upstream.fetch, now: clock.now });
  const search = (args: Record<string, unknown>) =>
    connection.client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room", wait_all_regions: true, ...args },
    });
  try {
    const fresh = await search({});
    const fetchedAt = new Date(clock.now()).toISOString();
    clock.advance(40_000);
    const cached = await search({});
    const refreshed = await search({ refresh: true });

    assert.equal(textOf(cached), textOf(fresh));
    assert.doesNotMatch(textOf(cached), /cached|fetched/);
    assert.deepEqual(regionsOf(cached)[0], {
      name: "cn",
      ok: true,
      status: "cached",
      matches: 1,
      fetched_at: fetchedAt,
      from_cache: true,
    });
    assert.equal(regionsOf(refreshed)[0]!.status, "live");
    assert.ok(!textOf(refreshed).includes("cached"), textOf(refreshed));
    assert.equal(upstream.count(searchUrl(CN)), 2);
  } finally {
    await connection.close();
  }
});

Deno.test("a failing region's expired answer is shown labelled stale, with its age and the failure", async () => {
  const clock = fakeClock();
  const state = { cnDown: false, usHeld: Promise.resolve() };
  const upstream = upstreamWithSlowUs(clock, state);
  const connection = await connectInMemory(testConfig(), { fetch: upstream.fetch, now: clock.now });
  try {
    const args = { keyword: "oec.live.room", wait_all_regions: true };
    await connection.client.callTool({ name: "search_psm_service", arguments: args });
    clock.advance(7 * 60_000);
    state.cnDown = true;
    const result = await connection.client.callTool({
      name: "search_psm_service",
      arguments: args,
    });

    assert.equal(result.isError, false);
    assert.match(
      textOf(result),
      /^Found oec\.live\.room in cn\.\ncn: stale, fetched 7 min ago; the region failed: answered HTTP 502\n/,
    );
    assert.deepEqual(
      { ...regionsOf(result)[0], fetched_at: undefined },
      {
        name: "cn",
        ok: true,
        status: "stale",
        matches: 1,
        error: "answered HTTP 502",
        fetched_at: undefined,
        from_cache: true,
      },
    );
  } finally {
    await connection.close();
  }
});

Deno.test("search_multiple_services passes refresh and wait_all_regions to every keyword", async () => {
  const clock = fakeClock();
  const usHeld = Promise.withResolvers<void>();
  const upstream = upstreamWithSlowUs(clock, { cnDown: false, usHeld: usHeld.promise });
  const connection = await connectInMemory(testConfig(), { fetch: upstream.fetch, now: clock.now });
  try {
    const batch = connection.client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "oec.live.room", wait_all_regions: true, refresh: true },
    });
    usHeld.resolve();
    const result = await batch;
    const [first] = (result.structuredContent as { results: unknown[] }).results;

    assert.deepEqual(regionsOf({ structuredContent: first }).map((r) => r.status), [
      "live",
      "live",
    ]);
  } finally {
    await connection.close();
  }
});

Deno.test("a missing keyword or keywords is refused with what to pass and an example", async () => {
  const config = testConfig();
  const upstream = fakeUpstream([]);
  await withConnection(config, { upstream }, async (client) => {
    await assertToolError(
      client,
      { name: "search_psm_service", arguments: {} },
      /No keyword given: pass keyword, a PSM such as oec\.affiliate\.monitor/,
    );
    await assertToolError(
      client,
      { name: "search_multiple_services", arguments: {} },
      /No keyword given: pass keywords, PSMs separated by commas such as/,
    );
    await assertToolError(
      client,
      { name: "search_multiple_services", arguments: { keywords: 42 } },
      /keywords must be text or an array of text/,
    );
    assert.equal(upstream.requests.length, 0);
  });
});

Deno.test("search_multiple_services takes new lines, semicolons, spaces and arrays as separators", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const given: unknown[] = [
      "oec.live.room\noec.trade.order",
      "oec.live.room; oec.trade.order",
      "oec.live.room   oec.trade.order",
      '["oec.live.room", "oec.trade.order"]',
      ["oec.live.room", " oec.trade.order "],
    ];
    for (const keywords of given) {
      const result = await client.callTool({
        name: "search_multiple_services",
        arguments: { keywords },
      });
      const structured = result.structuredContent as {
        keywords: string[];
        summary: { found: number };
      };
      assert.deepEqual(structured.keywords, ["oec.live.room", "oec.trade.order"], `${keywords}`);
      assert.equal(structured.summary.found, 2, `${keywords}`);
    }
  });
});

Deno.test("region names match without regard to case, and an unknown one lists those that exist", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room", regions: ["CN"] },
    });
    assert.equal(result.isError, false);
    assert.deepEqual(
      (result.structuredContent as { regions: { name: string }[] }).regions.map((r) => r.name),
      ["cn"],
    );
    await assertToolError(
      client,
      { name: "search_psm_service", arguments: { keyword: "oec.live.room", regions: ["eu"] } },
      /Unknown region "eu": use any of cn, us, or leave regions out/,
    );
  });
});

Deno.test("a regions argument of 80 000 names fails validation in a bounded message", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const regions = Array.from({ length: 80_000 }, (_, i) => `nowhere-${i}`);
    for (
      const call of [
        { name: "search_psm_service", arguments: { keyword: "oec.live.room", regions } },
        { name: "search_multiple_services", arguments: { keywords: "oec.live.room", regions } },
      ]
    ) {
      const result = await client.callTool(call);
      assert.equal(result.isError, true, `${call.name} should fail`);
      assert.match(textOf(result), /Too many regions: pass at most 64, or leave regions out/);
      assert.ok(textOf(result).length < 2_000, `${call.name}: ${textOf(result).length} characters`);
    }
  });
});

Deno.test("a keyword list given to search_psm_service searches the first and points to the batch tool", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room, oec.trade.order", wait_all_regions: true },
    });
    const structured = result.structuredContent as { keyword: string; message: string };
    assert.equal(structured.keyword, "oec.live.room");
    assert.match(
      structured.message,
      /only "oec\.live\.room" was searched; pass them all to search_multiple_services/,
    );
    assert.doesNotMatch(textOf(result), /spelling/);
  });
});

Deno.test("an answer with a region failed or left out never advises checking the spelling", async () => {
  const upstream = upstreamWithFailingUs(502);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const failed = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "nope.nope.nope", wait_all_regions: true },
    });
    assert.doesNotMatch(textOf(failed), /spelling|Did you mean/);
    assert.match(
      textOf(failed),
      /Only cn answered; the PSM may be in a region not searched: us: answered HTTP 502/,
    );
    const filtered = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "nope.nope.nope", regions: ["cn"] },
    });
    assert.doesNotMatch(textOf(filtered), /spelling/);
    assert.match(textOf(filtered), /Left out by the regions filter: us/);
  });
});

Deno.test("in demo mode the log says the JWT came from the demo auth service, not a real host", async () => {
  const config = testConfig(["--demo"]);
  const logger = recordingLogger();
  await withConnection(config, { fetch: demoFetchFor(config), logger }, async (client) => {
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.live.room" } });
  });
  const obtained = logger.lines.filter((line) => line.includes("Obtained a JWT"));
  assert.equal(obtained.length, 1, logger.lines.join("\n"));
  assert.match(obtained[0]!, /from the demo auth service \(in-process, nothing contacted\)/);
  assert.doesNotMatch(obtained[0]!, /auth\.test/);
});

Deno.test("list_available_regions in demo mode says the session is the demo's, not a cookie's", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const text = textOf(await client.callTool({ name: "list_available_regions", arguments: {} }));
    assert.match(
      text,
      /- cn: \S+ \(demo session from the built-in demo auth service, nothing contacted;/,
    );
    assert.doesNotMatch(text, /cookie from demo/);
  });
});
