import assert from "node:assert/strict";
import type { HttpApp } from "../../src/http/mod.ts";
import type { Fetch } from "../../src/upstream.ts";
import type { Config } from "../../src/config/mod.ts";
import { McpTransport } from "../../src/http/mcp_transport.ts";
import { createDependencies } from "../../src/dependencies.ts";
import { createServer } from "../../src/server.ts";
import { recordingLogger, settle } from "../fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "../harness.ts";
import { createTestApp, type TestAppOptions } from "../http_app.ts";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};

function post(app: HttpApp, body: unknown, headers: Record<string, string> = {}) {
  return app.handle(
    new Request("http://localhost/mcp", {
      method: "POST",
      headers: { ...MCP_HEADERS, ...headers },
      body: JSON.stringify(body),
    }),
  );
}

function search(id: number | string, keyword: string) {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "search_psm_service", arguments: { keyword } },
  };
}

/**
 * The demo upstream, where a search whose keyword holds one of `gateNames` waits until that
 * gate opens or the search is aborted; `seen` counts the searches of a keyword holding a name,
 * `aborted` the gated searches aborted.
 */
function gatedUpstream(gateNames: readonly string[]) {
  const config = testConfig(["--demo"]);
  const demo = demoFetchFor(config);
  const gates = new Map(gateNames.map((name) => [name, Promise.withResolvers<void>()]));
  const searched: string[] = [];
  let aborted = 0;
  const fetch: Fetch = async (input, init) => {
    const request = new Request(input, init);
    const keyword = new URL(request.url).searchParams.get("keyword");
    if (keyword === null) return await demo(input, init);
    searched.push(keyword);
    for (const [name, held] of gates) {
      if (!keyword.includes(name)) continue;
      const abort = Promise.withResolvers<void>();
      request.signal.addEventListener("abort", () => abort.resolve(), { once: true });
      await Promise.race([held.promise, abort.promise]);
      if (request.signal.aborted) {
        aborted++;
        throw request.signal.reason;
      }
    }
    return await demo(input, init);
  };
  return {
    config,
    fetch,
    gates,
    seen: (name: string) => searched.filter((keyword) => keyword.includes(name)).length,
    aborted: () => aborted,
  };
}

type GatedUpstream = ReturnType<typeof gatedUpstream>;

/**
 * Runs `test` on an app over a {@linkcode gatedUpstream} of `gateNames`, with `options` on top;
 * opens every gate and closes the app after it.
 */
async function withGatedApp(
  gateNames: readonly string[],
  options: (upstream: GatedUpstream) => TestAppOptions,
  test: (app: HttpApp, upstream: GatedUpstream) => Promise<void>,
) {
  const upstream = gatedUpstream(gateNames);
  const app = createTestApp("localhost", {
    config: upstream.config,
    fetch: upstream.fetch,
    ...options(upstream),
  });
  try {
    await test(app, upstream);
  } finally {
    upstream.gates.forEach((held) => held.resolve());
    await app.close();
  }
}

// The text of the one JSON-RPC answer in a JSON or event-stream body, or "" when there is none.
function answerText(body: string): string {
  const data = body.split("\n").find((line) => line.startsWith("data: "));
  const json = data ? data.slice("data: ".length) : body;
  return json === "" ? "" : JSON.stringify(JSON.parse(json));
}

async function settleTimes(turns: number) {
  for (let turn = 0; turn < turns; turn++) await settle();
}

async function initialize(app: HttpApp): Promise<string> {
  const response = await post(app, INITIALIZE_REQUEST);
  await response.text();
  const sessionId = response.headers.get("mcp-session-id");
  assert.ok(sessionId, "initialize opened a session");
  await (await post(app, { jsonrpc: "2.0", method: "notifications/initialized" }, {
    "mcp-session-id": sessionId,
  })).body?.cancel();
  return sessionId;
}

function dependenciesFor(upstream: { config: Config; fetch: Fetch }) {
  return createDependencies(upstream.config, {
    fetch: upstream.fetch,
    now: Date.now,
    logger: () => recordingLogger(),
  });
}

function countServers(upstream: { config: Config; fetch: Fetch }, count: () => void) {
  const deps = dependenciesFor(upstream);
  return () => {
    count();
    return createServer(deps, { shared: true });
  };
}

async function until(condition: () => boolean) {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await settle();
  assert.ok(condition(), "the condition came true");
}

Deno.test("stateless: batches that repeat an id hand no client another's answer", async () => {
  await withGatedApp(["attacker", "honest"], () => ({ stateless: true }), async (app, upstream) => {
    // Each attack pairs a slow call with a ping of the same id, as if the ping answered it.
    const attacks = await Promise.all(
      Array.from(
        { length: 8 },
        (_, k) =>
          post(app, [search(1, `attacker-${k}`), { jsonrpc: "2.0", id: 1, method: "ping" }]),
      ),
    );
    for (const attack of attacks) await attack.text();
    await settle();

    const honest = await Promise.all(
      Array.from({ length: 16 }, (_, i) => post(app, search(1, `honest-${i}`))),
    );
    // The attackers' calls end first, while every honest call waits for its answer.
    upstream.gates.get("attacker")?.resolve();
    await settle();
    upstream.gates.get("honest")?.resolve();
    const texts = await Promise.all(
      honest.map(async (response) => answerText(await response.text())),
    );
    const strayed = texts.flatMap((text, i) => new RegExp(`honest-${i}\\b`).test(text) ? [] : [i]);
    assert.deepEqual(strayed, [], "these honest calls did not get their own answer");
  });
});

for (const stateless of [false, true]) {
  Deno.test(`a batch that repeats a request id is refused whole with 400 (${stateless ? "stateless" : "session"})`, async () => {
    await withGatedApp([], () => ({ stateless }), async (app, upstream) => {
      const headers: Record<string, string> = stateless
        ? {}
        : { "mcp-session-id": await initialize(app) };
      for (const id of [1, "a"]) {
        const refused = await post(app, [search(id, "oec.live.promotion"), {
          jsonrpc: "2.0",
          id,
          method: "ping",
        }], headers);
        assert.equal(refused.status, 400);
        const body = await refused.json();
        assert.equal(body.id, null);
        assert.equal(body.error.code, -32600);
        assert.match(body.error.message, /^Batch repeats request id .*: give each request/);
      }
      assert.equal(upstream.seen("oec"), 0, "nothing of a refused batch ran");
      const distinct = await post(app, [search(1, "oec.live.promotion"), {
        jsonrpc: "2.0",
        id: "1",
        method: "ping",
      }], headers);
      assert.equal(distinct.status, 200, '1 and "1" are different ids');
      assert.match(await distinct.text(), /Found oec\.live\.promotion/);
      assert.ok(upstream.seen("oec") > 0, "the upstream saw the search it served");
    });
  });
}

Deno.test("stateless: the server of a call cancelled in its own request is not reused", async () => {
  let servers = 0;
  await withGatedApp(
    ["slow"],
    (upstream) => ({
      stateless: true,
      createSharedServer: countServers(upstream, () => servers++),
    }),
    async (app) => {
      const cancelled = await post(app, [
        search(1, "slow"),
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
      ]);
      await cancelled.text();
      await settle();
      const next = await post(app, { jsonrpc: "2.0", id: 2, method: "tools/list" });
      assert.match(await next.text(), /search_psm_service/);
      assert.equal(servers, 2, "the cancelled call may still run in the first server");
    },
  );
});

Deno.test("McpTransport stays busy until every request that shares an id is answered", async () => {
  const upstream = gatedUpstream(["slow"]);
  const transport = new McpTransport();
  await createServer(dependenciesFor(upstream)).connect(transport);
  try {
    const batch = [search(1, "slow"), { jsonrpc: "2.0", id: 1, method: "ping" }];
    const response = await transport.handleRequest(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: MCP_HEADERS,
        body: JSON.stringify(batch),
      }),
      { parsedBody: batch },
    );
    await response.text();
    assert.equal(transport.isIdle(), false, "the slow call of id 1 still runs");
    upstream.gates.get("slow")?.resolve();
    await until(() => transport.isIdle());
  } finally {
    upstream.gates.forEach((held) => held.resolve());
    await transport.close();
  }
});

Deno.test("in a session, a request whose id is in flight is refused 409 and the first call keeps its answer", async () => {
  await withGatedApp(["slow"], () => ({}), async (app, upstream) => {
    const headers = { "mcp-session-id": await initialize(app) };
    const first = await post(app, search(5, "slow-first"), headers);
    const second = await post(app, search(5, "oec.live.promotion"), headers);
    assert.equal(second.status, 409);
    const refusal = await second.json();
    assert.equal(refusal.id, null, "not an answer the client could pair with the first call");
    assert.equal(refusal.error.code, -32600);
    assert.match(refusal.error.message, /^Request id 5 is in use by a call still in flight/);
    assert.equal(upstream.seen("oec"), 0, "the refused call did not run");
    upstream.gates.get("slow")?.resolve();
    assert.match(answerText(await first.text()), /slow-first/);
    const again = await post(app, search(5, "oec.live.promotion"), headers);
    assert.equal(again.status, 200, "the id is free again once answered");
    assert.match(answerText(await again.text()), /Found oec\.live\.promotion/);
    assert.equal(upstream.seen("oec"), 2, "only the second call of id 5 searched (cn and us)");
  });
});

Deno.test("a JSON call its client left leaves nothing behind: its id serves the next call whole", async () => {
  await withGatedApp(["slow"], () => ({}), async (app, upstream) => {
    const headers = { "mcp-session-id": await initialize(app) };
    const left = await post(app, search(7, "slow"), headers);
    assert.equal(left.headers.get("content-type"), "application/json");
    await left.body?.cancel();
    await until(() => upstream.aborted() > 0);
    // Now on an event stream, which a stale JSON answer of id 7 would take the answer from.
    const withProgress = search(7, "oec.live.promotion");
    const again = await post(app, {
      ...withProgress,
      params: { ...withProgress.params, _meta: { progressToken: "p7" } },
    }, headers);
    assert.equal(again.headers.get("content-type"), "text/event-stream");
    const reader = again.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await Promise.race([reader.read(), settleTimes(200).then(() => undefined)]);
    await reader.cancel();
    assert.match(first?.value ?? "", /Found oec\.live\.promotion/, "answered on its stream");
  });
});
