import assert from "node:assert/strict";
import { boundedEditDistance } from "../../src/edit_distance.ts";
import { createRecentPsms, suggestPsms } from "../../src/discovery/suggest.ts";
import { demoFetchFor, testConfig, textOf, withConnection } from "../harness.ts";

const KNOWN = ["oec.affiliate.monitor", "oec.affiliate.api", "oec.live.promotion", "oec.live.room"];

Deno.test("edit distance counts an adjacent transposition as one edit and stops past the bound", () => {
  assert.equal(boundedEditDistance("monitor", "monitor", 2), 0);
  assert.equal(boundedEditDistance("afiliate", "affiliate", 2), 1);
  assert.equal(boundedEditDistance("monitro", "monitor", 2), 1);
  assert.equal(boundedEditDistance("kitten", "sitting", 5), 3);
  assert.equal(boundedEditDistance("abcdefgh", "zyxwvuts", 2), 3, "bound + 1 once exceeded");
  assert.equal(boundedEditDistance("a", "abcdefgh", 2), 3, "lengths alone exceed the bound");
});

Deno.test("a typo suggests the nearest known PSM, closest first", () => {
  assert.deepEqual(suggestPsms("oec.afiliate.monitor", KNOWN), {
    psms: ["oec.affiliate.monitor"],
    caseOnly: false,
  });
  assert.deepEqual(suggestPsms("oec.live.rooom", KNOWN).psms, ["oec.live.room"]);
});

Deno.test("a partial keyword with a typo suggests the PSM prefix of as many segments", () => {
  assert.deepEqual(suggestPsms("oec.afiliate", KNOWN).psms, ["oec.affiliate"]);
});

Deno.test("a keyword differing only in case is reported as such", () => {
  assert.deepEqual(suggestPsms("OEC.LIVE.PROMOTION", KNOWN), {
    psms: ["oec.live.promotion"],
    caseOnly: true,
  });
});

Deno.test("a keyword far from every known PSM gets no suggestion", () => {
  assert.deepEqual(suggestPsms("no.such.service", KNOWN).psms, []);
  assert.deepEqual(suggestPsms("oec.affiliate.monitor", KNOWN).psms, [], "not itself");
});

Deno.test("recent PSMs are kept most recent first, bounded, and completed by prefix then substring", () => {
  const recent = createRecentPsms({ capacity: 3, initial: ["a.one", "b.two"] });
  recent.add(["c.three", "a.one", "d.four"]);
  assert.deepEqual(recent.list(), ["d.four", "a.one", "c.three"], "b.two was forgotten first");
  recent.add(["x.one.api"]);
  assert.deepEqual(recent.complete("ONE"), ["x.one.api", "a.one"], "case ignored, recent first");
  assert.deepEqual(recent.complete("a"), ["a.one", "x.one.api"], "prefix before substring");
  assert.deepEqual(recent.complete("", { limit: 2 }), ["x.one.api", "d.four"]);
});

Deno.test("search_psm_service suggests a PSM seen in an earlier answer for a typo the registry does not know", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const before = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.afiliate.monitor" },
    });
    assert.match(textOf(before), /check the PSM's spelling/, "nothing seen yet");
    assert.equal((before.structuredContent as { suggestions?: string[] }).suggestions, undefined);

    await client.callTool({ name: "search_psm_service", arguments: { keyword: "oec.affiliate" } });
    const after = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.afiliate.monitor" },
    });
    assert.match(
      textOf(after),
      /No service matches "oec\.afiliate\.monitor" in cn, us\. Did you mean oec\.affiliate\.monitor\?/,
    );
    const structured = after.structuredContent as { status: string; suggestions?: string[] };
    assert.equal(structured.status, "not_found");
    assert.deepEqual(structured.suggestions, ["oec.affiliate.monitor"]);
  });
});

Deno.test("in demo mode the catalogue counts as seen: a first typo already gets a suggestion", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "oec.afiliate.monitor" },
    });
    assert.match(textOf(result), /Did you mean oec\.affiliate\.monitor\?/);
  });
});

Deno.test("search_psm_service says PSMs are case-sensitive when only the case differs", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "OEC.LIVE.PROMOTION" },
    });
    assert.match(
      textOf(result),
      /PSMs are case-sensitive: did you mean oec\.live\.promotion\?/,
    );
    assert.deepEqual(
      (result.structuredContent as { suggestions?: string[] }).suggestions?.[0],
      "oec.live.promotion",
    );
  });
});

Deno.test("a partial keyword that candidates contain gets candidates, not suggestions", async () => {
  const config = testConfig();
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "oec.live.promo" },
    });
    assert.equal((result.structuredContent as { status: string }).status, "candidates");
    assert.equal((result.structuredContent as { suggestions?: string[] }).suggestions, undefined);
  });
});
