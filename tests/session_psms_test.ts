import assert from "node:assert/strict";
import type { HttpApp } from "../src/http/mod.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "./harness.ts";
import { createTestApp, messageIn, postMcp, postPlainCall } from "./http_app.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";

// The first client looks these up; the second must learn nothing of them.
const SEEN_BY_FIRST = "toutiao.user";
// A typo of toutiao.user.info: the registry answers nothing, so only a memory could suggest it.
const TYPO = "toutiao.usr.info";

async function connect(app: HttpApp): Promise<Client> {
  const client = new Client({ name: "session-test", version: "0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
      fetch: (input, init) => app.handle(new Request(input, init)),
    }),
  );
  return client;
}

/** What a client can learn of the PSMs its server remembers: listings, completions, suggestions. */
interface Remembered {
  listed: string[];
  completed: string[];
  suggested: string[];
}

async function rememberedBy(
  request: (method: string, params: object) => Promise<Record<string, unknown>>,
): Promise<Remembered> {
  const list = await request("resources/list", {}) as { resources: { name: string }[] };
  const prompt = await request("completion/complete", {
    ref: { type: "ref/prompt", name: "find_psm" },
    argument: { name: "keyword", value: "toutiao" },
  }) as { completion: { values: string[] } };
  const template = await request("completion/complete", {
    ref: { type: "ref/resource", uri: "psm://{psm}" },
    argument: { name: "psm", value: "toutiao" },
  }) as { completion: { values: string[] } };
  const search = await request("tools/call", {
    name: "search_psm_service",
    arguments: { keyword: TYPO },
  }) as { structuredContent: { suggestions?: string[] } };
  return {
    listed: list.resources.map((resource) => resource.name),
    completed: [...prompt.completion.values, ...template.completion.values],
    suggested: search.structuredContent.suggestions ?? [],
  };
}

// The SDK client's typed calls for the three methods rememberedBy uses.
function clientRequests(client: Client) {
  return async (method: string, params: object): Promise<Record<string, unknown>> => {
    if (method === "resources/list") return await client.listResources();
    if (method === "tools/call") {
      return await client.callTool(params as Parameters<Client["callTool"]>[0]);
    }
    return await client.complete(params as Parameters<Client["complete"]>[0]);
  };
}

Deno.test("a session lists, completes and suggests only the PSMs its own searches returned", async () => {
  const config = testConfig();
  const app = createTestApp("localhost", { config, fetch: demoFetchFor(config) });
  const first = await connect(app);
  const second = await connect(app);
  try {
    await first.callTool({ name: "search_psm_service", arguments: { keyword: SEEN_BY_FIRST } });

    const own = await rememberedBy(clientRequests(first));
    assert.ok(own.listed.includes("toutiao.user.info"), `first lists ${own.listed}`);
    assert.ok(own.completed.includes("toutiao.user.info"), `first completes ${own.completed}`);
    assert.deepEqual(own.suggested, ["toutiao.user.info"]);

    assert.deepEqual(await rememberedBy(clientRequests(second)), {
      listed: [],
      completed: [],
      suggested: [],
    });
  } finally {
    await first.close();
    await second.close();
    await app.close();
  }
});

Deno.test("a stateless server reused for the next request remembers no PSM of the last one", async () => {
  const config = testConfig(["--stateless"]);
  const app = createTestApp("localhost", {
    config,
    fetch: demoFetchFor(config),
    stateless: true,
  });
  let id = 1;
  const post = async (method: string, params: object) => {
    const response = await postMcp(app, { jsonrpc: "2.0", id: id++, method, params }, {
      "mcp-protocol-version": "2025-06-18",
    });
    const text = await response.text();
    // The app learns that the answer was sent from the end of its body: let it settle.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const message = messageIn(text);
    assert.ok(message.result, `${method} answered ${text}`);
    return message.result as Record<string, unknown>;
  };
  try {
    await post(INITIALIZE_REQUEST.method, INITIALIZE_REQUEST.params);
    await post("tools/call", { name: "search_psm_service", arguments: { keyword: SEEN_BY_FIRST } });
    assert.deepEqual(await rememberedBy(post), { listed: [], completed: [], suggested: [] });
  } finally {
    await app.close();
  }
});

Deno.test("plain JSON calls of two clients share no PSM: the second is suggested none the first found", async () => {
  const config = testConfig();
  const app = createTestApp("localhost", { config, fetch: demoFetchFor(config) });
  const plainCall = async (keyword: string) => {
    const response = await postPlainCall(app, {
      tool: "search_psm_service",
      arguments: { keyword },
    });
    return await response.text();
  };
  try {
    assert.match(await plainCall(SEEN_BY_FIRST), /toutiao\.user\.info/);
    const second = await plainCall(TYPO);
    assert.equal(JSON.parse(second).isError, false, second);
    assert.doesNotMatch(second, /toutiao\.user\.info/);
  } finally {
    await app.close();
  }
});
