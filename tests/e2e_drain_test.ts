import assert from "node:assert/strict";
import { startServer } from "./server_process.ts";

const DRAIN_SECONDS = 2;

// A plain JSON call of list_available_regions, the cheapest tool, as a load balancer forwards it.
async function callTool(mcpUrl: string): Promise<number> {
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tool: "list_available_regions", arguments: {} }),
  });
  const answer = await response.json();
  return response.ok && answer.isError === false ? response.status : 500;
}

async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("on SIGTERM with --drain-delay, /ready turns 503 at once, every route is served for the delay, then the server exits 0", async () => {
  const server = await startServer(["--demo", "--drain-delay", String(DRAIN_SECONDS)], {});
  const base = server.url.replace(/\/mcp$/, "");
  try {
    assert.equal(await statusOf(`${base}/ready`), 200);
    const signalled = Date.now();
    server.signal("SIGTERM");
    let ready = 200;
    while (ready === 200 && Date.now() - signalled < 1_000) ready = await statusOf(`${base}/ready`);
    assert.equal(ready, 503, "/ready refuses within a second of SIGTERM");

    // Well inside the drain: the load balancer may still send anything.
    assert.equal(await statusOf(`${base}/health`), 200, "liveness stays green while draining");
    assert.equal(await callTool(server.url), 200, "tool calls are still answered");
    const status = await server.exited();
    const elapsed = Date.now() - signalled;
    assert.equal(status.code, 0);
    assert.ok(
      elapsed >= DRAIN_SECONDS * 1000,
      `exited after ${elapsed} ms, before the drain ended`,
    );
    assert.match(server.output().stderr, /Draining: \/ready answers 503 for 2 s/);
  } finally {
    // Already gone unless an assertion failed first.
    await server.stop({ killAfterMs: 1_000 }).catch(() => {});
  }
});

Deno.test("a second SIGTERM during the drain ends the server at once with 143", async () => {
  const server = await startServer(["--demo", "--drain-delay", "30"], {});
  const base = server.url.replace(/\/mcp$/, "");
  try {
    server.signal("SIGTERM");
    while (await statusOf(`${base}/ready`) === 200) { /* until the drain has begun */ }
    const signalled = Date.now();
    server.signal("SIGTERM");
    const status = await server.exited();
    assert.equal(status.code, 143);
    assert.ok(Date.now() - signalled < 5_000, "it did not wait for the 30 s drain");
  } finally {
    await server.stop({ killAfterMs: 1_000 }).catch(() => {});
  }
});
