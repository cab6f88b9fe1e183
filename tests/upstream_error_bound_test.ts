import assert from "node:assert/strict";
import { RegionError, type SearchResult } from "../src/discovery/mod.ts";
import { FIELD_LIMITS, notifyRegionFailures } from "../src/tools/search_result.ts";
import { recordingLogger, regionsUpstream } from "./fake_upstream.ts";
import { testConfig, withConnection } from "./harness.ts";
import { createTestApp, postPlainCall } from "./http_app.ts";
import { LoggingMessageNotificationSchema } from "./mcp_client.ts";

// What a registry may send: an error code and a message of 100 000 characters each.
const LONG_CODE = "E".repeat(100_000);
const LONG_MESSAGE = "M".repeat(100_000);
const CODE_BOUND = 32;
const MESSAGE_BOUND = 200;

function longestRun(text: string, char: string): number {
  let longest = 0;
  for (const run of text.split(new RegExp(`[^${char}]+`))) longest = Math.max(longest, run.length);
  return longest;
}

function assertBounded(where: string, text: string) {
  assert.ok(longestRun(text, "E") <= CODE_BOUND, `${where} holds the error code whole`);
  assert.ok(longestRun(text, "M") <= MESSAGE_BOUND, `${where} holds the message whole`);
}

function failing(status: number) {
  return () => Response.json({ error_code: LONG_CODE, error_message: LONG_MESSAGE }, { status });
}

Deno.test("a registry's error_code of 100 000 characters is cut in the warning, list_available_regions and the log", async () => {
  const logger = recordingLogger();
  // us answers 500 first (retried, and logged), then 200 with the error code.
  let usCalls = 0;
  const upstream = regionsUpstream({
    cn: failing(200),
    us: () => failing(usCalls++ === 0 ? 500 : 200)(),
  });
  await withConnection(testConfig(), { upstream, logger }, async (client) => {
    const warnings: unknown[] = [];
    client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (notification) => void warnings.push(notification.params),
    );
    const search = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.room" },
    });
    assert.match(JSON.stringify(search), /error_code EEEE/);
    assertBounded("the search result", JSON.stringify(search));
    assert.equal(warnings.length, 2, "one warning per region");
    assert.match(JSON.stringify(warnings), /error_code E{32}… \[cut: 100000 characters\]/);
    assertBounded("the warning", JSON.stringify(warnings));

    const regions = await client.callTool({ name: "list_available_regions", arguments: {} });
    assert.match(JSON.stringify(regions), /error_code EEEE/);
    assertBounded("list_available_regions", JSON.stringify(regions));
  });
  assert.ok(logger.lines.some((line) => line.includes("MMMM")), "the retry was logged");
  for (const line of logger.lines) assertBounded("the log", line);
});

Deno.test("/ready names a failing region without the registry's long error text", async () => {
  const upstream = regionsUpstream({ cn: failing(500), us: failing(500) });
  const app = createTestApp("localhost", { config: testConfig(), fetch: upstream.fetch });
  const search = { tool: "search_psm_service", arguments: { keyword: "oec.live", refresh: true } };
  let ready = await app.handle(new Request("http://localhost/ready"));
  for (let i = 0; i < 10 && ready.status === 200; i++) {
    await ready.body?.cancel();
    const response = await postPlainCall(app, search);
    await response.body?.cancel();
    ready = await app.handle(new Request("http://localhost/ready"));
  }
  const body = await ready.json();
  assert.equal(ready.status, 503);
  assert.match(body.reasons[0], /answered HTTP 500 \(MMMM/);
  assertBounded("/ready", JSON.stringify(body));
  await app.close();
});

Deno.test("a warning carries the region's reason cut as the result cuts it", async () => {
  const sent: unknown[] = [];
  const server = {
    sendLoggingMessage: (params: unknown) => {
      sent.push(params);
      return Promise.resolve();
    },
  };
  const error = new RegionError(`answered ${"R".repeat(10_000)}`, { kind: "upstream_error" });
  const result = {
    keyword: "oec",
    outcomes: [{ region: "cn", ok: false, error }],
  } as unknown as SearchResult;
  await notifyRegionFailures(server, [result]);
  const [warning] = sent as { data: { reason: string; message: string } }[];
  assert.equal(warning!.data.reason.length <= FIELD_LIMITS.reason + 40, true);
  assert.match(warning!.data.reason, /… \[cut: 10009 characters\]$/);
  assert.ok(warning!.data.message.length < FIELD_LIMITS.reason + 100);
});
