import assert from "node:assert/strict";
import { MAX_RESULT_BYTES, TEXT_BUDGET } from "../src/tools/search_result.ts";
import { regionsUpstream, searchAnswer, US } from "./fake_upstream.ts";
import type { Config } from "../src/config/mod.ts";
import type { Fetch } from "../src/upstream.ts";
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

// Each situation of the README's table of example answers (Tools), for each search tool.
const demoCases: [string, string, Record<string, unknown>][] = [
  ["search_found", "search_psm_service", { keyword: "oec.live.promotion" }],
  ["search_found_concise", "search_psm_service", {
    keyword: "oec.live.promotion",
    detail: "concise",
  }],
  ["search_candidates", "search_psm_service", { keyword: "oec.live" }],
  ["search_candidates_full", "search_psm_service", { keyword: "oec.live", detail: "full" }],
  ["search_candidates_concise", "search_psm_service", { keyword: "oec.live", detail: "concise" }],
  ["search_not_found", "search_psm_service", { keyword: "nope.nope.nope" }],
  ["search_did_you_mean", "search_psm_service", { keyword: "oec.afiliate.monitor" }],
  ["search_filtered", "search_psm_service", { keyword: "oec.live.coupon", regions: ["CN"] }],
  ["search_pattern", "search_psm_service", { keyword: "oec.trade.*" }],
  ["search_list", "search_psm_service", { keyword: "oec.live.room, oec.trade.order" }],
  ["batch_concise", "search_multiple_services", {
    keywords: "oec.trade.order,toutiao.user,oec.afiliate.monitor,nope.nope.nope",
  }],
  ["batch_full", "search_multiple_services", {
    keywords: "oec.trade.order,toutiao.user,nope.nope.nope",
    detail: "full",
  }],
  ["batch_lines_and_arrays", "search_multiple_services", {
    keywords: ["oec.live.room\noec.trade.order", "toutiao.user.info; oec.live.*"],
  }],
  ["batch_filtered", "search_multiple_services", {
    keywords: "oec.live.room,oec.live.coupon",
    regions: ["cn"],
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

/** The demo upstream, but region us answers HTTP 502 to every search. */
function demoWithUsFailing(config: Config): Fetch {
  const demo = demoFetchFor(config);
  return (input, init) => {
    const url = new Request(input, init).url;
    if (url.startsWith(US.baseUrl)) return Promise.resolve(new Response("down", { status: 502 }));
    return demo(input, init);
  };
}

const failingCases: [string, string, Record<string, unknown>][] = [
  ["search_region_failed", "search_psm_service", { keyword: "oec.live.coupon" }],
  ["batch_region_failed", "search_multiple_services", {
    keywords: "oec.trade.order,oec.live.coupon,nope.nope.nope",
  }],
];

for (const [name, tool, args] of failingCases) {
  Deno.test(`the text of ${name} matches tests/testdata/search_outputs/${name}.txt`, async () => {
    const config = testConfig(["--demo"]);
    await withConnection(config, { fetch: demoWithUsFailing(config) }, async (client) => {
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
    const full = await callText(client, "search_psm_service", {
      keyword: "oec.big",
      detail: "full",
    });
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

/**
 * Region cn answers the keyword oec.huge.svc with one service of a 5 MB
 * description; us answers every keyword with 600 services with long fields.
 */
function hugeUpstream() {
  const huge = {
    psm: "oec.huge.svc",
    description: "d".repeat(5_000_000),
    owners: Array.from({ length: 500 }, (_, i) => `owner.${i}`),
    framework: "f".repeat(10_000),
  };
  const crowd = Array.from({ length: 600 }, (_, i) => ({
    psm: `oec.huge.svc_${i}`,
    description: "x".repeat(1_000),
    owners: ["o".repeat(300)],
    level: "P1",
  }));
  const cn = searchAnswer([huge]);
  const us = searchAnswer(crowd);
  return regionsUpstream({
    cn: (request) =>
      new URL(request.url).search.includes("oec.huge.svc") ? cn.clone() : searchAnswer([]),
    us: () => us.clone(),
  });
}

function resultBytes(result: unknown): number {
  return new TextEncoder().encode(JSON.stringify(result)).length;
}

Deno.test("a 5 MB description and a huge candidate list give results under 64 KiB, fields cut and marked", async () => {
  await withConnection(testConfig(), { upstream: hugeUpstream() }, async (client) => {
    for (const detail of ["full", "concise"]) {
      const exact = await client.callTool({
        name: "search_psm_service",
        arguments: { keyword: "oec.huge.svc", wait_all_regions: true, detail },
      });
      assert.ok(resultBytes(exact) < MAX_RESULT_BYTES, `${detail}: ${resultBytes(exact)} bytes`);
      const [service] = (exact.structuredContent as { services: Record<string, unknown>[] })
        .services;
      assert.equal(service!.description, `${"d".repeat(1_000)}… [cut: 5000000 characters]`);
      assert.equal(service!.framework, `${"f".repeat(200)}… [cut: 10000 characters]`);
      assert.equal((service!.owners as string[]).length, 21);
      assert.equal((service!.owners as string[]).at(-1), "… [cut: 500 owners]");
      assert.match(textOf(exact), /d… \[cut: 5000000 characters\]/);
    }
    const keywords = Array.from({ length: 30 }, (_, i) => `oec.huge.svc_${i}`);
    keywords[0] = "oec.huge";
    for (const detail of ["full", "concise"]) {
      const batch = await client.callTool({
        name: "search_multiple_services",
        arguments: { keywords, detail, wait_all_regions: true },
      });
      assert.ok(resultBytes(batch) < MAX_RESULT_BYTES, `${detail}: ${resultBytes(batch)} bytes`);
      const [first] = (batch.structuredContent as {
        results: { total_matches: number; omitted: number; services: unknown[] }[];
      }).results;
      assert.equal(first!.total_matches, 600);
      assert.equal(first!.omitted + first!.services.length, 600, "what was left out is counted");
    }
  });
});

// "`Found oec.live.promotion in cn, us.` ([search_found](tests/testdata/search_outputs/search_found.txt))"
const README_EXAMPLE = /`([^`]+)` \(\[(\w+)\]\(tests\/testdata\/search_outputs\/\2\.txt\)\)/g;

Deno.test("every example answer in the READMEs' Tools table is a line of its snapshot", async () => {
  const examples: string[][][] = [];
  for (const readme of ["README.md", "README.zh-CN.md"]) {
    const text = await Deno.readTextFile(new URL(`../${readme}`, import.meta.url));
    const found = [...text.matchAll(README_EXAMPLE)].map(([, line, name]) => [name!, line!]);
    assert.ok(found.length >= 16, `${readme} shows ${found.length} example answers`);
    for (const [name, line] of found) {
      const snapshot = await Deno.readTextFile(new URL(`${name}.txt`, SNAPSHOTS));
      assert.ok(snapshot.split("\n").includes(line!), `${readme}: ${name}.txt has no line ${line}`);
    }
    examples.push(found);
  }
  assert.deepEqual(examples[0], examples[1], "both READMEs show the same examples");
});
