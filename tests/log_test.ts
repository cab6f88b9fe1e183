import assert from "node:assert/strict";
import { reset } from "@logtape/logtape";
import type { LogLevel } from "../src/config.ts";
import { unsignedJwt } from "../src/demo.ts";
import { logger, setupLogging } from "../src/log.ts";
import { Secret } from "../src/secret.ts";

const COOKIE = "SENTINEL-COOKIE-log-5e1f";

// LogTape's configuration is global: each test configures it, and resets it in
// `finally` so that no other test file inherits a sink that writes to `lines`.
async function withLines(
  level: LogLevel,
  secrets: readonly Secret[],
  test: (lines: string[]) => void,
): Promise<void> {
  const lines: string[] = [];
  await setupLogging(level, { secrets, write: (line) => lines.push(line) });
  try {
    test(lines);
  } finally {
    await reset();
  }
}

Deno.test("a log line has a secret's value and any JWT replaced by [redacted]", async () => {
  const jwt = unsignedJwt({ iss: "test", sub: "someone", exp: 2_000_000_000 });
  await withLines("debug", [new Secret(COOKIE)], (lines) => {
    logger("x").info(`Sent cookie ${COOKIE} and token ${jwt}`);
    logger("x").warn("Upstream said {detail} for {token}", {
      detail: `bad cookie CAS_SESSION=${COOKIE}`,
      token: jwt,
    });
    logger("x").error("Configured with {secret}", { secret: new Secret(COOKIE) });

    assert.equal(lines.length, 3, lines.join(""));
    const [inMessage, inProperties, asSecret] = lines;
    assert.match(inMessage, /x: Sent cookie \[redacted\] and token \[redacted\]\n$/);
    assert.match(
      inProperties,
      /Upstream said bad cookie CAS_SESSION=\[redacted\] for \[redacted\]/,
    );
    assert.match(asSecret, /Configured with \[redacted\]/);
    for (const line of lines) {
      assert.ok(!line.includes(COOKIE), line);
      assert.ok(!line.includes(jwt), line);
      assert.ok(!line.includes("eyJ"), line);
    }
  });
});

Deno.test("records below the configured level are dropped, those at or above it are written", async () => {
  await withLines("warning", [], (lines) => {
    logger("x").debug("debug line");
    logger("x").info("info line");
    logger("x").warn("warning line");
    logger("x").error("error line");
    assert.equal(lines.length, 2, lines.join(""));
    assert.match(lines[0], /\[WRN\] byted-live-promotion\.x: warning line\n$/);
    assert.match(lines[1], /\[ERR\] byted-live-promotion\.x: error line\n$/);
  });
  await withLines("debug", [], (lines) => {
    logger("x").debug("debug line");
    logger("x").info("info line");
    assert.deepEqual(lines.map((line) => line.match(/\[(\w+)\]/)?.[1]), ["DBG", "INF"]);
  });
});

Deno.test("string property values are written without quotes, other values inspected", async () => {
  await withLines("info", [], (lines) => {
    logger("x").info("Region {region} answered {count} in {ms} ms: {ids}", {
      region: "cn",
      count: 2,
      ms: 15,
      ids: ["a", "b"],
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0], /x: Region cn answered 2 in 15 ms: \[ "a", "b" \]\n$/);
    assert.ok(!lines[0].includes('"cn"'), lines[0]);
  });
});
