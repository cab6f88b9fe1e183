import assert from "node:assert/strict";
import { createDependencies } from "../src/dependencies.ts";
import { z } from "zod";
import { McpServer } from "../src/mcp_sdk.ts";
import { createServer } from "../src/server.ts";
import { readLines, refuseFirstRequest, serveStdio } from "../src/stdio.ts";
import { recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "./harness.ts";

const encoder = new TextEncoder();

type Message = Record<string, unknown>;

/** The lines read from `chunks`, `undefined` standing for each line over `maxLineBytes`. */
async function linesOf(chunks: (string | Uint8Array)[], maxLineBytes: number) {
  const bytes = chunks.map((chunk) => typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  return await Array.fromAsync(readLines(ReadableStream.from(bytes).getReader(), maxLineBytes));
}

/** A fake stdin to write text to, and a fake stdout whose messages can be awaited. */
function fakeStdio() {
  let input!: ReadableStreamDefaultController<Uint8Array>;
  const written: Message[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let text = "";
  return {
    input: new ReadableStream<Uint8Array>({ start: (controller) => void (input = controller) }),
    output: new WritableStream<Uint8Array>({
      write(bytes) {
        text += new TextDecoder().decode(bytes);
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        written.push(...lines.map((line) => JSON.parse(line)));
        for (const waiter of waiters) if (written.length >= waiter.count) waiter.resolve();
      },
    }),
    send: (text: string) => input.enqueue(encoder.encode(text)),
    end: () => input.close(),
    written,
    /** Resolves once `count` messages were written in all. */
    writtenCount(count: number): Promise<void> {
      if (written.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

function line(message: Message): string {
  return `${JSON.stringify(message)}\n`;
}

Deno.test("the line reader looks at each byte once, however small the chunks of a long line", async () => {
  let scanned = 0;
  let copied = 0;
  // Counts the bytes the reader searches and copies: a reader that went over the line so far
  // at each chunk would count 64 KiB chunks times the line, not the line once.
  class CountingBytes extends Uint8Array {
    override indexOf(value: number, from = 0): number {
      const at = super.indexOf(value, from);
      scanned += (at === -1 ? this.length : at + 1) - from;
      return at;
    }
    override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
      const piece = new Uint8Array(this.subarray(start, end));
      copied += piece.length;
      return piece;
    }
  }
  const long = "x".repeat(4 * 1024 * 1024 - 1);
  const bytes = encoder.encode(`${long}\nnext\n`);
  const chunks = [];
  for (let start = 0; start < bytes.length; start += 64) {
    chunks.push(new CountingBytes(bytes.subarray(start, start + 64)));
  }
  assert.deepEqual(await linesOf(chunks, 4 * 1024 * 1024), [long, "next"]);
  assert.equal(scanned, bytes.length);
  assert.ok(copied <= bytes.length, `${copied} bytes copied of ${bytes.length}`);
});

Deno.test("the line reader ends lines at LF or CRLF, also when the CR and LF arrive apart", async () => {
  assert.deepEqual(
    await linesOf(["a\r\nb\n", "c\r", "\nd", "é\r\n", "\n \r\n", "unterminated"], 1024),
    ["a", "b", "c", "dé"],
    "blank lines and the unterminated rest are not lines",
  );
});

Deno.test("the line reader drops a line over its limit, says so once, and reads the next", async () => {
  const lines = await linesOf(
    ["0123456", "789a", "bcdefghijklmnop", "qrs\nshort\n0123456789\n"],
    10,
  );
  assert.deepEqual(lines, [undefined, "short", "0123456789"]);
});

function demoServer() {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  return createServer(deps);
}

Deno.test("over stdio a line over the limit gets a parse error with id null, and the next request is answered", async () => {
  const stdio = fakeStdio();
  const served = serveStdio(demoServer(), stdio);
  stdio.send(line(INITIALIZE_REQUEST));
  const pad = "x".repeat(4 * 1024 * 1024);
  stdio.send(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"${pad}"}}\n`);
  stdio.send(line({ jsonrpc: "2.0", id: 3, method: "ping" }));
  await stdio.writtenCount(3);
  stdio.end();
  await served;
  // The refusal is written at once, maybe before the answer to a request read earlier.
  assert.deepEqual(stdio.written.map((message) => String(message.id)).sort(), ["1", "3", "null"]);
  const refusal = stdio.written.find((message) => message.id === null) as {
    error: { code: number; message: string };
  };
  assert.equal(refusal.error.code, -32700);
  assert.match(refusal.error.message, /passed 4194304 bytes/);
});

Deno.test("a call answered while shutdown writes an earlier error gets its answer only, never a second one", async () => {
  const server = new McpServer({ name: "gated", version: "1" });
  const release = { A: Promise.withResolvers<void>(), B: Promise.withResolvers<void>() };
  server.registerTool("wait", { inputSchema: { name: z.enum(["A", "B"]) } }, async ({ name }) => {
    await release[name].promise;
    return { content: [{ type: "text", text: name }] };
  });
  const written: Message[] = [];
  const firstError = Promise.withResolvers<void>();
  const output = new WritableStream<Uint8Array>({
    async write(bytes) {
      const message = JSON.parse(new TextDecoder().decode(bytes)) as Message;
      if ("error" in message && written.every((m) => !("error" in m))) {
        // Holds the first shutdown error while call B finishes and sends its answer.
        release.B.resolve();
        await firstError.promise;
      }
      written.push(message);
    },
  });
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const message of [INITIALIZE_REQUEST, call(2, "A"), call(3, "B")]) {
        controller.enqueue(encoder.encode(line(message)));
      }
    },
  });
  const stop = new AbortController();
  const served = serveStdio(server, { input, output, stop: stop.signal });
  while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  setTimeout(() => firstError.resolve(), 5_500);
  await served;
  const answersTo = (id: number) => written.filter((message) => message.id === id);
  assert.equal(answersTo(2).length, 1);
  assert.deepEqual(answersTo(3).map((message) => "result" in message ? "result" : "error"), [
    "result",
  ]);
});

function call(id: number, name: "A" | "B"): Message {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "wait", arguments: { name } },
  };
}

Deno.test("a server that cannot start answers the first request on stdin with its message", async () => {
  const stdio = fakeStdio();
  const refused = refuseFirstRequest("byted-live-promotion: Option --port needs a number", {
    timeoutMs: 5_000,
    input: stdio.input,
    output: stdio.output,
  });
  stdio.send(line({ ...INITIALIZE_REQUEST, id: "init-7" }));
  await refused;
  assert.deepEqual(stdio.written, [{
    jsonrpc: "2.0",
    id: "init-7",
    error: { code: -32603, message: "byted-live-promotion: Option --port needs a number" },
  }]);
});

Deno.test("a server that cannot start answers a sloppy first request too: no jsonrpc, an extra key, odd params", async () => {
  const sloppy = [
    { id: 1, method: "initialize" },
    { ...INITIALIZE_REQUEST, extra: true },
    { ...INITIALIZE_REQUEST, params: "initialize me" },
  ];
  for (const request of sloppy) {
    const stdio = fakeStdio();
    const refused = refuseFirstRequest("no", { timeoutMs: 5_000, ...stdio });
    stdio.send(line(request));
    await refused;
    assert.deepEqual(stdio.written, [{
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: "no" },
    }]);
  }
});

Deno.test("a server that cannot start writes nothing when stdin ends, holds no request, or stays silent", async () => {
  for (const text of [undefined, line({ jsonrpc: "2.0", method: "notifications/initialized" })]) {
    const stdio = fakeStdio();
    const refused = refuseFirstRequest("no", { timeoutMs: 5_000, ...stdio });
    if (text) stdio.send(text);
    stdio.end();
    await refused;
    assert.deepEqual(stdio.written, []);
  }
  const silent = fakeStdio();
  await refuseFirstRequest("no", { timeoutMs: 20, ...silent });
  assert.deepEqual(silent.written, []);
});

Deno.test("a stdio start loads neither node:crypto nor node:fs, which cost it as much as our own modules", async () => {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph: {
    roots: string[];
    modules: { specifier: string; dependencies?: Dependency[] }[];
  } = JSON.parse(new TextDecoder().decode(stdout));
  // What main.ts loads before running: its static imports, followed to the end.
  const byName = new Map(graph.modules.map((module) => [module.specifier, module]));
  const loaded = new Set<string>();
  const visit = (specifier: string) => {
    if (loaded.has(specifier)) return;
    loaded.add(specifier);
    for (const dependency of byName.get(specifier)?.dependencies ?? []) {
      if (dependency.isDynamic) continue;
      if (dependency.specifier.startsWith("node:")) loaded.add(dependency.specifier);
      else if (dependency.code) visit(dependency.code.specifier);
    }
  };
  for (const root of graph.roots) visit(root);
  assert.ok(loaded.size > 10, "deno info listed the graph");
  const builtIns = [...loaded].filter((specifier) => specifier.startsWith("node:"));
  assert.deepEqual(builtIns.filter((name) => ["node:crypto", "node:fs"].includes(name)), []);
});

interface Dependency {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
