import assert from "node:assert/strict";
import tools from "./testdata/tools_list.json" with { type: "json" };
import { Client, StdioClientTransport } from "./mcp_client.ts";
import { cleanEnv } from "./server_process.ts";

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
