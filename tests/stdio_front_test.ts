import assert from "node:assert/strict";
import { JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS } from "../src/mcp_sdk.ts";
import { createDependencies, createServer } from "../src/server.ts";
import { answerEarly } from "../src/stdio_front/answer.ts";
import answers from "../src/stdio_front/answers.json" with { type: "json" };
import { openStdioFront } from "../src/stdio_front/mod.ts";
import { initializeParams, recordAnswers, startLiveServer } from "../src/stdio_front/record.ts";
import { recordingLogger } from "./fake_upstream.ts";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig } from "./harness.ts";

const REGENERATE = "the stdio front's answers differ from the server's: run `deno task generate`";

type Message = Record<string, unknown>;

function request(id: number | string, method: string, params?: Message): Message {
  return { jsonrpc: "2.0", id, method, ...(params && { params }) };
}

/** A fake stdin to write lines to, and a fake stdout whose lines can be awaited. */
function fakeStdio() {
  const encoder = new TextEncoder();
  let input!: ReadableStreamDefaultController<Uint8Array>;
  const written: Message[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let text = "";
  return {
    input: new ReadableStream<Uint8Array>({ start: (controller) => void (input = controller) }),
    output: {
      write(bytes: Uint8Array) {
        text += new TextDecoder().decode(bytes);
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        written.push(...lines.map((line) => JSON.parse(line)));
        for (const waiter of waiters) if (written.length >= waiter.count) waiter.resolve();
        return Promise.resolve(bytes.length);
      },
    },
    send(...messages: Message[]) {
      for (const message of messages) input.enqueue(encoder.encode(`${JSON.stringify(message)}\n`));
    },
    end: () => input.close(),
    written,
    /** Resolves once `count` messages were written in all. */
    writtenCount(count: number): Promise<void> {
      if (written.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

function demoServer() {
  const config = testConfig(["--demo"]);
  const deps = createDependencies(config, {
    fetch: demoFetchFor(config),
    now: Date.now,
    logger: () => recordingLogger(),
  });
  return createServer(deps);
}

const validate = (value: unknown) => JSONRPCMessageSchema.parse(value);

Deno.test("the stdio front's answers equal a live server's, in demo mode and with regions of one's own", async () => {
  const committed = structuredClone(answers);
  assert.deepEqual(await recordAnswers(testConfig(["--demo", "--stdio"])), committed, REGENERATE);
  const own = testConfig(["--region", "eu=https://neptune.eu.example", "--stdio"], {});
  assert.deepEqual(await recordAnswers(own), committed, REGENERATE);
});

Deno.test("the front negotiates the protocol version as the SDK does: the client's when supported, else the latest", async () => {
  const live = await startLiveServer(testConfig(["--demo"]));
  try {
    for (const version of [...SUPPORTED_PROTOCOL_VERSIONS, "2099-01-01", "1.0", ""]) {
      const params = initializeParams(version);
      const early = answerEarly(JSON.stringify(request(1, "initialize", params)), answers);
      const expected = await live.request("initialize", params);
      assert.deepEqual(early?.response.result, expected.result, `${version}: ${REGENERATE}`);
    }
  } finally {
    await live.close();
  }
});

Deno.test("ping and tools/list from the front equal the live server's, with or without _meta", async () => {
  const live = await startLiveServer(testConfig(["--demo"]));
  try {
    for (const method of ["ping", "tools/list"]) {
      for (const params of [undefined, {}, { _meta: { progressToken: 7 } }]) {
        const early = answerEarly(JSON.stringify(request(1, method, params)), answers);
        const expected = await live.request(method, params);
        assert.deepEqual(early?.response.result, expected.result, `${method}: ${REGENERATE}`);
      }
    }
  } finally {
    await live.close();
  }
});

Deno.test("the front leaves to the server whatever it cannot vouch for", () => {
  const initialize = (params: Message) => JSON.stringify(request(1, "initialize", params));
  const plain = initializeParams("2025-06-18");
  const refused = [
    "not json",
    JSON.stringify({ ...request(1, "ping"), extra: true }),
    JSON.stringify(request(1.5, "ping")),
    JSON.stringify({ id: 1, method: "ping" }),
    JSON.stringify(request(1, "tools/list", { cursor: "next" })),
    JSON.stringify(request(1, "tools/call", { name: "check_jwt_status" })),
    JSON.stringify(request(1, "prompts/list")),
    initialize({ ...plain, capabilities: { tasks: {} } }),
    initialize({ ...plain, capabilities: { roots: { listChanged: "yes" } } }),
    initialize({ ...plain, capabilities: { sampling: null } }),
    initialize({ ...plain, clientInfo: { name: "x", version: "0", icons: [] } }),
    initialize({ ...plain, clientInfo: { name: "x" } }),
    initialize({ protocolVersion: 20250618, capabilities: {}, clientInfo: plain.clientInfo }),
  ];
  for (const line of refused) assert.equal(answerEarly(line, answers), undefined, line);
  const accepted = initialize({
    ...plain,
    capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: { form: {} } },
  });
  assert.ok(answerEarly(accepted, answers));
});

Deno.test("before the server loads, the front answers the handshake; afterwards the server answers the rest and knows its client", async () => {
  const stdio = fakeStdio();
  const front = openStdioFront({ input: stdio.input, output: stdio.output, answers });
  let needed = false;
  void front.needed.then(() => needed = true);
  stdio.send(INITIALIZE_REQUEST, { jsonrpc: "2.0", method: "notifications/initialized" });
  await stdio.writtenCount(1);
  assert.equal(needed, false, "the handshake alone does not load the server");
  stdio.send(
    request(2, "tools/call", { name: "list_available_regions", arguments: {} }),
    request(3, "prompts/list"),
  );
  await front.needed;
  assert.deepEqual(stdio.written.map((message) => message.id), [1]);

  const server = demoServer();
  const link = front.attach({ validate });
  await server.connect(link.transport);
  await stdio.writtenCount(3);
  stdio.end();
  await link.inputEnded;
  await link.answered(5_000);
  await server.close();

  // Each is answered once: the server's answer to the replayed initialize is not written.
  assert.deepEqual(stdio.written.map((message) => message.id).sort(), [1, 2, 3]);
  assert.deepEqual(server.server.getClientVersion(), INITIALIZE_REQUEST.params.clientInfo);
  assert.deepEqual(
    server.server.getClientCapabilities(),
    INITIALIZE_REQUEST.params.capabilities,
  );
});

Deno.test("the front asks for the server once tools/list is answered, or when stdin ends", async () => {
  const listing = fakeStdio();
  const front = openStdioFront({ input: listing.input, output: listing.output, answers });
  listing.send(INITIALIZE_REQUEST, request(2, "ping"), request(3, "tools/list"));
  await front.needed;
  await listing.writtenCount(3);
  assert.deepEqual(listing.written.map((message) => message.id), [1, 2, 3]);
  listing.end();

  const quiet = fakeStdio();
  const idle = openStdioFront({ input: quiet.input, output: quiet.output, answers });
  quiet.end();
  await idle.needed;
  assert.equal(quiet.written.length, 0);
});

Deno.test("without answers every message waits for the server, and a malformed line is reported, not answered", async () => {
  const stdio = fakeStdio();
  const front = openStdioFront({ input: stdio.input, output: stdio.output });
  stdio.send(INITIALIZE_REQUEST, { jsonrpc: "2.0", id: 2, method: "ping", extra: 1 });
  await front.needed;
  assert.equal(stdio.written.length, 0, "nothing is answered before the server");
  const server = demoServer();
  const errors: Error[] = [];
  server.server.onerror = (error) => errors.push(error);
  const link = front.attach({ validate });
  await server.connect(link.transport);
  await stdio.writtenCount(1);
  stdio.end();
  await link.inputEnded;
  await server.close();
  assert.deepEqual(stdio.written.map((message) => message.id), [1]);
  assert.equal(errors.length, 1, "the line that is not JSON-RPC is reported");
});

Deno.test("over stdio a JSON-RPC batch (an array on one line) is reported, not served, as the SDK's stdio does", async () => {
  const stdio = fakeStdio();
  const front = openStdioFront({ input: stdio.input, output: stdio.output });
  const batch = [request(2, "ping"), request(3, "ping")];
  stdio.send(INITIALIZE_REQUEST, batch as unknown as Message, request(4, "ping"));
  await front.needed;
  const server = demoServer();
  const errors: Error[] = [];
  server.server.onerror = (error) => errors.push(error);
  const link = front.attach({ validate });
  await server.connect(link.transport);
  await stdio.writtenCount(2);
  stdio.end();
  await link.inputEnded;
  await server.close();
  assert.deepEqual(stdio.written.map((message) => message.id), [1, 4]);
  assert.equal(errors.length, 1, "the batch line is reported");
});

Deno.test("once stdout is gone the front says so and drops what is left to write", async () => {
  const stdio = fakeStdio();
  let writes = 0;
  const output = {
    write() {
      writes++;
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
    },
  };
  const front = openStdioFront({ input: stdio.input, output, answers });
  stdio.send(INITIALIZE_REQUEST, request(2, "tools/list"));
  const link = front.attach({ validate });
  await link.outputGone;
  stdio.end();
  await link.inputEnded;
  assert.equal(writes, 1, "nothing is written after the first failure");
});
