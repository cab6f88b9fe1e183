import assert from "node:assert/strict";
import { TEXT_BUDGET } from "../src/tools/search_result.ts";
import { regionsUpstream, searchAnswer } from "./fake_upstream.ts";
import { demoFetchFor, testConfig, textOf, withConnection } from "./harness.ts";
import type { Client } from "./mcp_client.ts";

// The text of representative results, reviewed as files; `deno task snapshot` rewrites them.
const SNAPSHOTS = new URL("./testdata/search_outputs/", import.meta.url);

async function assertSnapshot(name: string, text: string) {
  const file = new URL(`${name}.txt`, SNAPSHOTS);
  const actual = `${text}\n`;
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    await Deno.mkdir(SNAPSHOTS, { recursive: true });
    await Deno.writeTextFile(file, actual);
  }
  assert.equal(
    actual,
    await Deno.readTextFile(file),
    `The text of ${name} changed: review the diff, then run \`deno task snapshot\``,
  );
}

async function callText(client: Client, name: string, args: Record<string, unknown>) {
  // Every region awaited, so that which region answers first never shows in the text.
  const result = await client.callTool({
    name,
    arguments: { ...args, wait_all_regions: true },
  });
  const text = textOf(result);
  assert.ok(text.length <= TEXT_BUDGET, `${name} wrote ${text.length} characters`);
  return { text, structured: result.structuredContent as Record<string, unknown> };
}

const demoCases: [string, string, Record<string, unknown>][] = [
  ["search_found_full", "search_psm_service", { keyword: "oec.live.promotion" }],
  ["search_found_concise", "search_psm_service", {
    keyword: "oec.live.promotion",
    detail: "concise",
  }],
  ["search_candidates_full", "search_psm_service", { keyword: "oec.live" }],
  ["search_candidates_concise", "search_psm_service", { keyword: "oec.live", detail: "concise" }],
  ["batch_concise", "search_multiple_services", {
    keywords: "oec.trade.order,toutiao.user,oec.afiliate.monitor,nope.nope.nope",
  }],
  ["batch_full", "search_multiple_services", {
    keywords: "oec.trade.order,toutiao.user,nope.nope.nope",
    detail: "full",
  }],
];

for (const [name, tool, args] of demoCases) {
  Deno.test(`the text of ${name} matches tests/testdata/search_outputs/${name}.txt`, async () => {
    const config = testConfig(["--demo"]);
    await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
      await assertSnapshot(name, (await callText(client, tool, args)).text);
    });
  });
}

/** An upstream whose registries both list `count` PSMs under `oec.big`, each with a long description. */
function crowdedUpstream(count: number) {
  const services = Array.from({ length: count }, (_, i) => ({
    psm: `oec.big.service_${String(i).padStart(3, "0")}`,
    description: `Service number ${i} of a crowded subsystem. ${
      "Lorem ipsum dolor sit amet. ".repeat(30)
    }`,
    owners: ["owner.one", "owner.two"],
    framework: "kitex",
    level: "P1",
  }));
  return regionsUpstream({ cn: () => searchAnswer(services), us: () => searchAnswer(services) });
}

Deno.test("a search with more matches than fit stays under the budget and says how many more", async () => {
  const upstream = crowdedUpstream(60);
  await withConnection(testConfig(), { upstream }, async (client) => {
    const full = await callText(client, "search_psm_service", { keyword: "oec.big" });
    await assertSnapshot("search_over_budget_full", full.text);
    assert.match(full.text, /…and \d+ more: use a longer keyword to narrow the list\.$/);
    const concise = await callText(client, "search_psm_service", {
      keyword: "oec.big",
      detail: "concise",
    });
    assert.match(concise.text, /…and 40 more: use a longer keyword/, "20 candidates shown of 60");
    assert.equal((concise.structured.services as unknown[]).length, 5);
    assert.equal(concise.structured.omitted, 55);
  });
});

Deno.test("a batch with more keywords than fit stays under the budget and says how many more", async () => {
  const upstream = crowdedUpstream(3);
  const keywords = Array.from(
    { length: 100 },
    (_, i) => `oec.big.service_${i}_missing_${"x".repeat(60)}`,
  );
  await withConnection(testConfig(), { upstream }, async (client) => {
    const concise = await callText(client, "search_multiple_services", {
      keywords: keywords.join(","),
    });
    assert.match(
      concise.text,
      /…and \d+ more keywords not shown: search fewer keywords per call\.$/,
    );
    const full = await callText(client, "search_multiple_services", {
      keywords: keywords.slice(0, 30).join(","),
      detail: "full",
    });
    assert.match(full.text, /…and \d+ more keywords not shown: pass detail: "concise", or/);
    assert.equal((full.structured.results as unknown[]).length, 30, "structuredContent has all");
  });
});
