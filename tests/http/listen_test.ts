import assert from "node:assert/strict";
import { reset } from "@logtape/logtape";
import {
  listen,
  type ListenOptions,
  type ServedPort,
  type ServeFunction,
} from "../../src/http/listen.ts";
import { logger, setupLogging } from "../../src/log.ts";
import { recordingLogger } from "../fake_upstream.ts";

const TOO_MANY_OPEN_FILES = new Error("Too many open files (os error 24)");

interface FakePort extends ServedPort {
  fail(error: unknown): void;
}

/** A `Deno.serve` stand-in: each call takes the next outcome (a port, or an error to throw). */
function fakeServe(outcomes: ("ok" | Error)[]) {
  const calls: Deno.ServeTcpOptions[] = [];
  const ports: FakePort[] = [];
  const serve: ServeFunction = (options) => {
    calls.push(options);
    const outcome = outcomes.shift() ?? "ok";
    if (outcome instanceof Error) throw outcome;
    const finished = Promise.withResolvers<void>();
    const addr: Deno.NetAddr = {
      transport: "tcp",
      hostname: options.hostname!,
      port: options.port || 40_000,
    };
    options.onListen?.(addr);
    const port: FakePort = {
      addr,
      finished: finished.promise,
      shutdown: () => (finished.resolve(), finished.promise),
      fail: (error) => finished.reject(error),
    };
    ports.push(port);
    return port;
  };
  return { serve, calls, ports };
}

/** Waits for `condition`; fails rather than hangs when it never comes. */
async function until(condition: () => boolean) {
  for (let tries = 0; !condition(); tries++) {
    assert.ok(tries < 2_000, "the condition never came");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const handler = () => new Response("ok");

/** Listens through `fake` on 127.0.0.1:8123 with a 1 ms back-off, unless `options` say otherwise. */
function listenWith(fake: { serve: ServeFunction }, options: Partial<ListenOptions> = {}) {
  const logger = recordingLogger();
  const listener = listen(handler, {
    hostname: "127.0.0.1",
    port: 8123,
    logger,
    serve: fake.serve,
    backoffMs: 1,
    ...options,
  });
  return { listener, logger };
}

Deno.test("a listener that stops accepting is listened on again, on the port first picked", async () => {
  const fake = fakeServe([]);
  const announced: number[] = [];
  const { listener, logger } = listenWith(fake, {
    port: 0,
    onListen: ({ port }) => announced.push(port),
  });
  assert.equal(listener.port, 40_000);
  fake.ports[0]!.fail(TOO_MANY_OPEN_FILES);
  await until(() => fake.calls.length === 2);
  assert.deepEqual(fake.calls.map((c) => c.port), [0, 40_000]);
  assert.deepEqual(announced, [40_000], "the start is announced once");
  assert.ok(logger.lines.some((line) => /stopped accepting.*Too many open files/.test(line)));
  // It keeps doing so, each time it fails.
  fake.ports[1]!.fail(TOO_MANY_OPEN_FILES);
  await until(() => fake.calls.length === 3);
  await listener.shutdown();
});

Deno.test("while the port cannot be listened on, it is tried again until it can, with one warning", async () => {
  const fake = fakeServe(["ok", TOO_MANY_OPEN_FILES, TOO_MANY_OPEN_FILES, TOO_MANY_OPEN_FILES]);
  const { listener, logger } = listenWith(fake, { maxBackoffMs: 4 });
  fake.ports[0]!.fail(TOO_MANY_OPEN_FILES);
  await until(() => fake.ports.length === 2);
  assert.equal(fake.calls.length, 5);
  assert.equal(
    logger.lines.filter((line) => /Cannot listen on port 8123 yet/.test(line)).length,
    1,
  );
  assert.ok(logger.lines.some((line) => /Listening on port 8123 again/.test(line)));
  await listener.shutdown();
});

Deno.test("shutdown stops the listener and any further attempt to listen", async () => {
  const fake = fakeServe(["ok", TOO_MANY_OPEN_FILES]);
  const { listener } = listenWith(fake, { maxBackoffMs: 60_000 });
  fake.ports[0]!.fail(TOO_MANY_OPEN_FILES);
  await until(() => fake.calls.length === 2);
  // Now waiting a minute before the next attempt: shutdown does not wait for it.
  await listener.shutdown();
  assert.equal(fake.calls.length, 2);
});

Deno.test("a clean shutdown is not taken for a failure", async () => {
  const fake = fakeServe([]);
  const { listener, logger } = listenWith(fake);
  await listener.shutdown();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(fake.calls.length, 1);
  assert.deepEqual(logger.lines, []);
});

Deno.test("a port that cannot be listened on at start is an error for the caller", () => {
  const inUse = new Deno.errors.AddrInUse("Address already in use");
  const fake = fakeServe([inUse]);
  assert.throws(() => listenWith(fake), (error) => error === inUse);
});

Deno.test("the listener's failures are logged as one line each, without a stack trace", async () => {
  // As Deno reports them: the accept loop's error carries a stack line in its message.
  const acceptFailed = new Deno.errors.Http(
    "Error: Too many open files (os error 24)\n    at ext:deno_http/00_serve.ts:1:18520",
  );
  const taken = new Deno.errors.AddrInUse("Address already in use (os error 98)");
  const fake = fakeServe(["ok", taken, taken]);
  const lines: string[] = [];
  const output = await setupLogging("debug", {
    write: (text) => {
      lines.push(...text.split(/(?<=\n)/));
      return Promise.resolve();
    },
  });
  try {
    const listener = listen(handler, {
      hostname: "127.0.0.1",
      port: 8123,
      logger: logger("http"),
      serve: fake.serve,
      backoffMs: 1,
    });
    fake.ports[0]!.fail(acceptFailed);
    await until(() => fake.ports.length === 2);
    await listener.shutdown();
    await output.flush();
  } finally {
    await reset();
  }
  assert.equal(lines.length, 3, lines.join(""));
  assert.match(
    lines[0]!,
    /\[ERR\] .*stopped accepting \(Http: Error: Too many open files \(os error 24\)\): listening again/,
  );
  assert.match(
    lines[1]!,
    /\[WRN\] .*Cannot listen on port 8123 yet \(AddrInUse: Address already in use \(os error 98\)\): trying again\n$/,
  );
  assert.match(lines[2]!, /\[INF\] .*Listening on port 8123 again/);
});
