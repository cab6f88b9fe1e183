import assert from "node:assert/strict";
import tools from "./testdata/tools_list.json" with { type: "json" };
import { Client, StdioClientTransport } from "./mcp_client.ts";
import { cleanEnv } from "./server_process.ts";
import { parseBenchArgs } from "../bench/run.ts";

const SDK_STDIO = new URL("../bench/sdk_stdio.ts", import.meta.url).pathname;

Deno.test("P6's baseline, the minimal SDK stdio server, lists the server's four tools with their schemas", async () => {
  const client = new Client({ name: "bench-test", version: "0" });
  await client.connect(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", SDK_STDIO],
      env: cleanEnv(),
      stderr: "ignore",
    }),
  );
  try {
    const listed = (await client.listTools()).tools;
    const shape = ({ name, title, description, inputSchema, outputSchema, annotations }: {
      name: string;
      title?: string;
      description?: string;
      inputSchema: unknown;
      outputSchema?: unknown;
      annotations?: unknown;
    }) => ({ name, title, description, inputSchema, outputSchema, annotations });
    assert.deepEqual(listed.map(shape), tools.map(shape));
  } finally {
    await client.close();
  }
});

Deno.test("deno task bench --quick prints its table but leaves the committed bench/RESULTS.md alone", () => {
  assert.equal(parseBenchArgs([]).writesResults, true);
  assert.equal(parseBenchArgs(["--quick"]).writesResults, false);
  assert.equal(parseBenchArgs(["--quick"]).mode, "quick");
  assert.equal(parseBenchArgs(["--only", "P6"]).writesResults, false);
  assert.equal(parseBenchArgs(["--profile"]).writesResults, false);
  assert.equal(parseBenchArgs(["--only", "P5"]).writesResults, false);
  assert.throws(() => parseBenchArgs(["--only", "P7"]), /--only knows P5 and P6, not P7/);
});
