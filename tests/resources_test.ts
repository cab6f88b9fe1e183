import assert from "node:assert/strict";
import { RESOURCE_NOT_FOUND } from "../src/resources.ts";
import { AUTH_URL, fakeUpstream, HOUR_MS, jwtExpiringAt, tokenAnswer } from "./fake_upstream.ts";
import { demoFetchFor, testConfig, withConnection } from "./harness.ts";
import type { Client } from "./mcp_client.ts";

/** Completes `value` for find_psm's keyword, or for psm://{psm}'s psm. */
async function complete(client: Client, on: "prompt" | "template", value: string) {
  const { completion } = await client.complete(
    on === "prompt"
      ? { ref: { type: "ref/prompt", name: "find_psm" }, argument: { name: "keyword", value } }
      : { ref: { type: "ref/resource", uri: "psm://{psm}" }, argument: { name: "psm", value } },
  );
  return completion.values;
}

Deno.test("completion of find_psm's keyword offers the demo catalogue's PSMs, prefix matches first", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    assert.ok(client.getServerCapabilities()?.completions, "completions are declared");
    const values = await complete(client, "prompt", "oec.live.pro");
    assert.deepEqual(values.slice(0, 4).sort(), [
      "oec.live.product_card",
      "oec.live.promotion",
      "oec.live.promotion_admin",
      "oec.live.promotion_job",
    ]);
    const containing = await complete(client, "prompt", "gift");
    assert.deepEqual(containing.sort(), [
      "tiktok.live.gift",
      "tiktok.live.gift_rank",
    ]);
  });
});

Deno.test("completion offers PSMs seen in earlier answers, for the prompt and the psm:// template", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const empty = await complete(client, "template", "toutiao");
    assert.deepEqual(empty, [], "nothing seen yet");
    await client.callTool({ name: "search_psm_service", arguments: { keyword: "toutiao.user" } });
    const values = await complete(client, "template", "toutiao");
    assert.deepEqual(values.sort(), [
      "toutiao.user.info",
      "toutiao.user.info_api",
      "toutiao.user.relation",
    ]);
    const prompt = await complete(client, "prompt", "relation");
    assert.deepEqual(prompt, ["toutiao.user.relation"]);
  });
});

Deno.test("the find_psm prompt asks for the keyword to be searched with search_psm_service", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => [p.name, p.arguments?.map((a) => a.name)]), [
      ["find_psm", ["keyword"]],
    ]);
    const { messages } = await client.getPrompt({
      name: "find_psm",
      arguments: { keyword: "oec.live.room" },
    });
    const [message] = messages;
    assert.equal(message!.role, "user");
    assert.equal(message!.content.type, "text");
    assert.match(
      (message!.content as { text: string }).text,
      /"oec\.live\.room" with the search_psm_service tool/,
    );
  });
});

Deno.test("psm://{psm} is listed as a template and reads a service's JSON", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => [t.uriTemplate, t.mimeType]), [
      ["psm://{psm}", "application/json"],
    ]);
    const { contents } = await client.readResource({ uri: "psm://oec.live.promotion" });
    assert.equal(contents.length, 1);
    assert.equal(contents[0]!.uri, "psm://oec.live.promotion");
    assert.equal(contents[0]!.mimeType, "application/json");
    assert.ok("text" in contents[0]!, "a text resource");
    const service = JSON.parse(contents[0].text);
    assert.equal(service.psm, "oec.live.promotion");
    assert.deepEqual(service.owners, ["zhang.wei"]);
    assert.deepEqual(service.regions, ["cn", "us"]);
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === "psm://oec.live.promotion"), "recent PSMs listed");
  });
});

Deno.test("psm://{psm} for an unknown PSM is a not-found error naming the closest PSMs", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    await assert.rejects(
      client.readResource({ uri: "psm://oec.live.promotio" }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, RESOURCE_NOT_FOUND);
        assert.match(error.message, /No service is named exactly "oec\.live\.promotio"/);
        assert.match(error.message, /psm:\/\/oec\.live\.promotion/);
        return true;
      },
    );
    await assert.rejects(
      client.readResource({ uri: "psm://no.such.service" }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, RESOURCE_NOT_FOUND);
        assert.match(error.message, /No service matches "no\.such\.service"/);
        // The client prefixes the wire message with "MCP error -32002: " once; the server must not.
        assert.equal(error.message.match(/MCP error/g)?.length, 1, error.message);
        return true;
      },
    );
  });
});

Deno.test("psm://{psm} holds the tools' bounds on a keyword and asks no region past them", async () => {
  const upstream = fakeUpstream([]);
  await withConnection(testConfig(), { fetch: upstream.fetch }, async (client) => {
    const cases: [string, RegExp][] = [
      [`psm://${"r".repeat(300)}`, /longer than 256 characters/],
    ];
    for (const [uri, message] of cases) {
      await assert.rejects(client.readResource({ uri }), (error: Error & { code?: number }) => {
        assert.equal(error.code, RESOURCE_NOT_FOUND, `${uri.slice(0, 20)}: ${error.message}`);
        assert.match(error.message, message);
        assert.ok(error.message.length < 300, error.message);
        return true;
      });
    }
    assert.equal(upstream.requests.length, 0);
  });
});

Deno.test("psm://{psm} when no region answers is an internal error saying what to check", async () => {
  const config = testConfig();
  const upstream = fakeUpstream([
    { url: AUTH_URL, respond: () => tokenAnswer(jwtExpiringAt(Date.now() + HOUR_MS)) },
  ]);
  await withConnection(config, { fetch: upstream.fetch }, async (client) => {
    await assert.rejects(
      client.readResource({ uri: "psm://oec.live.room" }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, -32603);
        assert.match(error.message, /No region could be searched for "oec\.live\.room"/);
        return true;
      },
    );
  });
});
