import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import { Secret } from "../../src/secret.ts";
import { connectInMemory, demoFetchFor, INITIALIZE_REQUEST, testConfig } from "../harness.ts";
import { recordingLogger } from "../fake_upstream.ts";
import { createTestApp } from "../http_app.ts";

const SEARCH = { tool: "search_psm_service", arguments: { keyword: "oec.live.promotion" } };

// What each client sends by default besides the JSON body.
const CLIENT_HEADERS: Record<string, Record<string, string>> = {
  curl: { accept: "*/*", "user-agent": "curl/8.5.0" },
  "python requests": { accept: "*/*", "user-agent": "python-requests/2.32.3" },
  axios: { accept: "application/json, text/plain, */*", "user-agent": "axios/1.7.9" },
};

function postPlain(app: HttpApp, body: unknown, headers: Record<string, string> = {}) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** The JSON body of a plain call's answer, checked to have exactly the documented fields. */
async function answerOf(response: Response) {
  const answer = await response.json();
  assert.deepEqual(Object.keys(answer).sort(), ["content", "isError", "structuredContent", "tool"]);
  return answer;
}

for (const [client, headers] of Object.entries(CLIENT_HEADERS)) {
  Deno.test(`a plain JSON call as ${client} sends it runs the tool and answers 200 JSON`, async () => {
    const app = createTestApp();
    try {
      const response = await postPlain(app, SEARCH, headers);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      const answer = await answerOf(response);
      assert.equal(answer.tool, "search_psm_service");
      assert.equal(answer.isError, false);
      assert.match(answer.content[0].text, /Found oec\.live\.promotion in cn, us/);
      assert.equal(answer.structuredContent.status, "found");
      assert.equal(app.sessionCount(), 0, "a plain call opens no session");
    } finally {
      await app.close();
    }
  });
}

Deno.test("a plain call's result is the one an MCP client gets from the same tool", async () => {
  const config = testConfig(["--demo"]);
  const connection = await connectInMemory(config, { fetch: demoFetchFor(config) });
  const app = createTestApp();
  try {
    const viaMcp = await connection.client.callTool({
      name: "search_multiple_services",
      arguments: { keywords: "tiktok.live.gift,toutiao.user.info" },
    });
    const response = await postPlain(app, {
      tool: "search_multiple_services",
      arguments: { keywords: "tiktok.live.gift,toutiao.user.info" },
    });
    const answer = await response.json();
    // Only the times the regions answered at differ between the two calls.
    const withoutTimes = (value: unknown) =>
      JSON.parse(JSON.stringify(value), (key, item) => key === "fetched_at" ? undefined : item);
    assert.deepEqual(answer.content, viaMcp.content);
    assert.deepEqual(
      withoutTimes(answer.structuredContent),
      withoutTimes(viaMcp.structuredContent),
    );
  } finally {
    await connection.close();
    await app.close();
  }
});

Deno.test("a plain call to a tool without arguments needs no arguments field", async () => {
  const app = createTestApp();
  try {
    const response = await postPlain(app, { tool: "list_available_regions" });
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.deepEqual(answer.structuredContent.regions.map((r: { name: string }) => r.name), [
      "cn",
      "us",
    ]);
  } finally {
    await app.close();
  }
});

Deno.test("an unknown tool or bad arguments are a 400 with the same shape", async () => {
  const app = createTestApp();
  try {
    const cases: [unknown, RegExp][] = [
      [
        { tool: "no_such_tool", arguments: {} },
        /^Unknown tool no_such_tool: call one of search_psm_service, .*list_available_regions/,
      ],
      [{ tool: "search_psm_service", arguments: {} }, /Invalid arguments for tool search_psm/],
      [{ tool: "search_psm_service", arguments: { keyword: " " } }, /keyword is empty/],
      [{ tool: 42 }, /"tool" field must name a tool/],
      [{ tool: "search_psm_service", arguments: ["oec"] }, /"arguments" field must be a JSON/],
    ];
    for (const [body, message] of cases) {
      const response = await postPlain(app, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const answer = await answerOf(response);
      assert.equal(answer.isError, true);
      assert.equal(answer.structuredContent, null);
      assert.match(answer.content[0].text, message);
    }
  } finally {
    await app.close();
  }
});

Deno.test("an unknown tool's name is quoted back cut short, whatever its length", async () => {
  const app = createTestApp();
  try {
    const response = await postPlain(app, { tool: "a".repeat(100_000), arguments: {} });
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.ok(text.length < 2_000, `${text.length} characters`);
    assert.match(
      JSON.parse(text).content[0].text,
      /^Unknown tool a{100}… \[cut: 100000 characters\]/,
    );
  } finally {
    await app.close();
  }
});

Deno.test("a search that fails in every region is a 200 answer with isError", async () => {
  const app = createTestApp("localhost", {
    fetch: () => Promise.reject(new TypeError("connection refused")),
  });
  try {
    const response = await postPlain(app, SEARCH);
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.equal(answer.isError, true);
    assert.equal(answer.structuredContent.status, "failed");
  } finally {
    await app.close();
  }
});

Deno.test("JSON-RPC on /mcp is untouched by plain calls: initialize still opens a session", async () => {
  const app = createTestApp();
  try {
    const response = await postPlain(app, INITIALIZE_REQUEST, {
      accept: "application/json, text/event-stream",
    });
    assert.equal(response.status, 200);
    assert.ok(response.headers.get("mcp-session-id"));
    await response.body?.cancel();
    const notJsonRpc = await postPlain(app, { hello: "world" }, { accept: "*/*" });
    assert.equal((await notJsonRpc.json()).jsonrpc, "2.0", "still the transport's error");
  } finally {
    await app.close();
  }
});

Deno.test("a plain call needs the bearer token when one is configured", async () => {
  const app = createTestApp("localhost", { authToken: new Secret("plain-token") });
  try {
    const refused = await postPlain(app, SEARCH);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const served = await postPlain(app, SEARCH, { authorization: "Bearer plain-token" });
    assert.equal(served.status, 200);
    await served.body?.cancel();
  } finally {
    await app.close();
  }
});

Deno.test("a stateless server answers plain calls too", async () => {
  const app = createTestApp("localhost", { stateless: true });
  try {
    const response = await postPlain(app, SEARCH, { accept: "*/*" });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).structuredContent.status, "found");
  } finally {
    await app.close();
  }
});

/** The curl command lines of README's "Call a tool without an MCP client", continuations joined. */
function readmeCurlCommands(readme: string): string[] {
  const section = readme.split(/^## Call a tool without an MCP client$/m)[1]?.split(/^##/m)[0] ??
    "";
  const shellBlocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return shellBlocks
    .flatMap((block) => block!.replace(/\\\n\s*/g, "").split("\n"))
    .filter((line) => line.startsWith("curl "));
}

Deno.test("the README's curl examples work as written against a served app", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const commands = readmeCurlCommands(readme);
  assert.ok(commands.length >= 2, `found ${commands.length} curl examples`);
  const app = createTestApp();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.handle);
  try {
    for (const command of commands) {
      assert.match(command, /http:\/\/localhost:8123\/mcp/);
      const local = command.replaceAll("localhost:8123", `127.0.0.1:${server.addr.port}`);
      const { code, stdout, stderr } = await new Deno.Command("sh", {
        args: ["-c", `${local} -w '\\n%{http_code}'`],
      }).output();
      const [body, status] = new TextDecoder().decode(stdout).split(/\n(?=\d+$)/);
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.equal(status, "200", `${command}\n${body}`);
      const answer = JSON.parse(body!);
      assert.equal(answer.isError, false, command);
      assert.ok(answer.structuredContent, command);
    }
  } finally {
    await app.close();
    await server.shutdown();
  }
});

Deno.test("a plain call's tool name of 1 MiB is cut to 256 characters in the log", async () => {
  const logger = recordingLogger();
  const app = createTestApp("localhost", { logger });
  const tool = "t".repeat(1024 * 1024 - 64);
  try {
    const left = new AbortController();
    left.abort();
    const response = await app.handle(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tool, arguments: {} }),
        signal: left.signal,
      }),
    );
    await response.body?.cancel();
    const lines = logger.lines.filter((line) => line.includes("plain JSON call"));
    assert.equal(lines.length, 1, "the call left by its client is logged");
    assert.match(lines[0]!, /call to t{256}… \[cut: \d+ characters\] was left/);
    assert.ok(lines[0]!.length < 1_000, `the line has ${lines[0]!.length} characters`);
  } finally {
    await app.close();
  }
});
