import assert from "node:assert/strict";
import type { TokenStatus } from "../src/auth.ts";
import { z } from "zod";
import { createDependencies } from "../src/dependencies.ts";
import { describeHealth } from "../src/health.ts";
import { createServer } from "../src/server.ts";
import type { Dependencies } from "../src/tools/deps.ts";
import {
  AjvJsonSchemaValidator,
  type CallToolResult,
  Client,
  InMemoryTransport,
  type JsonSchemaValidator,
  type McpServer,
} from "../src/mcp_sdk.ts";
import { CallToolResultSchema, ElicitRequestSchema } from "./mcp_client.ts";
import { CN, recordingLogger, regionsUpstream, searchAnswer, searchUrl } from "./fake_upstream.ts";
import { demoFetchFor, testConfig } from "./harness.ts";

function demoDeps(): Dependencies {
  const config = testConfig(["--demo"]);
  return createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
}

// A validator that counts the schemas it is asked for and accepts everything.
function countingValidator() {
  const counted = { schemas: 0 };
  const validator: JsonSchemaValidator = {
    getValidator: () => {
      counted.schemas++;
      return (input) => ({ valid: true, data: input as never, errorMessage: undefined });
    },
  };
  return { validator, counted };
}

// Asks a client that accepts every elicitation for a form: the SDK checks the answer against
// the form's schema with the server's JSON-schema validator, its only use on a server.
async function elicitThrough(server: McpServer): Promise<void> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "0" }, {
    capabilities: { elicitation: { form: {} } },
  });
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { n: 1 } }));
  await client.connect(clientSide);
  try {
    await server.server.elicitInput({
      message: "A number",
      requestedSchema: { type: "object", properties: { n: { type: "number" } } },
    });
  } finally {
    await client.close();
  }
}

Deno.test("servers given one JSON-schema validator share it instead of building one Ajv each", async () => {
  const { validator, counted } = countingValidator();
  await elicitThrough(createServer(demoDeps(), { jsonSchemaValidator: validator }));
  await elicitThrough(createServer(demoDeps(), { jsonSchemaValidator: validator, shared: true }));
  assert.equal(counted.schemas, 2, "both servers validated with the one validator given");
});

Deno.test("describeHealth never throws, even on an invalid expiry date", () => {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const broken: TokenStatus = { configured: true, valid: true, expiresAt: new Date(1e16) };
  const auth = {
    ...deps.auth,
    sources: deps.auth.sources.map((source) => ({
      ...source,
      tokens: { ...source.tokens, status: () => broken },
    })),
  };
  const health = describeHealth({ ...deps, auth }, {
    startedAt: Date.now(),
    now: Date.now,
  });
  assert.equal(health.status, "ok");
  assert.deepEqual(health.auth, { configured: true, valid: true, expires_at: undefined });
});

// Calls a tool whose structuredContent breaks its output schema, straight through the protocol
// (an SDK client that listed the tools would refuse the result itself).
async function callMistypedTool(server: McpServer): Promise<CallToolResult> {
  server.registerTool(
    "mistyped",
    {
      description: "Answers a string where its schema says number",
      outputSchema: { n: z.number() },
    },
    () => ({ content: [], structuredContent: { n: "not a number" } }),
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "0" });
  await client.connect(clientSide);
  try {
    return await client.request(
      { method: "tools/call", params: { name: "mistyped", arguments: {} } },
      CallToolResultSchema,
    );
  } finally {
    await client.close();
  }
}

Deno.test("createServer checks structuredContent against the tool's output schema", async () => {
  const result = await callMistypedTool(createServer(demoDeps()));
  assert.equal(result.isError, true);
  assert.match(JSON.stringify(result.content), /Output validation error/);
});

Deno.test("HTTP servers check structuredContent against the output schema too", async () => {
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const result = await callMistypedTool(createServer(demoDeps(), { jsonSchemaValidator }));
  assert.equal(result.isError, true);
  assert.match(JSON.stringify(result.content), /Output validation error/);
});

Deno.test("the discovery of createDependencies bounds its cache by --cache-max-mb", async () => {
  // One service with a 600 000-character description: over 1 MiB by the estimate, under 64.
  const big = () => searchAnswer([{ psm: "big.one", description: "d".repeat(600_000) }]);
  const asked = async (args: string[]) => {
    const upstream = regionsUpstream({ cn: big, us: big });
    const deps = createDependencies(testConfig(args), {
      fetch: upstream.fetch,
      now: Date.now,
      logger: () => recordingLogger(),
    });
    await deps.discovery.search("big.one", { waitAllRegions: true });
    await deps.discovery.search("big.one", { waitAllRegions: true });
    return upstream.count(searchUrl(CN));
  };
  assert.equal(await asked([]), 1, "cached under the default 64 MiB");
  assert.equal(await asked(["--cache-max-mb", "1"]), 2, "too large to cache under 1 MiB");
});
