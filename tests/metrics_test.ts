import assert from "node:assert/strict";
import { createMetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../src/metrics.ts";
import { Secret } from "../src/secret.ts";
import type { Fetch } from "../src/upstream.ts";
import { demoFetchFor, testConfig, textOf } from "./harness.ts";
import { createTestApp } from "./http_app.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";

/** The samples of a Prometheus text exposition, keyed `name{a="x",b="y"}` with labels sorted. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    assert.ok(match, `a sample line: ${line}`);
    const [, name, labels = "", value] = match;
    samples.set(sampleKey(name!, parseLabels(labels)), Number(value));
  }
  return samples;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[name!] = value!.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
  }
  return labels;
}

function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return `${name}{${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

Deno.test("the registry renders counters, gauges and cumulative histograms in the text format", () => {
  const registry = createMetricsRegistry();
  const calls = registry.counter("demo_calls_total", "Calls.\nBy tool.");
  calls.inc({ tool: "a" });
  calls.inc({ tool: "a" }, 2);
  calls.inc({ tool: 'quote"back\\slash' });
  registry.gauge("demo_open", "Open things.", () => [[{ kind: "x" }, 4]]);
  const latency = registry.histogram("demo_seconds", "Latency.", [1, 0.1]);
  latency.observe({ region: "cn" }, 0.05);
  latency.observe({ region: "cn" }, 0.5);
  latency.observe({ region: "cn" }, 7);

  const text = registry.render();
  assert.match(
    text,
    /^# HELP demo_calls_total Calls\.\\nBy tool\.\n# TYPE demo_calls_total counter\n/,
  );
  assert.match(text, /# TYPE demo_open gauge\n/);
  assert.match(text, /# TYPE demo_seconds histogram\n/);
  const samples = parseExposition(text);
  assert.equal(samples.get(sampleKey("demo_calls_total", { tool: "a" })), 3);
  assert.equal(samples.get(sampleKey("demo_calls_total", { tool: 'quote"back\\slash' })), 1);
  assert.equal(samples.get(sampleKey("demo_open", { kind: "x" })), 4);
  const bucket = (le: string) =>
    samples.get(sampleKey("demo_seconds_bucket", { region: "cn", le }));
  assert.deepEqual([bucket("0.1"), bucket("1"), bucket("+Inf")], [1, 2, 3]);
  assert.equal(samples.get(sampleKey("demo_seconds_count", { region: "cn" })), 3);
  assert.equal(samples.get(sampleKey("demo_seconds_sum", { region: "cn" })), 7.55);
});

Deno.test("a metric name can be registered once", () => {
  const registry = createMetricsRegistry();
  registry.counter("demo_total", "Demo.");
  assert.throws(() => registry.counter("demo_total", "Again."), /exists already/);
});

Deno.test("/metrics after some calls counts tools, upstream latency, auth, cache, breakers and sessions", async () => {
  const config = testConfig(["--demo", "--cache-ttl", "60"]);
  const demo = demoFetchFor(config);
  // The us registry is down; cn and the auth service answer.
  const fetch: Fetch = (input, init) =>
    String(input).startsWith(`${config.regions[1]!.baseUrl}/`)
      ? Promise.reject(new TypeError("connection refused"))
      : demo(input, init);
  const metrics = createMetricsRegistry();
  const app = createTestApp("localhost", { config, fetch, metrics });
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    fetch: (input, init) => app.handle(new Request(input, init)),
  });
  const client = new Client({ name: "metrics-test", version: "0" });
  await client.connect(transport);
  try {
    const search = { name: "search_psm_service", arguments: { keyword: "oec.live.promotion" } };
    assert.match(textOf(await client.callTool({ ...search })), /Found oec\.live\.promotion/);
    await client.callTool({
      ...search,
      arguments: { keyword: "oec.live.promotion", wait_all_regions: true },
    });
    await client.callTool({ name: "list_available_regions" });

    const response = await app.handle(new Request("http://localhost/metrics"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
    const samples = parseExposition(await response.text());
    const get = (name: string, labels?: Record<string, string>) =>
      samples.get(sampleKey(name, labels));

    assert.equal(
      get("byted_mcp_tool_calls_total", { tool: "search_psm_service", outcome: "ok" }),
      2,
    );
    assert.equal(
      get("byted_mcp_tool_calls_total", { tool: "list_available_regions", outcome: "ok" }),
      1,
    );
    assert.equal(get("byted_mcp_auth_refreshes_total", { outcome: "ok" }), 1);
    assert.ok(
      (get("byted_mcp_upstream_request_duration_seconds_count", { region: "cn", outcome: "ok" }) ??
        0) >= 1,
      "cn's requests are timed",
    );
    assert.ok(
      (get("byted_mcp_upstream_request_duration_seconds_count", {
        region: "us",
        outcome: "network",
      }) ?? 0) >= 1,
      "us's failures are timed by kind",
    );
    assert.ok(
      (get("byted_mcp_cache_lookups_total", { result: "hit" }) ?? 0) >= 1,
      "cn's cache hit",
    );
    assert.ok((get("byted_mcp_cache_lookups_total", { result: "miss" }) ?? 0) >= 2);
    assert.equal(get("byted_mcp_region_circuit_state", { region: "cn", state: "closed" }), 1);
    assert.equal(get("byted_mcp_region_circuit_state", { region: "cn", state: "open" }), 0);
    assert.equal(get("byted_mcp_sessions_open", { transport: "streamable_http" }), 1);
    assert.equal(get("byted_mcp_sessions_open", { transport: "sse" }), 0);
  } finally {
    await client.close();
    await app.close();
  }
});

Deno.test("/metrics needs the bearer token when one is configured", async () => {
  const app = createTestApp("localhost", {
    metrics: createMetricsRegistry(),
    authToken: new Secret("metrics-token"),
  });
  const refused = await app.handle(new Request("http://localhost/metrics"));
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  const served = await app.handle(
    new Request("http://localhost/metrics", { headers: { authorization: "Bearer metrics-token" } }),
  );
  assert.equal(served.status, 200);
  assert.match(await served.text(), /byted_mcp_sessions_open/);
});

Deno.test("label values are escaped in the text format: backslash, quote and newline", () => {
  const registry = createMetricsRegistry();
  const counter = registry.counter("t_total", "Test.");
  counter.inc({ region: 'c\\n"x"\ny', plain: "us" });
  counter.inc({});
  const lines = registry.render().split("\n").filter((line) => line.startsWith("t_total"));
  assert.deepEqual(lines, ['t_total{region="c\\\\n\\"x\\"\\ny",plain="us"} 1', "t_total 1"]);
});
