import assert from "node:assert/strict";

import { createDependencies } from "../../src/dependencies.ts";
import { createServer } from "../../src/server.ts";
import { WebStandardStreamableHTTPServerTransport } from "../../src/mcp_sdk.ts";
import { recordingLogger } from "../fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "../harness.ts";
import {
  ANSWER_KINDS,
  createTestApp,
  hangingUpstream,
  MCP_HEADERS,
  messageIn,
  openSession,
  postMcp,
  SEARCH_CALL,
} from "../http_app.ts";
import { McpTransport, SESSION_CLOSED } from "../../src/http/mcp_transport.ts";

Deno.test("a call without a progress token is answered in JSON, one with a token on an event stream", async () => {
  const app = createTestApp();
  const headers = await openSession(app);
  const plain = await postMcp(app, SEARCH_CALL, headers);
  assert.equal(plain.headers.get("content-type"), "application/json");
  assert.match(JSON.stringify(messageIn(await plain.text()).result), /Found oec\.live\.promotion/);
  const [, streamed] = ANSWER_KINDS;
  const withProgress = await postMcp(app, streamed.call, headers);
  assert.equal(withProgress.headers.get("content-type"), "text/event-stream");
  assert.match(JSON.stringify(messageIn(await withProgress.text()).result), /Found/);
  await app.close();
});

Deno.test("a call the SDK's transport refuses is refused as before, JSON answers or not", async () => {
  const app = createTestApp();
  const headers = await openSession(app);
  const refusals = [
    { body: { ...SEARCH_CALL, extra: 1 }, headers, status: 400 },
    {
      body: SEARCH_CALL,
      headers: { ...headers, "mcp-protocol-version": "1999-01-01" },
      status: 400,
    },
    { body: SEARCH_CALL, headers: { ...headers, accept: "application/json" }, status: 406 },
    { body: { ...SEARCH_CALL, id: 1.5 }, headers, status: 400 },
  ];
  for (const refusal of refusals) {
    const response = await postMcp(app, refusal.body, refusal.headers);
    assert.equal(response.status, refusal.status, JSON.stringify(refusal));
    await response.body?.cancel();
  }
  await app.close();
});

Deno.test("JSON answers leave nothing behind: the SDK's transport, which keeps an entry per JSON call (typescript-sdk#2559), never sees them", async () => {
  const deps = createDependencies(testConfig(["--demo"]), {
    fetch: demoFetchFor(testConfig(["--demo"])),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const list = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/list" });
  const post = (body: object, headers: Record<string, string> = {}) =>
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-protocol-version": "2025-06-18", ...headers },
      body: JSON.stringify(body),
    });
  const transport = new McpTransport({ sessionIdGenerator: () => "s1" });
  await createServer(deps).connect(transport);
  await (await transport.handleRequest(post(INITIALIZE_REQUEST), {
    parsedBody: INITIALIZE_REQUEST,
  })).text();
  // Counts what reaches an SDK transport through its public methods.
  const sdk = WebStandardStreamableHTTPServerTransport.prototype;
  let reached = 0;
  const { handleRequest, send } = sdk;
  sdk.handleRequest = function (...args) {
    reached++;
    return handleRequest.apply(this, args);
  };
  sdk.send = function (...args) {
    reached++;
    return send.apply(this, args);
  };
  try {
    for (let id = 2; id <= 201; id++) {
      const response = await transport.handleRequest(post(list(id), { "mcp-session-id": "s1" }), {
        parsedBody: list(id),
      });
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.match(await response.text(), /search_psm_service/);
    }
  } finally {
    Object.assign(sdk, { handleRequest, send });
  }
  assert.equal(reached, 0);
  assert.equal(transport.isIdle(), true);
  await transport.close();
});

Deno.test("a stateless transport drops a notification with no stream to carry it, as the SDK's does", async () => {
  const transport = new McpTransport();
  await transport.start();
  await transport.send({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { level: "warning", data: "cn failed" },
  });
  await assert.rejects(
    transport.send({ jsonrpc: "2.0", id: 3, result: {} }),
    /No request 3 is open to answer/,
  );
  await transport.close();
});

/** A session transport on a server whose searches hang, with one search call in flight. */
async function transportWithHangingCall() {
  const upstream = hangingUpstream();
  const deps = createDependencies(testConfig(["--demo"]), {
    fetch: upstream.fetch,
    now: Date.now,
    logger: () => recordingLogger(),
  });
  const transport = new McpTransport({ sessionIdGenerator: () => "s1" });
  await createServer(deps).connect(transport);
  await (await transport.handleRequest(sessionRequest("POST", INITIALIZE_REQUEST), {
    parsedBody: INITIALIZE_REQUEST,
  })).text();
  const call = await transport.handleRequest(sessionRequest("POST", SEARCH_CALL), {
    parsedBody: SEARCH_CALL,
  });
  await upstream.started;
  assert.equal(transport.isIdle(), false);
  return { transport, upstream, call };
}

function sessionRequest(method: string, body?: object): Request {
  return new Request("http://localhost/mcp", {
    method,
    headers: { ...MCP_HEADERS, "mcp-protocol-version": "2025-06-18", "mcp-session-id": "s1" },
    body: body && JSON.stringify(body),
  });
}

const CLOSINGS = [
  {
    how: "DELETE",
    close: async (transport: McpTransport) =>
      assert.equal((await transport.handleRequest(sessionRequest("DELETE"))).status, 200),
  },
  { how: "close()", close: (transport: McpTransport) => transport.close() },
];

for (const { how, close } of CLOSINGS) {
  Deno.test(`a session's transport closed by ${how} answers its JSON call in flight with SESSION_CLOSED and holds nothing`, async () => {
    const { transport, upstream, call } = await transportWithHangingCall();
    await close(transport);
    assert.deepEqual(JSON.parse(await call.text()), {
      jsonrpc: "2.0",
      id: 7,
      error: SESSION_CLOSED,
    });
    assert.equal(transport.isIdle(), true);
    assert.equal(transport.isUnanswered(SEARCH_CALL.id), false);
    assert.ok(upstream.aborted.length > 0, "the search was aborted");
  });
}
