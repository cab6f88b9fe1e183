import assert from "node:assert/strict";
import { SENTINEL_COOKIE } from "./harness.ts";
import { runServer, startServer } from "./server_process.ts";

for (
  const [args, env, named] of [
    [["--port", "abc"], {}, /Invalid --port "abc": expected a whole number from 0 to 65535/],
    [[], { MCP_PORT: "99999" }, /Invalid MCP_PORT "99999"/],
    [
      ["--log-level", "loud"],
      {},
      /Invalid --log-level "loud": expected DEBUG, INFO, WARNING or ERROR/,
    ],
    [["--region", "cn"], {}, /Invalid --region "cn": expected NAME=URL/],
    [["--frobnicate"], {}, /Unknown option --frobnicate: run with --help/],
    [
      [],
      { CAS_SESSION: "paste-the-cookie-value-here" },
      /CAS_SESSION still holds a placeholder from the docs/,
    ],
  ] as const
) {
  Deno.test(`a bad value (${args.join(" ") || Object.keys(env).join(" ")}) exits 2 with one clear line`, async () => {
    const { code, stdout, stderr } = await runServer(args, {
      CAS_SESSION: SENTINEL_COOKIE,
      ...env,
    });
    assert.equal(code, 2);
    assert.equal(stdout, "");
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line, no stack trace:\n${stderr}`);
    assert.match(lines[0]!, /^byted-live-promotion: /);
    assert.match(lines[0]!, named);
    assert.ok(!stderr.includes(SENTINEL_COOKIE));
  });
}

Deno.test("--help prints the usage with every option and exits 0", async () => {
  const { code, stdout } = await runServer(["--help"]);
  assert.equal(code, 0);
  for (
    const option of [
      "--port",
      "--host",
      "--log-level",
      "--stdio",
      "--demo",
      "--auth-url",
      "--region",
      "--timeout",
      "CAS_SESSION",
    ]
  ) {
    assert.ok(stdout.includes(option), option);
  }
});

Deno.test("--version prints the name and version and exits 0", async () => {
  const { code, stdout } = await runServer(["--version"]);
  assert.equal(code, 0);
  assert.match(stdout, /^byted-live-promotion \d+\.\d+\.\d+\n$/);
});

Deno.test("a second server on a port already in use exits 1 with one line naming the port and --port", async () => {
  const first = await startServer(["--demo"], {});
  const port = new URL(first.url).port;
  let result;
  try {
    result = await runServer(["--host", "127.0.0.1", "--port", port], {
      CAS_SESSION: SENTINEL_COOKIE,
    });
  } finally {
    await first.stop();
  }
  const { code, stdout, stderr } = result;
  assert.equal(code, 1);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, no stack trace:\n${stderr}`);
  assert.match(lines[0]!, /^byted-live-promotion: /);
  assert.match(lines[0]!, new RegExp(`Port ${port} is already in use`));
  assert.match(lines[0]!, /--port/);
  assert.ok(!stderr.includes(SENTINEL_COOKIE));
});

// 192.0.2.1 (TEST-NET-1) is no address of this machine: should the refusal ever break, the server
// fails to bind and the test fails at once, instead of serving on every interface until killed.
Deno.test("the server refuses a non-loopback host without a token, in one line naming --auth-token", async () => {
  const { code, stdout, stderr } = await runServer(["--host", "192.0.2.1", "--port", "0"]);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /Refusing to serve on 192\.0\.2\.1 without a token: .*--auth-token/);
});

Deno.test("the server warns at start about a plain http auth URL and region off loopback", async () => {
  // 192.0.2.1 (TEST-NET-1) is never asked: no tool is called.
  const server = await startServer([
    "--auth-url",
    "http://192.0.2.1/auth",
    "--region",
    "cn=http://192.0.2.1/cn",
  ], { CAS_SESSION: SENTINEL_COOKIE });
  const { stderr } = await server.stop().then(() => server.output());
  assert.match(stderr, /\[WRN\].*The auth URL http:\/\/192\.0\.2\.1\/auth is plain http/);
  assert.match(stderr, /\[WRN\].*Region cn \(http:\/\/192\.0\.2\.1\/cn\) is plain http/);
  assert.ok(!stderr.includes(SENTINEL_COOKIE));
});
