import assert from "node:assert/strict";
import { reset } from "@logtape/logtape";
import { unsignedJwt } from "../src/demo.ts";
import { logger, type LogLevel, setupLogging } from "../src/log.ts";
import { Secret } from "../src/secret.ts";

const COOKIE = "SENTINEL-COOKIE-log-5e1f";

// LogTape's configuration is global: each test configures it, and resets it in
// `finally` so that no other test file inherits a sink that writes to `lines`.
async function withLines(
  level: LogLevel,
  secrets: readonly Secret[],
  test: (lines: string[], flush: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const output = await setupLogging(level, {
    secrets,
    write: (text) => {
      lines.push(...text.split(/(?<=\n)/));
      return Promise.resolve();
    },
  });
  try {
    await test(lines, output.flush);
  } finally {
    await reset();
  }
}

Deno.test("a log line has a secret's value and any JWT replaced by [redacted]", async () => {
  const jwt = unsignedJwt({ iss: "test", sub: "someone", exp: 2_000_000_000 });
  await withLines("debug", [new Secret(COOKIE)], async (lines, flush) => {
    logger("x").info(`Sent cookie ${COOKIE} and token ${jwt}`);
    logger("x").warn("Upstream said {detail} for {token}", {
      detail: `bad cookie CAS_SESSION=${COOKIE}`,
      token: jwt,
    });
    logger("x").error("Configured with {secret}", { secret: new Secret(COOKIE) });
    await flush();

    assert.equal(lines.length, 3, lines.join(""));
    const [inMessage, inProperties, asSecret] = lines;
    assert.match(inMessage!, /x: Sent cookie \[redacted\] and token \[redacted\]\n$/);
    assert.match(
      inProperties!,
      /Upstream said bad cookie CAS_SESSION=\[redacted\] for \[redacted\]/,
    );
    assert.match(asSecret!, /Configured with \[redacted\]/);
    for (const line of lines) {
      assert.ok(!line.includes(COOKIE), line);
      assert.ok(!line.includes(jwt), line);
      assert.ok(!line.includes("eyJ"), line);
    }
  });
});

Deno.test("a line break in a logged value is escaped, so a keyword or an upstream message cannot forge a log line", async () => {
  await withLines("debug", [], async (lines, flush) => {
    const forged = "x\n2026-01-01 00:00:00.000 +00 [ERR] byted-live-promotion.auth: forged\r";
    logger("discovery").warn("Region {region} failed for {keyword}: {reason}", {
      region: "us",
      keyword: forged,
      reason: "answered HTTP 500 (a\tb\u001b[31m)",
    });
    await flush();
    assert.equal(lines.length, 1, lines.join(""));
    assert.ok(lines[0]!.includes("x\\n2026-01-01"), lines[0]);
    assert.ok(lines[0]!.includes("forged\\r: answered HTTP 500 (a\\tb\\u001b[31m)"), lines[0]);
  });
});

Deno.test("bidirectional overrides, isolates, line separators and U+FEFF in a logged value are escaped", async () => {
  await withLines("debug", [], async (lines, flush) => {
    const keyword = "a\u202Edecnys\u202C\u2066b\u2069\u200E\u200F\u202A\u061C\u2028\u2029\uFEFF";
    logger("discovery").info("Searched {keyword}", { keyword: `${keyword} 👩\u200D💻` });
    await flush();
    assert.equal(lines.length, 1, lines.join(""));
    assert.ok(
      lines[0]!.includes(
        "a\\u202edecnys\\u202c\\u2066b\\u2069\\u200e\\u200f\\u202a\\u061c\\u2028\\u2029\\ufeff",
      ),
      lines[0],
    );
    assert.doesNotMatch(
      lines[0]!,
      /[\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/u,
    );
    assert.ok(lines[0]!.includes("👩\u200D💻"), "an emoji's zero width joiner is kept");
  });
});

Deno.test("records below the configured level are dropped, those at or above it are written", async () => {
  await withLines("warning", [], async (lines, flush) => {
    logger("x").debug("debug line");
    logger("x").info("info line");
    logger("x").warn("warning line");
    logger("x").error("error line");
    await flush();
    assert.equal(lines.length, 2, lines.join(""));
    assert.match(lines[0]!, /\[WRN\] byted-live-promotion\.x: warning line\n$/);
    assert.match(lines[1]!, /\[ERR\] byted-live-promotion\.x: error line\n$/);
  });
  await withLines("debug", [], async (lines, flush) => {
    logger("x").debug("debug line");
    logger("x").info("info line");
    await flush();
    assert.deepEqual(lines.map((line) => line.match(/\[(\w+)\]/)?.[1]), ["DBG", "INF"]);
  });
});

Deno.test("a call below the configured level reads none of its properties: no record is built", async () => {
  let reads = 0;
  const properties = {
    get path() {
      reads++;
      return "/mcp";
    },
  };
  await withLines("info", [], async (lines, flush) => {
    logger("x").debug("GET {path}", properties);
    await flush();
    assert.deepEqual(lines, []);
    assert.equal(reads, 0);
    logger("x").info("GET {path}", properties);
    await flush();
    assert.equal(lines.length, 1);
    assert.ok(reads > 0);
  });
});

Deno.test("string property values are written without quotes, other values inspected", async () => {
  await withLines("info", [], async (lines, flush) => {
    logger("x").info("Region {region} answered {count} in {ms} ms: {ids}", {
      region: "cn",
      count: 2,
      ms: 15,
      ids: ["a", "b"],
    });
    await flush();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /x: Region cn answered 2 in 15 ms: \[ "a", "b" \]\n$/);
    assert.ok(!lines[0]!.includes('"cn"'), lines[0]);
  });
});

Deno.test("a writer that never completes drops the overflow, counts it, and never blocks logging", async () => {
  const never = () => new Promise<void>(() => {});
  const output = await setupLogging("debug", { write: never, maxBufferedChars: 10_000 });
  try {
    for (let i = 0; i < 5_000; i++) logger("x").debug("line {i} of a busy server", { i });
    // Every call above returned: the loop is here. The first line is being written, the
    // buffer holds what fits in 10 000 characters, and the rest was dropped and counted.
    assert.ok(output.dropped() > 4_800, `dropped ${output.dropped()}`);
    assert.ok(output.dropped() < 5_000, `dropped ${output.dropped()}`);
  } finally {
    await reset();
  }
});

// A writer that holds each write until the test releases it.
function heldWriter() {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  const write = (text: string) =>
    new Promise<void>((resolve) =>
      pending.push(() => {
        written.push(text);
        resolve();
      })
    );
  // Releases every held write, a few rounds, until `count` writes are done.
  async function releaseUntil(count: number) {
    for (let round = 0; round < 10 && written.length < count; round++) {
      pending.splice(0).forEach((release) => release());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return { written, write, releaseUntil };
}

// Log lines of about 1 060 characters: the message outweighs the timestamp and category.
const LONG = "x".repeat(1_000);

Deno.test("once the writer catches up, one line says how many log lines were dropped", async () => {
  const writer = heldWriter();
  const output = await setupLogging("info", { write: writer.write, maxBufferedChars: 2_500 });
  try {
    for (const n of [1, 2, 3, 4, 5]) logger("x").info(`${n} ${LONG}`);
    assert.equal(output.dropped(), 3, "only the first two lines fit in 2 500 characters");
    await writer.releaseUntil(3);
    assert.equal(writer.written.length, 3);
    assert.match(writer.written[0]!, /x: 1 x+\n$/);
    assert.match(writer.written[1]!, /x: 2 x+\n$/);
    assert.match(
      writer.written[2]!,
      /\[WRN\] byted-live-promotion\.log: 3 log lines dropped: standard error was not read fast enough\n$/,
    );
  } finally {
    await reset();
  }
});

Deno.test("a writer that throws at once counts its lines as dropped and logging goes on", async () => {
  const written: string[] = [];
  let broken = true;
  const write = (text: string) => {
    if (broken) throw new Error("stderr is closed");
    written.push(text);
    return Promise.resolve();
  };
  const output = await setupLogging("info", { write });
  try {
    logger("x").info("lost");
    await output.flush();
    broken = false;
    logger("x").info("kept");
    await output.flush();
    assert.equal(output.dropped(), 1);
    assert.equal(written.length, 1);
    assert.match(written[0]!, /x: kept\n$/);
  } finally {
    await reset();
  }
});

Deno.test("a line that fits again after a write completes is queued, not dropped", async () => {
  const writer = heldWriter();
  const output = await setupLogging("info", { write: writer.write, maxBufferedChars: 1_500 });
  try {
    logger("x").info(`1 ${LONG}`);
    logger("x").info(`2 ${LONG}`);
    assert.equal(output.dropped(), 1);
    await writer.releaseUntil(2);
    logger("x").info(`3 ${LONG}`);
    await writer.releaseUntil(3);
    assert.equal(output.dropped(), 1);
    assert.equal(writer.written.length, 3);
    assert.match(writer.written[0]!, /x: 1 x+\n$/);
    assert.match(writer.written[1]!, /1 log lines dropped/);
    assert.match(writer.written[2]!, /x: 3 x+\n$/);
  } finally {
    await reset();
  }
});
