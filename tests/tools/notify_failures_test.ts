import assert from "node:assert/strict";
import {
  fakeUpstream,
  HOUR_MS,
  jwtExpiringAt,
  regionsUpstream,
  searchAnswer,
} from "../fake_upstream.ts";
import { SENTINEL_COOKIE, testConfig, withConnection } from "../harness.ts";
import { type Client, LoggingMessageNotificationSchema } from "../mcp_client.ts";

const TOKEN = jwtExpiringAt(Date.now() + HOUR_MS, { sub: "notify-test" });

// cn answers, us fails with 503 every time.
function halfDownUpstream() {
  return regionsUpstream({
    cn: () => searchAnswer([]),
    us: () => new Response("", { status: 503 }),
    token: TOKEN,
  });
}

type LogParams = { level: string; logger?: string; data?: unknown };

function collectLogs(client: Client): LogParams[] {
  const received: LogParams[] = [];
  client.setNotificationHandler(
    LoggingMessageNotificationSchema,
    (notification) => void received.push(notification.params),
  );
  return received;
}

Deno.test("the server declares the logging capability", async () => {
  await withConnection(testConfig(), { upstream: fakeUpstream([]) }, (client) => {
    assert.deepEqual(client.getServerCapabilities()?.logging, {});
    return Promise.resolve();
  });
});

Deno.test("a region that failed a search is sent to the client as a warning log notification", async () => {
  await withConnection(testConfig(), { upstream: halfDownUpstream() }, async (client) => {
    const logs = collectLogs(client);
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.live.room" } });
    assert.equal(logs.length, 1, JSON.stringify(logs));
    const [log] = logs;
    assert.equal(log!.level, "warning");
    assert.equal(log!.logger, "discovery");
    const data = log!.data as { message: string; region: string; reason: string };
    assert.equal(data.region, "us");
    assert.match(data.reason, /HTTP 503/);
    assert.match(data.message, /^Region us failed for "oec\.live\.room": .*503/);
    const everything = JSON.stringify(logs);
    assert.ok(!everything.includes(TOKEN) && !everything.includes(SENTINEL_COOKIE));
  });
});

Deno.test("a batch sends one warning per failed region and reason, naming the keywords", async () => {
  await withConnection(testConfig(), { upstream: halfDownUpstream() }, async (client) => {
    const logs = collectLogs(client);
    await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "a.b.c, d.e.f, g.h.i" },
    });
    assert.equal(logs.length, 1, JSON.stringify(logs));
    const data = logs[0]!.data as { message: string; keywords: string[] };
    assert.deepEqual(data.keywords, ["a.b.c", "d.e.f", "g.h.i"]);
    assert.match(data.message, /^Region us failed for 3 keywords: /);
  });
});

Deno.test("logging/setLevel error suppresses the warnings; setLevel warning brings them back", async () => {
  await withConnection(testConfig(), { upstream: halfDownUpstream() }, async (client) => {
    const logs = collectLogs(client);
    await client.setLoggingLevel("error");
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.live.room" } });
    assert.deepEqual(logs, []);
    await client.setLoggingLevel("warning");
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.live.room" } });
    assert.equal(logs.length, 1);
  });
});

Deno.test("a search where every region answered sends no log notification", async () => {
  const upstream = regionsUpstream({
    cn: () => searchAnswer([]),
    us: () => searchAnswer([]),
    token: TOKEN,
  });
  await withConnection(testConfig(), { upstream }, async (client) => {
    const logs = collectLogs(client);
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.live.room" } });
    assert.deepEqual(logs, []);
  });
});
