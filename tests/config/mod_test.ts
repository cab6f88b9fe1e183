import assert from "node:assert/strict";
import {
  type Config,
  ConfigError,
  DEFAULTS,
  type Env,
  exposureWarning,
  parseCommand,
  USAGE,
} from "../../src/config/mod.ts";
import { MAX_CONFIG_FILE_BYTES, readConfigFile } from "../../src/config/file.ts";
import { flagOf, OPTION_ENTRIES } from "../../src/config/options.ts";
import { ENV_VARS, REGIONAL_ENV_PREFIXES } from "../../src/permissions.ts";

const SENTINEL_COOKIE = "SENTINEL-COOKIE-9f3c";

function serve(args: readonly string[], env: Env = {}): Config {
  const command = parseCommand(args, env);
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") throw new Error("unreachable");
  return command.config;
}

function configError(args: readonly string[], env: Env = {}): ConfigError {
  try {
    parseCommand(args, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.name, "ConfigError");
    return error;
  }
  assert.fail(`parseCommand(${JSON.stringify(args)}, ${JSON.stringify(env)}) did not throw`);
}

/** The cookie or secret value the first region would sign in with. */
/** Each region's name and search URL. */
function urlsOf(config: Config): { name: string; baseUrl: string }[] {
  return config.regions.map(({ name, baseUrl }) => ({ name, baseUrl }));
}

function credentialOf(config: Config): string | undefined {
  return config.regions[0]!.credential?.value.reveal();
}

Deno.test("an environment reader is asked only for known variables and each region's own", () => {
  const asked = new Set<string>();
  const config = serve(["--region", "eu=https://eu.example"], (name) => {
    asked.add(name);
    return name === "MCP_PORT" ? "9000" : name === "CAS_SESSION" ? SENTINEL_COOKIE : undefined;
  });
  assert.equal(config.port, 9000);
  assert.equal(credentialOf(config), SENTINEL_COOKIE);
  for (const name of asked) {
    assert.ok(
      (ENV_VARS as readonly string[]).includes(name) ||
        REGIONAL_ENV_PREFIXES.some((prefix) => name === `${prefix}eu`),
      `asked for ${name}`,
    );
  }
  assert.ok(asked.has("CAS_SESSION_eu") && asked.has("SERVICE_ACCOUNT_SECRET_eu"));
});

Deno.test("no flags and no environment give the documented defaults", () => {
  const config = serve([]);
  assert.equal(config.port, DEFAULTS.port);
  assert.equal(config.host, DEFAULTS.host);
  assert.equal(config.logLevel, "info");
  assert.equal(config.transport, "http");
  assert.equal(config.demo, false);
  assert.equal(config.authUrl, DEFAULTS.auth_url);
  assert.deepEqual(config.regions, [
    {
      name: "cn",
      baseUrl: "https://ms-neptune.byted.org",
      authUrl: DEFAULTS.auth_url,
      credential: undefined,
    },
    {
      name: "us",
      baseUrl: "https://ms-neptune.tiktok-us.org",
      authUrl: DEFAULTS.auth_url,
      credential: undefined,
    },
  ]);
  assert.equal(config.timeoutMs, DEFAULTS.timeout_ms);
  assert.deepEqual(config.secrets, []);
});

Deno.test("empty or blank environment values fall back to the defaults", () => {
  const config = serve([], {
    MCP_PORT: "",
    MCP_HOST: "  ",
    LOG_LEVEL: "",
    DEMO: "",
    JWT_AUTH_URL: " ",
    NEPTUNE_REGIONS: "",
    UPSTREAM_TIMEOUT_MS: "",
  });
  assert.equal(config.port, DEFAULTS.port);
  assert.equal(config.host, DEFAULTS.host);
  assert.equal(config.logLevel, "info");
  assert.equal(config.demo, false);
  assert.equal(config.authUrl, DEFAULTS.auth_url);
  assert.equal(config.regions.length, 2);
  assert.equal(config.timeoutMs, DEFAULTS.timeout_ms);
});

Deno.test("port comes from --port, else MCP_PORT, else the default", () => {
  assert.equal(serve(["--port", "9001"], { MCP_PORT: "9002" }).port, 9001);
  assert.equal(serve(["--port=9003"]).port, 9003);
  assert.equal(serve([], { MCP_PORT: " 9002 " }).port, 9002);
  assert.equal(serve([]).port, DEFAULTS.port);
  assert.equal(serve(["--port", "0"]).port, 0);
  assert.equal(serve(["--port", "65535"]).port, 65_535);
});

Deno.test("host comes from --host, else MCP_HOST, else the default", () => {
  assert.equal(
    serve(["--host", "0.0.0.0", "--no-auth"], { MCP_HOST: "127.0.0.1" }).host,
    "0.0.0.0",
  );
  assert.equal(serve([], { MCP_HOST: "127.0.0.1" }).host, "127.0.0.1");
  assert.equal(serve([]).host, "localhost");
});

Deno.test("log level comes from --log-level, else LOG_LEVEL, else info", () => {
  assert.equal(serve(["--log-level", "error"], { LOG_LEVEL: "debug" }).logLevel, "error");
  assert.equal(serve([], { LOG_LEVEL: "debug" }).logLevel, "debug");
  assert.equal(serve([]).logLevel, "info");
});

Deno.test("log level is accepted in any case, and warn means warning", () => {
  assert.equal(serve(["--log-level", "DEBUG"]).logLevel, "debug");
  assert.equal(serve(["--log-level", "Warning"]).logLevel, "warning");
  assert.equal(serve([], { LOG_LEVEL: "eRRoR" }).logLevel, "error");
  assert.equal(serve([], { LOG_LEVEL: "WARN" }).logLevel, "warning");
  assert.equal(serve([], { LOG_LEVEL: " Info " }).logLevel, "info");
});

Deno.test("auth URL comes from --auth-url, else JWT_AUTH_URL, else the default", () => {
  assert.equal(
    serve(["--auth-url", "https://flag.example/jwt"], { JWT_AUTH_URL: "https://env.example/jwt" })
      .authUrl,
    "https://flag.example/jwt",
  );
  assert.equal(
    serve([], { JWT_AUTH_URL: "http://env.example:8080/jwt" }).authUrl,
    "http://env.example:8080/jwt",
  );
  assert.equal(serve([]).authUrl, DEFAULTS.auth_url);
});

Deno.test("regions come from NEPTUNE_REGIONS when no --region is given", () => {
  const config = serve([], {
    NEPTUNE_REGIONS: "eu=https://neptune.eu.example, i18n=http://neptune.i18n.example:8080",
  });
  assert.deepEqual(urlsOf(config), [
    { name: "eu", baseUrl: "https://neptune.eu.example" },
    { name: "i18n", baseUrl: "http://neptune.i18n.example:8080" },
  ]);
});

Deno.test("--region is repeatable and replaces NEPTUNE_REGIONS entirely", () => {
  const config = serve(
    ["--region", "a=https://a.example", "--region", "b=https://b.example"],
    { NEPTUNE_REGIONS: "cn=https://cn.example,us=https://us.example" },
  );
  assert.deepEqual(urlsOf(config), [
    { name: "a", baseUrl: "https://a.example" },
    { name: "b", baseUrl: "https://b.example" },
  ]);
});

Deno.test("trailing slashes are stripped from region URLs, paths are kept", () => {
  const config = serve([
    "--region",
    "cn=https://cn.example/",
    "--region",
    "us=https://us.example/neptune//",
  ]);
  assert.deepEqual(urlsOf(config), [
    { name: "cn", baseUrl: "https://cn.example" },
    { name: "us", baseUrl: "https://us.example/neptune" },
  ]);
  const fromEnv = serve([], { NEPTUNE_REGIONS: "eu=https://eu.example/" });
  assert.deepEqual(urlsOf(fromEnv), [{ name: "eu", baseUrl: "https://eu.example" }]);
});

Deno.test("timeout comes from --timeout, else UPSTREAM_TIMEOUT_MS, else the default", () => {
  assert.equal(serve(["--timeout", "2500"], { UPSTREAM_TIMEOUT_MS: "3000" }).timeoutMs, 2500);
  assert.equal(serve([], { UPSTREAM_TIMEOUT_MS: "3000" }).timeoutMs, 3000);
  assert.equal(serve([]).timeoutMs, DEFAULTS.timeout_ms);
  assert.equal(serve(["--timeout", "1"]).timeoutMs, 1);
  assert.equal(serve(["--timeout", "600000"]).timeoutMs, 600_000);
});

Deno.test("the cache TTL comes from --cache-ttl, else CACHE_TTL, in seconds, else 60 s; 0 disables it", () => {
  assert.equal(serve(["--cache-ttl", "30"], { CACHE_TTL: "90" }).cacheTtlMs, 30_000);
  assert.equal(serve([], { CACHE_TTL: "90" }).cacheTtlMs, 90_000);
  assert.equal(serve([]).cacheTtlMs, 60_000);
  assert.equal(serve(["--cache-ttl", "0"]).cacheTtlMs, 0);
});

Deno.test("a cache TTL that is not a whole number of seconds up to a day is rejected, naming its source", () => {
  assert.match(configError(["--cache-ttl", "1.5"]).message, /--cache-ttl.*0 to 86400.*seconds/);
  assert.match(configError([], { CACHE_TTL: "-1" }).message, /CACHE_TTL.*0 to 86400/);
  assert.match(configError(["--cache-ttl", "86401"]).message, /--cache-ttl/);
});

Deno.test("the per-region concurrency comes from --concurrency, else MCP_CONCURRENCY, else 8", () => {
  assert.equal(serve(["--concurrency", "4"], { MCP_CONCURRENCY: "16" }).concurrency, 4);
  assert.equal(serve([], { MCP_CONCURRENCY: "16" }).concurrency, 16);
  assert.equal(serve([]).concurrency, 8);
  assert.match(configError(["--concurrency", "0"]).message, /--concurrency.*1 to 256/);
  assert.match(configError([], { MCP_CONCURRENCY: "many" }).message, /MCP_CONCURRENCY/);
});

Deno.test("the cache's size limit comes from --cache-max-mb, else MCP_CACHE_MAX_MB, else 64 MiB", () => {
  const MIB = 1024 * 1024;
  assert.equal(serve(["--cache-max-mb", "8"], { MCP_CACHE_MAX_MB: "16" }).cacheMaxBytes, 8 * MIB);
  assert.equal(serve([], { MCP_CACHE_MAX_MB: "16" }).cacheMaxBytes, 16 * MIB);
  assert.equal(serve([]).cacheMaxBytes, 64 * MIB);
  assert.match(configError(["--cache-max-mb", "0"]).message, /--cache-max-mb.*1 to 16384/);
  assert.match(configError([], { MCP_CACHE_MAX_MB: "1.5" }).message, /MCP_CACHE_MAX_MB/);
});

Deno.test("the session caps come from --max-sessions and --max-sessions-per-client, else 1000 and 100", () => {
  const flagged = serve(["--max-sessions", "50", "--max-sessions-per-client", "5"]);
  assert.deepEqual([flagged.maxSessions, flagged.maxSessionsPerClient], [50, 5]);
  assert.deepEqual([serve([]).maxSessions, serve([]).maxSessionsPerClient], [1000, 100]);
  assert.match(configError(["--max-sessions", "0"]).message, /--max-sessions.*1 to 100000/);
  assert.match(
    configError(["--max-sessions-per-client", "x"]).message,
    /--max-sessions-per-client "x": expected a whole number/,
  );
});

Deno.test("the drain delay comes from --drain-delay, else MCP_DRAIN_DELAY, else the file, else 0", () => {
  assert.equal(serve(["--drain-delay", "15"], { MCP_DRAIN_DELAY: "20" }).drainDelayMs, 15_000);
  assert.equal(serve([], { MCP_DRAIN_DELAY: "20" }).drainDelayMs, 20_000);
  assert.equal(serve([]).drainDelayMs, 0);
  const files = { "regions.json": { drain_delay: 7 } };
  assert.equal(serveWithFiles(["--config", "regions.json"], {}, files).drainDelayMs, 7_000);
  assert.match(configError(["--drain-delay", "1.5"]).message, /--drain-delay.*0 to 600.*seconds/);
  assert.match(configError([], { MCP_DRAIN_DELAY: "soon" }).message, /MCP_DRAIN_DELAY/);
  assert.match(
    configFileError({ "regions.json": { drain_delay: 601 } }).message,
    /drain_delay/,
  );
});

Deno.test("DEMO=1 or DEMO=true turns demo mode on, DEMO=0 leaves it off", () => {
  assert.equal(serve([], { DEMO: "1" }).demo, true);
  assert.equal(serve([], { DEMO: "true" }).demo, true);
  assert.equal(serve([], { DEMO: "TRUE" }).demo, true);
  assert.equal(serve([], { DEMO: "0" }).demo, false);
  assert.equal(serve([], { DEMO: "false" }).demo, false);
});

Deno.test("--demo turns demo mode on whatever DEMO says", () => {
  assert.equal(serve(["--demo"]).demo, true);
  assert.equal(serve(["--demo"], { DEMO: "0" }).demo, true);
});

Deno.test("--stdio selects the stdio transport", () => {
  assert.equal(serve(["--stdio"]).transport, "stdio");
  assert.equal(serve([]).transport, "http");
});

Deno.test("--help and --version ask for help and version without validating the rest", () => {
  assert.deepEqual(parseCommand(["--help"], {}), { kind: "help" });
  assert.deepEqual(parseCommand(["-h"], {}), { kind: "help" });
  assert.deepEqual(parseCommand(["--version"], {}), { kind: "version" });
  assert.deepEqual(parseCommand(["-V"], {}), { kind: "version" });
  assert.deepEqual(parseCommand(["--help", "--port", "abc"], { LOG_LEVEL: "loud" }), {
    kind: "help",
  });
  assert.deepEqual(parseCommand(["--version"], { MCP_PORT: "abc" }), { kind: "version" });
});

Deno.test("CAS_SESSION becomes a secret holding the trimmed cookie value", () => {
  const config = serve([], { CAS_SESSION: `  ${SENTINEL_COOKIE}\n` });
  assert.equal(credentialOf(config), SENTINEL_COOKIE);
  assert.equal(String(config.regions[0]!.credential?.value), "[redacted]");
  assert.deepEqual(config.secrets.map((secret) => secret.reveal()), [SENTINEL_COOKIE]);
});

Deno.test("CAS_SESSION pasted with its name or in quotes gives the bare cookie value", () => {
  for (
    const raw of [
      `CAS_SESSION=${SENTINEL_COOKIE}`,
      `"${SENTINEL_COOKIE}"`,
      `'${SENTINEL_COOKIE}'`,
      `CAS_SESSION="${SENTINEL_COOKIE}"`,
      ` CAS_SESSION= ${SENTINEL_COOKIE} `,
    ]
  ) {
    assert.equal(credentialOf(serve([], { CAS_SESSION: raw })), SENTINEL_COOKIE, raw);
  }
});

Deno.test("an empty CAS_SESSION counts as not set", () => {
  for (const raw of ["", "   ", "CAS_SESSION=", `""`, "CAS_SESSION=''"]) {
    assert.equal(credentialOf(serve([], { CAS_SESSION: raw })), undefined, JSON.stringify(raw));
  }
});

Deno.test("a port that is not a number is rejected, naming the flag and the range", () => {
  const error = configError(["--port", "abc"]);
  assert.match(error.message, /--port/);
  assert.match(error.message, /"abc"/);
  assert.match(error.message, /0 to 65535/);
});

Deno.test("a port above 65535 is rejected, naming the variable and the range", () => {
  const error = configError([], { MCP_PORT: "70000" });
  assert.match(error.message, /MCP_PORT/);
  assert.match(error.message, /70000/);
  assert.match(error.message, /0 to 65535/);
});

Deno.test("negative and fractional ports are rejected", () => {
  assert.match(configError(["--port=-1"]).message, /--port.*0 to 65535/);
  assert.match(configError([], { MCP_PORT: "80.5" }).message, /MCP_PORT.*0 to 65535/);
});

Deno.test("an unknown log level is rejected, naming the accepted levels", () => {
  const flag = configError(["--log-level", "loud"]);
  assert.match(flag.message, /--log-level/);
  assert.match(flag.message, /DEBUG, INFO, WARNING or ERROR/);
  const env = configError([], { LOG_LEVEL: "trace" });
  assert.match(env.message, /LOG_LEVEL/);
  assert.match(env.message, /DEBUG, INFO, WARNING or ERROR/);
});

Deno.test("a region without =URL is rejected, showing the NAME=URL form", () => {
  const flag = configError(["--region", "cn"]);
  assert.match(flag.message, /--region/);
  assert.match(flag.message, /NAME=URL/);
  const env = configError([], { NEPTUNE_REGIONS: "cn" });
  assert.match(env.message, /NEPTUNE_REGIONS/);
  assert.match(env.message, /NAME=URL/);
  assert.match(configError(["--region", "=https://a.example"]).message, /--region.*NAME=URL/);
});

Deno.test("a region given twice is rejected, naming the region", () => {
  const flag = configError([
    "--region",
    "cn=https://a.example",
    "--region",
    "cn=https://b.example",
  ]);
  assert.match(flag.message, /--region/);
  assert.match(flag.message, /"cn" is given twice/);
  const env = configError([], { NEPTUNE_REGIONS: "us=https://a.example,us=https://b.example" });
  assert.match(env.message, /NEPTUNE_REGIONS/);
  assert.match(env.message, /"us" is given twice/);
});

Deno.test("a region list with no region in it is rejected", () => {
  const error = configError([], { NEPTUNE_REGIONS: " , ," });
  assert.match(error.message, /NEPTUNE_REGIONS/);
  assert.match(error.message, /NAME=URL/);
});

Deno.test("a region URL that is not http(s) is rejected, naming the region", () => {
  const error = configError(["--region", "cn=ftp://neptune.example"]);
  assert.match(error.message, /--region cn/);
  assert.match(error.message, /http or https/);
});

Deno.test("an auth URL that is not http(s) is rejected, naming its source", () => {
  const flag = configError(["--auth-url", "ftp://auth.example/jwt"]);
  assert.match(flag.message, /--auth-url/);
  assert.match(flag.message, /http or https/);
  const env = configError([], { JWT_AUTH_URL: "file:///etc/passwd" });
  assert.match(env.message, /JWT_AUTH_URL/);
  assert.match(env.message, /http or https/);
  const relative = configError([], { JWT_AUTH_URL: "/auth/api/v1/jwt" });
  assert.match(relative.message, /JWT_AUTH_URL/);
  assert.match(relative.message, /absolute http\(s\) URL/);
});

Deno.test("an empty --auth-url is rejected naming --auth-url, not JWT_AUTH_URL", () => {
  const error = configError(["--auth-url", ""]);
  assert.match(error.message, /--auth-url/);
  assert.match(error.message, /absolute http\(s\) URL/);
});

Deno.test("a URL with a user name and password is rejected without echoing the password", () => {
  const auth = configError([], { JWT_AUTH_URL: "https://alice:hunter2@auth.example/jwt" });
  assert.match(auth.message, /JWT_AUTH_URL/);
  assert.match(auth.message, /user name or password/);
  assert.match(auth.message, /CAS_SESSION/);
  assert.ok(!auth.message.includes("hunter2"), auth.message);
  const region = configError(["--region", "cn=https://bob:s3cr3t@neptune.example"]);
  assert.match(region.message, /--region cn/);
  assert.ok(!region.message.includes("s3cr3t"), region.message);
});

Deno.test("an unknown flag is rejected, naming it and pointing to --help", () => {
  const error = configError(["--foo"]);
  assert.match(error.message, /--foo/);
  assert.match(error.message, /--help/);
});

Deno.test("a positional argument is rejected without echoing it, which may be a pasted cookie", () => {
  const error = configError(["SECRET-COOKIE-PASTED-HERE"]);
  assert.match(
    error.message,
    /Unexpected positional argument \(not shown: it may be a credential\): options take the form --name value/,
  );
  assert.ok(!error.message.includes("SECRET-COOKIE-PASTED-HERE"), error.message);
});

Deno.test("the -- of `deno task start -- --demo` is named, with the form deno task expects", () => {
  const error = configError(["--", "--demo"]);
  assert.match(error.message, /^Unexpected argument --: deno task passes arguments on/);
  assert.match(error.message, /deno task start --demo, without --/);
});

Deno.test("a positional option name is echoed with the flag it probably meant", () => {
  const error = configError(["--port", "0", "demo"]);
  assert.match(error.message, /Unexpected argument "demo": .*did you mean --demo\?/);
});

Deno.test("a mistyped option gets the one it probably meant, as bare words do", () => {
  const cases: [string[], RegExp][] = [
    [["--prot", "9000"], /^Unknown option --prot: did you mean --port\? See --help$/],
    [["--prot=9000"], /^Unknown option --prot: did you mean --port\?/],
    [["--hots", "0.0.0.0"], /did you mean --host\?/],
    [["--log-levle", "debug"], /did you mean --log-level\?/],
    [["--stateles"], /did you mean --stateless\?/],
    [["--frobnicate"], /^Unknown option --frobnicate: run with --help/],
  ];
  for (const [args, expected] of cases) assert.match(configError(args).message, expected);
});

Deno.test("plain http upstream URLs off loopback give a warning each; https, loopback and demo none", () => {
  const serve = (args: string[], env = {}) => {
    const command = parseCommand(args, env);
    assert.equal(command.kind, "serve");
    return command.kind === "serve" ? command.config.warnings : [];
  };
  const remote = serve([
    "--auth-url",
    "http://auth.example/jwt",
    "--region",
    "cn=http://neptune.example",
    "--region",
    "us=https://neptune-us.example",
    "--region",
    "lo=http://127.0.0.2:9000",
    "--region",
    "v6=http://[::1]:9000",
    "--region",
    "dev=http://localhost:9000",
  ]);
  assert.equal(remote.length, 2, remote.join("\n"));
  assert.match(
    remote[0]!,
    /auth URL http:\/\/auth\.example\/jwt is plain http: the session cookie or secret/,
  );
  assert.match(remote[1]!, /Region cn \(http:\/\/neptune\.example\) is plain http: the JWT/);
  assert.deepEqual(serve([]), [], "the defaults are https");
  assert.deepEqual(serve(["--demo", "--region", "cn=http://neptune.example"]), []);
});

Deno.test("a value that starts with a dash is rejected in one line that shows the = form", () => {
  const error = configError(["--port", "-1"]);
  assert.equal(error.message.split("\n").length, 1, error.message);
  assert.match(error.message, /--port needs a value; write --port=VALUE/);
});

Deno.test("a flag missing its value at the end is rejected, naming the flag", () => {
  const error = configError(["--stdio", "--port"]);
  assert.match(error.message, /--port needs a value/);
  assert.match(error.message, /--help/);
});

Deno.test("a timeout of 0 is rejected, naming the flag and the range", () => {
  const flag = configError(["--timeout", "0"]);
  assert.match(flag.message, /--timeout/);
  assert.match(flag.message, /1 to 600000/);
  const env = configError([], { UPSTREAM_TIMEOUT_MS: "0" });
  assert.match(env.message, /UPSTREAM_TIMEOUT_MS/);
  assert.match(env.message, /1 to 600000/);
  assert.match(configError(["--timeout", "600001"]).message, /--timeout.*1 to 600000/);
});

Deno.test("an unrecognised DEMO value is rejected, naming the accepted values", () => {
  const error = configError([], { DEMO: "maybe" });
  assert.match(error.message, /DEMO/);
  assert.match(error.message, /1 or 0/);
});

Deno.test("an invalid host is rejected, naming the flag or variable it came from", () => {
  const flag = configError(["--host", "local host"]);
  assert.match(flag.message, /--host/);
  assert.match(flag.message, /host name or IP address/);
  const env = configError([], { MCP_HOST: "http://localhost" });
  assert.match(env.message, /MCP_HOST/);
  assert.match(env.message, /host name or IP address/);
});

Deno.test("no ConfigError message contains the CAS_SESSION value", () => {
  const cases: [string[], Env][] = [
    [["--port", "abc"], {}],
    [[], { MCP_PORT: "70000" }],
    [["--log-level", "loud"], {}],
    [["--region", "cn"], {}],
    [["--region", "cn=https://a.example", "--region", "cn=https://b.example"], {}],
    [["--auth-url", "ftp://auth.example/jwt"], {}],
    [[], { JWT_AUTH_URL: "https://user:pass@auth.example/jwt" }],
    [["--foo"], {}],
    [["positional"], {}],
    [["--port"], {}],
    [["--timeout", "0"], {}],
    [[], { DEMO: "maybe" }],
    [["--host", "a b"], {}],
  ];
  for (const [args, env] of cases) {
    for (const cookie of [SENTINEL_COOKIE, `CAS_SESSION="${SENTINEL_COOKIE}"`]) {
      const error = configError(args, { ...env, CAS_SESSION: cookie });
      assert.ok(!error.message.includes(SENTINEL_COOKIE), error.message);
    }
  }
});

Deno.test("a CAS_SESSION no cookie could hold is rejected without echoing it", () => {
  for (const value of ["abc;def", "abc def", "abc\u0001def", 'abc"def', "令牌"]) {
    const error = configError([], { CAS_SESSION: value });
    assert.match(error.message, /Invalid CAS_SESSION: it holds characters a cookie cannot/);
    assert.ok(!error.message.includes(value), error.message);
  }
  assert.equal(
    credentialOf(serve([], { CAS_SESSION: "AbC-123_x.y=z/+~" })),
    "AbC-123_x.y=z/+~",
  );
});

Deno.test("a region with a bad URL gets an example of a region URL", () => {
  const error = configError([], { NEPTUNE_REGIONS: "cn=" });
  assert.match(
    error.message,
    /Invalid NEPTUNE_REGIONS cn "": .* such as https:\/\/ms-neptune\.byted\.org/,
  );
});

Deno.test("in demo mode a malformed CAS_SESSION does not stop the server: it is never sent", () => {
  assert.equal(serve(["--demo"], { CAS_SESSION: "abc def" }).demo, true);
  assert.match(configError([], { CAS_SESSION: "abc def" }).message, /Invalid CAS_SESSION/);
});

Deno.test("a non-loopback host without a token is refused in one line naming --auth-token", () => {
  for (const host of ["0.0.0.0", "10.1.2.3", "::", "myhost.example"]) {
    const error = configError(["--host", host]);
    assert.match(error.message, /^Refusing to serve on .* without a token: .*--auth-token/, host);
    assert.ok(!error.message.includes("\n"));
  }
  assert.equal(serve(["--host", "0.0.0.0", "--stdio"]).transport, "stdio", "stdio binds nothing");
});

Deno.test("a non-loopback host is served with a token from --auth-token or MCP_AUTH_TOKEN", () => {
  const flag = serve(["--host", "0.0.0.0", "--auth-token", "SENTINEL-TOKEN-1"]);
  assert.equal(flag.authToken?.reveal(), "SENTINEL-TOKEN-1");
  assert.equal(String(flag.authToken), "[redacted]", "the token is a Secret");
  const env = serve(["--host", "0.0.0.0"], { MCP_AUTH_TOKEN: " SENTINEL-TOKEN-2 " });
  assert.equal(env.authToken?.reveal(), "SENTINEL-TOKEN-2");
  assert.equal(exposureWarning(env), undefined);
  assert.equal(serve([], { MCP_AUTH_TOKEN: "" }).authToken, undefined);
});

Deno.test("a token is kept on loopback too, so it is required there as well", () => {
  assert.equal(serve(["--auth-token", "SENTINEL-TOKEN-3"]).authToken?.reveal(), "SENTINEL-TOKEN-3");
});

Deno.test("a token with spaces is rejected without echoing it", () => {
  const error = configError(["--auth-token", "SENTINEL token"]);
  assert.match(error.message, /--auth-token/);
  assert.ok(!error.message.includes("SENTINEL"));
});

Deno.test("--no-auth serves a non-loopback host without a token, with a warning", () => {
  const config = serve(["--host", "0.0.0.0", "--no-auth"]);
  assert.equal(config.authToken, undefined);
  assert.match(exposureWarning(config) ?? "", /Serving on 0\.0\.0\.0 without a token/);
  assert.equal(exposureWarning(serve([])), undefined, "loopback needs no warning");
});

Deno.test("loopback hosts in every spelling need no token", () => {
  for (const host of ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "0:0:0:0:0:0:0:1"]) {
    assert.equal(serve(["--host", host]).authToken, undefined, host);
  }
});

Deno.test("--host [::1] is kept bare, so the announced URL brackets it once", () => {
  assert.equal(serve(["--host", "[::1]"]).host, "::1");
});

Deno.test("--allowed-origin and --allowed-host are repeatable; an origin must be http(s)", () => {
  const config = serve([
    "--allowed-origin",
    "https://app.example/path",
    "--allowed-origin",
    "http://tools.example:8080",
    "--allowed-host",
    "mcp.example",
    "--allowed-host",
    "mcp2.example",
  ]);
  assert.deepEqual(config.allowedOrigins, ["https://app.example", "http://tools.example:8080"]);
  assert.deepEqual(config.allowedHosts, ["mcp.example", "mcp2.example"]);
  assert.match(configError(["--allowed-origin", "app.example"]).message, /--allowed-origin/);
});

Deno.test("--stateless or MCP_STATELESS=1 turns stateless mode on", () => {
  assert.equal(serve([]).stateless, false);
  assert.equal(serve(["--stateless"]).stateless, true);
  assert.equal(serve([], { MCP_STATELESS: "1" }).stateless, true);
});

/** Parses `args` and `env` with `files` as the only readable files. */
function serveWithFiles(
  args: readonly string[],
  env: Env,
  files: Record<string, unknown>,
): Config {
  const command = parseCommand(args, env, { readFile: readFrom(files) });
  if (command.kind !== "serve") throw new Error("expected a serve command");
  return command.config;
}

function configFileError(files: Record<string, unknown>, env: Env = {}): ConfigError {
  try {
    parseCommand(["--config", "regions.json"], env, { readFile: readFrom(files) });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("the config file was accepted");
}

function readFrom(files: Record<string, unknown>) {
  return (path: string) => {
    if (!(path in files)) throw new Deno.errors.NotFound(`No such file: ${path}`);
    const content = files[path];
    return typeof content === "string" ? content : JSON.stringify(content);
  };
}

const REGIONS_FILE = {
  auth_url: "https://cloud.auth.example/auth/api/v1/jwt",
  regions: [
    { name: "cn", base_url: "https://cn.neptune.example/" },
    {
      name: "i18n",
      base_url: "https://i18n.neptune.example",
      auth_url: "https://i18n.auth.example/auth/api/v1/jwt",
    },
  ],
};

Deno.test("a config file gives the regions, each with its own auth URL or the file's default", () => {
  const config = serveWithFiles(["--config", "regions.json"], {}, { "regions.json": REGIONS_FILE });
  assert.deepEqual(
    config.regions.map(({ name, baseUrl, authUrl }) => ({ name, baseUrl, authUrl })),
    [
      {
        name: "cn",
        baseUrl: "https://cn.neptune.example",
        authUrl: "https://cloud.auth.example/auth/api/v1/jwt",
      },
      {
        name: "i18n",
        baseUrl: "https://i18n.neptune.example",
        authUrl: "https://i18n.auth.example/auth/api/v1/jwt",
      },
    ],
  );
});

Deno.test("MCP_CONFIG names the config file when --config is not given", () => {
  const config = serveWithFiles([], { MCP_CONFIG: "regions.json" }, {
    "regions.json": REGIONS_FILE,
  });
  assert.deepEqual(config.regions.map((r) => r.name), ["cn", "i18n"]);
});

// Windows paths reach the file reader as the user wrote them: Deno.readTextFileSync takes drive
// letters, backslashes and UNC shares on Windows, and nothing here may split or rewrite them.
const WINDOWS_PATHS = [
  "C:\\Users\\Li Lei\\AppData\\Roaming\\byted\\regions.json",
  "D:/mcp/regions.json",
  "\\\\fileserver\\team\\regions.json",
  "regions\\prod.json",
];

Deno.test("--config, --config=, and MCP_CONFIG pass a Windows path to the reader unchanged", () => {
  for (const path of WINDOWS_PATHS) {
    const files = { [path]: REGIONS_FILE };
    for (
      const [args, env] of [
        [["--config", path], {}],
        [[`--config=${path}`], {}],
        [[], { MCP_CONFIG: path }],
      ] as const
    ) {
      const config = serveWithFiles(args, env, files);
      assert.deepEqual(config.regions.map((r) => r.name), ["cn", "i18n"], path);
    }
  }
});

Deno.test("a Windows config path that does not exist is named as written in the error", () => {
  const [path] = WINDOWS_PATHS;
  try {
    parseCommand([], { MCP_CONFIG: path }, { readFile: readFrom({}) });
    assert.fail("a missing config file was accepted");
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, `Config file ${path} does not exist: check --config or MCP_CONFIG`);
  }
});

Deno.test("flags and environment win over the config file, which wins over the defaults", () => {
  const file = {
    "regions.json": { port: 9100, host: "127.0.0.2", log_level: "debug", timeout_ms: 2000 },
  };
  const fromFile = serveWithFiles(["--config", "regions.json"], {}, file);
  assert.deepEqual(
    [fromFile.port, fromFile.host, fromFile.logLevel, fromFile.timeoutMs],
    [9100, "127.0.0.2", "debug", 2000],
  );
  const overridden = serveWithFiles(
    ["--config", "regions.json", "--port", "9200", "--region", "eu=https://eu.example"],
    { MCP_HOST: "127.0.0.1", LOG_LEVEL: "error" },
    file,
  );
  assert.deepEqual(
    [overridden.port, overridden.host, overridden.logLevel, overridden.timeoutMs],
    [9200, "127.0.0.1", "error", 2000],
  );
  assert.deepEqual(overridden.regions.map((r) => r.name), ["eu"]);
  const byEnv = serveWithFiles(["--config", "regions.json"], {
    NEPTUNE_REGIONS: "us=https://us.example",
    JWT_AUTH_URL: "https://env.auth.example/jwt",
  }, { "regions.json": REGIONS_FILE });
  assert.deepEqual(
    byEnv.regions.map(({ name, authUrl }) => ({ name, authUrl })),
    [{ name: "us", authUrl: "https://env.auth.example/jwt" }],
  );
});

Deno.test("--auth-url replaces the file's default auth URL, not a region's own", () => {
  const config = serveWithFiles(
    ["--config", "regions.json", "--auth-url", "https://flag.auth.example/jwt"],
    {},
    { "regions.json": REGIONS_FILE },
  );
  assert.deepEqual(config.regions.map((r) => r.authUrl), [
    "https://flag.auth.example/jwt",
    "https://i18n.auth.example/auth/api/v1/jwt",
  ]);
});

Deno.test("every problem of a config file is reported with its path in the file", () => {
  const error = configFileError({
    "regions.json": {
      port: "8123",
      colour: "blue",
      regions: [
        { name: "cn", base_url: "https://cn.example" },
        { base_url: 3 },
        { name: "us", base_url: "https://us.example", auth_url: "nope", cookie: "x" },
      ],
    },
  });
  const lines = error.message.split("\n");
  assert.match(
    lines[0]!,
    /^Invalid config file regions\.json \(6 problems\), fix them and restart:$/,
  );
  assert.deepEqual(lines.slice(1).map((line) => line.trim()).sort(), [
    "colour: not an option of the config file, see the README",
    "port: expected a whole number from 0 to 65535",
    "regions[1].base_url: expected a string",
    "regions[1].name: missing",
    "regions[2].auth_url: expected an absolute http(s) URL such as https://cloud.bytedance.net/auth/api/v1/jwt",
    "regions[2].cookie: credentials are not read from the file, set CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET_<region> in the environment",
  ]);
});

Deno.test("a credential put in the config file is refused, saying which variable to set instead", () => {
  const error = configFileError({
    "regions.json": {
      CAS_SESSION: SENTINEL_COOKIE,
      regions: [{ name: "us", base_url: "https://us.example", service_account_secret: "x" }],
    },
  });
  assert.match(
    error.message,
    /CAS_SESSION: credentials are not read from the file, set CAS_SESSION_<region>/,
  );
  assert.match(error.message, /regions\[0\]\.service_account_secret: credentials are not read/);
  assert.ok(!error.message.includes(SENTINEL_COOKIE));
});

Deno.test("a config file's region names must be unique and its list not empty", () => {
  const duplicate = configFileError({
    "regions.json": {
      regions: [
        { name: "cn", base_url: "https://a.example" },
        { name: "cn", base_url: "https://b.example" },
      ],
    },
  });
  assert.match(duplicate.message, /regions\[1\]\.name: region "cn" is given twice/);
  const empty = configFileError({ "regions.json": { regions: [] } });
  assert.match(empty.message, /regions: give at least one region/);
});

Deno.test("a config file that is missing, not JSON or not an object says so", () => {
  assert.match(configFileError({}).message, /Config file regions\.json does not exist/);
  assert.match(
    configFileError({ "regions.json": "{ regions: " }).message,
    /regions\.json [^]*the file is not valid JSON/,
  );
  assert.match(
    configFileError({ "regions.json": [1, 2] }).message,
    /the file: expected an object/,
  );
});

Deno.test("a config file that is not JSON names the line and column, never the text there", () => {
  const cases: [string, RegExp][] = [
    ['{\n  "regions": [],\n}', /not valid JSON at line 3, column 1:/],
    [`{\n  "host": "x",\n  "port" ${SENTINEL_COOKIE}\n}`, /not valid JSON at line 3, column 10:/],
    [`{"host": ${SENTINEL_COOKIE}}`, /not valid JSON at line 1, column 10:/],
    ['{"regions": [', /not valid JSON at line 1, column 14:/],
  ];
  for (const [text, expected] of cases) {
    const { message } = configFileError({ "regions.json": text });
    assert.match(message, expected, text);
    assert.ok(!message.includes(SENTINEL_COOKIE), message);
  }
});

Deno.test("a config file's problems never echo its values", () => {
  const error = configFileError({
    "regions.json": { regions: [{ name: "cn", base_url: SENTINEL_COOKIE }], host: SENTINEL_COOKIE },
  });
  assert.ok(!error.message.includes(SENTINEL_COOKIE), error.message);
});

Deno.test("each region's credential: its own variables first, a service account before a cookie", () => {
  const regions = ["--region", "cn=https://cn.example", "--region", "us=https://us.example"];
  const pick = (env: Env) =>
    serve([...regions, "--region", "eu=https://eu.example"], env).regions.map((r) =>
      r.credential && `${r.credential.kind}:${r.credential.source}:${r.credential.value.reveal()}`
    );
  assert.deepEqual(pick({ CAS_SESSION: "c" }), [
    "cas_session:CAS_SESSION:c",
    "cas_session:CAS_SESSION:c",
    "cas_session:CAS_SESSION:c",
  ]);
  assert.deepEqual(
    pick({
      CAS_SESSION: "c",
      CAS_SESSION_us: "cu",
      SERVICE_ACCOUNT_SECRET_eu: "se",
      CAS_SESSION_eu: "ce",
    }),
    [
      "cas_session:CAS_SESSION:c",
      "cas_session:CAS_SESSION_us:cu",
      "service_account:SERVICE_ACCOUNT_SECRET_eu:se",
    ],
  );
  assert.deepEqual(pick({ CAS_SESSION: "c", SERVICE_ACCOUNT_SECRET: "s", CAS_SESSION_cn: "cc" }), [
    "cas_session:CAS_SESSION_cn:cc",
    "service_account:SERVICE_ACCOUNT_SECRET:s",
    "service_account:SERVICE_ACCOUNT_SECRET:s",
  ]);
  assert.deepEqual(pick({ CAS_SESSION_us: "cu" }), [
    undefined,
    "cas_session:CAS_SESSION_us:cu",
    undefined,
  ]);
});

Deno.test("every credential value read is kept for redaction, each once", () => {
  const config = serve([], {
    CAS_SESSION: "c1",
    CAS_SESSION_us: "c2",
    SERVICE_ACCOUNT_SECRET_cn: "s1",
  });
  assert.deepEqual(config.secrets.map((s) => s.reveal()).sort(), ["c1", "c2", "s1"]);
});

Deno.test("a regional cookie or service secret that cannot be sent is rejected by its name, not its value", () => {
  const cookie = configError([], { CAS_SESSION_us: "abc def" });
  assert.match(cookie.message, /^Invalid CAS_SESSION_us: it holds characters a cookie cannot/);
  assert.ok(!cookie.message.includes("abc def"));
  const secret = configError([], { SERVICE_ACCOUNT_SECRET: `${SENTINEL_COOKIE} x` });
  assert.match(secret.message, /^Invalid SERVICE_ACCOUNT_SECRET: it holds spaces/);
  assert.ok(!secret.message.includes(SENTINEL_COOKIE));
});

Deno.test("a service secret pasted with its Bearer prefix or quotes gives the bare secret", () => {
  for (const raw of [`Bearer ${SENTINEL_COOKIE}`, `"${SENTINEL_COOKIE}"`, ` ${SENTINEL_COOKIE} `]) {
    assert.equal(credentialOf(serve([], { SERVICE_ACCOUNT_SECRET: raw })), SENTINEL_COOKIE, raw);
  }
});

Deno.test("a config file's host beyond loopback needs a token like --host does", () => {
  const files = { "regions.json": { host: "0.0.0.0" } };
  assert.throws(
    () => serveWithFiles(["--config", "regions.json"], {}, files),
    /Refusing to serve on 0\.0\.0\.0 without a token/,
  );
  const guarded = serveWithFiles(["--config", "regions.json"], { MCP_AUTH_TOKEN: "t0ken" }, files);
  assert.equal(guarded.host, "0.0.0.0");
});

Deno.test("a config file can set the HTTP options: stateless, allowed origins and hosts", () => {
  const config = serveWithFiles(["--config", "regions.json"], {}, {
    "regions.json": {
      stateless: true,
      allowed_origins: ["https://app.example/path"],
      allowed_hosts: ["mcp.example"],
    },
  });
  assert.equal(config.stateless, true);
  assert.deepEqual(config.allowedOrigins, ["https://app.example"]);
  assert.deepEqual(config.allowedHosts, ["mcp.example"]);
  assert.match(
    configFileError({ "regions.json": { allowed_origins: ["app.example"] } }).message,
    /allowed_origins\[0\]: expected an origin such as https:\/\/app\.example/,
  );
});

Deno.test("a config file can set the cache lifetime and the concurrency, under their flags", () => {
  const files = { "regions.json": { cache_ttl: 5, concurrency: 2 } };
  const config = serveWithFiles(["--config", "regions.json"], {}, files);
  assert.deepEqual([config.cacheTtlMs, config.concurrency], [5000, 2]);
  const flagged = serveWithFiles(["--config", "regions.json", "--concurrency", "3"], {}, files);
  assert.equal(flagged.concurrency, 3);
});

Deno.test("a config file can set the cache's size limit, under its flag and variable", () => {
  const files = { "regions.json": { cache_max_mb: 32 } };
  const config = serveWithFiles(["--config", "regions.json"], {}, files);
  assert.equal(config.cacheMaxBytes, 32 * 1024 * 1024);
  const env = serveWithFiles(["--config", "regions.json"], { MCP_CACHE_MAX_MB: "2" }, files);
  assert.equal(env.cacheMaxBytes, 2 * 1024 * 1024);
  assert.match(
    configFileError({ "regions.json": { cache_max_mb: 0 } }).message,
    /cache_max_mb: expected a whole number from 1 to 16384/,
  );
});

Deno.test("a config file can set the session caps, under their flags", () => {
  const files = { "regions.json": { max_sessions: 20, max_sessions_per_client: 4 } };
  const config = serveWithFiles(["--config", "regions.json"], {}, files);
  assert.deepEqual([config.maxSessions, config.maxSessionsPerClient], [20, 4]);
  const flagged = serveWithFiles(["--config", "regions.json", "--max-sessions", "30"], {}, files);
  assert.equal(flagged.maxSessions, 30);
  assert.match(
    configFileError({ "regions.json": { max_sessions_per_client: 0 } }).message,
    /max_sessions_per_client: expected a whole number from 1 to 100000/,
  );
});

Deno.test("the example config file is valid, names the known auth hosts, and is the README's", () => {
  const path = new URL("../../examples/regions.example.json", import.meta.url).pathname;
  const text = Deno.readTextFileSync(path);
  const file = readConfigFile(path);
  const hosts = file.regions?.map((r) => new URL(r.auth_url ?? file.auth_url!).host);
  assert.deepEqual(hosts, [
    "cloud.bytedance.net",
    "cloud-ttp-us.bytedance.net",
    "cloud-i18n.bytedance.net",
    "cloud-i18n.tiktok-eu.org",
  ]);
  for (const readme of ["README.md", "README.zh-CN.md"]) {
    const markdown = Deno.readTextFileSync(new URL(`../../${readme}`, import.meta.url));
    const shown = [...markdown.matchAll(/```json\n([^]*?)\n```/g)].map((m) => m[1]);
    assert.ok(
      shown.some((block) =>
        JSON.stringify(JSON.parse(block!)) === JSON.stringify(JSON.parse(text))
      ),
      `${readme} shows examples/regions.example.json`,
    );
  }
});

Deno.test("--region or NEPTUNE_REGIONS replacing the config file's regions is a start warning", () => {
  const files = {
    "regions.json": {
      regions: [
        { name: "cn", base_url: "https://cn.example" },
        { name: "us", base_url: "https://us.example", auth_url: "https://us.auth.example/jwt" },
      ],
    },
  };
  const warnings = (args: string[], env: Env = {}) =>
    serveWithFiles(["--config", "regions.json", ...args], env, files).warnings;
  assert.deepEqual(warnings([]), []);
  assert.deepEqual(warnings([], { NEPTUNE_REGIONS: "eu=https://eu.example" }), [
    "NEPTUNE_REGIONS replaces the 2 regions of the config file and their auth URLs: unset NEPTUNE_REGIONS to search the file's regions",
  ]);
  assert.match((warnings(["--region", "eu=https://eu.example"])[0])!, /^--region replaces the 2/);
  assert.deepEqual(serve([], { NEPTUNE_REGIONS: "eu=https://eu.example" }).warnings, []);
});

/** The README's example file: cn, us and i18n on bytedance.net, eu on tiktok-eu.org. */
function exampleFile(optIn?: string) {
  const text = Deno.readTextFileSync(
    new URL("../../examples/regions.example.json", import.meta.url),
  );
  const file = JSON.parse(text) as { regions: Record<string, string>[] };
  if (optIn) file.regions.find((r) => r.name === "eu")!.credential = optIn;
  return file;
}

function credentialsWith(env: Env, optIn?: string): Record<string, string | undefined> {
  const config = serveWithFiles(["--config", "regions.json"], env, {
    "regions.json": exampleFile(optIn),
  });
  return Object.fromEntries(config.regions.map((r) => [r.name, r.credential?.source]));
}

Deno.test("the unsuffixed CAS_SESSION and SERVICE_ACCOUNT_SECRET go only to the default auth URL's site", () => {
  for (const variable of ["CAS_SESSION", "SERVICE_ACCOUNT_SECRET"] as const) {
    const config = serveWithFiles(["--config", "regions.json"], { [variable]: "c" }, {
      "regions.json": exampleFile(),
    });
    assert.deepEqual(
      config.regions.map((r) => [r.name, r.credential?.source, r.withheld]),
      [
        ["cn", variable, undefined],
        ["us", variable, undefined],
        ["i18n", variable, undefined],
        ["eu", undefined, variable],
      ],
    );
  }
});

Deno.test("a region on another site signs in with its own variable, or the shared one it opts in to", () => {
  assert.equal(credentialsWith({ CAS_SESSION: "c", CAS_SESSION_eu: "e" }).eu, "CAS_SESSION_eu");
  assert.equal(
    credentialsWith({ CAS_SESSION: "c", SERVICE_ACCOUNT_SECRET_eu: "e" }).eu,
    "SERVICE_ACCOUNT_SECRET_eu",
  );
  assert.equal(credentialsWith({ CAS_SESSION: "c" }, "CAS_SESSION").eu, "CAS_SESSION");
  // Opting in to one shared variable does not let the other through.
  assert.equal(
    credentialsWith({ SERVICE_ACCOUNT_SECRET: "s", CAS_SESSION: "c" }, "CAS_SESSION").eu,
    "CAS_SESSION",
  );
  assert.equal(credentialsWith({ SERVICE_ACCOUNT_SECRET: "s" }, "CAS_SESSION").eu, undefined);
});

Deno.test("a config file's credential names a shared variable, never holds a value", () => {
  const error = configFileError({ "regions.json": exampleFile(SENTINEL_COOKIE) });
  assert.match(
    error.message,
    /regions\[3\]\.credential: expected the name CAS_SESSION or SERVICE_ACCOUNT_SECRET/,
  );
  assert.ok(!error.message.includes(SENTINEL_COOKIE), error.message);
});

Deno.test("a placeholder from the docs in a credential variable is refused in one line, naming it", () => {
  const placeholders = [
    ["CAS_SESSION", "paste-the-cookie-value-here"],
    ["CAS_SESSION", "your_cookie_value_here"],
    ["CAS_SESSION", "'paste-the-cookie-value-here'"],
    ["CAS_SESSION", "<value>"],
    ["CAS_SESSION", "${input:cas-session}"],
    ["CAS_SESSION_us", "paste-the-us-cookie"],
    ["SERVICE_ACCOUNT_SECRET_us", "paste-the-secret"],
    ["SERVICE_ACCOUNT_SECRET", "Bearer paste-the-secret"],
  ] as const;
  for (const [name, value] of placeholders) {
    const error = configError(["--region", "us=https://us.example"], { [name]: value });
    assert.match(error.message, new RegExp(`^${name} still holds a placeholder from the docs: `));
    assert.ok(!error.message.includes("\n"), error.message);
  }
  // Demo mode sends no credential: the README's configs start it with the placeholder.
  assert.equal(serve(["--demo"], { CAS_SESSION: "paste-the-cookie-value-here" }).demo, true);
  assert.equal(credentialOf(serve([], { CAS_SESSION: "0123abcdef-here" })), "0123abcdef-here");
});

Deno.test("--help lists every option with its variable and default, from the option table", () => {
  for (const [key, option] of OPTION_ENTRIES) {
    const line = USAGE.split("\n").findIndex((l) => l.startsWith(`  ${flagOf(key)}`));
    assert.ok(line > 0, `--help lacks ${flagOf(key)}`);
    const block = USAGE.split("\n").slice(line, line + 4).join("\n");
    if (option.env) assert.match(block, new RegExp(`env ${option.env}`), flagOf(key));
  }
  assert.match(
    USAGE,
    /--port N {13}HTTP port, 0 picks a free one\n {23}env MCP_PORT, default 8123/,
  );
});

Deno.test("a variable of an option given by its flag is not read, as if it were unset", () => {
  assert.equal(serve(["--port", "9000"], { MCP_PORT: "abc" }).port, 9000);
  assert.equal(serve(["--demo"], { DEMO: "maybe" }).demo, true);
});

Deno.test("a config file value under a flag is still checked: it applies once the flag goes", () => {
  const error = configFileError({ "regions.json": { port: "9000" } });
  assert.match(error.message, /port: expected a whole number from 0 to 65535/);
  assert.throws(
    () =>
      serveWithFiles(["--config", "regions.json", "--port", "9000"], {}, {
        "regions.json": { port: "9000" },
      }),
    /port: expected a whole number/,
  );
});

Deno.test("switches read 1/0, true/false, yes/no, on/off from the environment and booleans from the file", () => {
  assert.equal(serve([], { MCP_STATELESS: "yes" }).stateless, true);
  assert.equal(serve([], { MCP_STATELESS: "Off" }).stateless, false);
  assert.match(
    configError([], { MCP_STATELESS: "sure" }).message,
    /^Invalid MCP_STATELESS "sure": expected true or false \(or 1 or 0\)$/,
  );
  assert.match(
    configFileError({ "regions.json": { demo: "yes" } }).message,
    /\n {2}demo: expected true or false$/,
  );
});

Deno.test("a bad --allowed-host names --allowed-host and the value", () => {
  assert.match(
    configError(["--allowed-host", "a b"]).message,
    /^Invalid --allowed-host "a b": expected a host name or IP address/,
  );
});

Deno.test("options that are commands or credentials are not keys of the config file", () => {
  const error = configFileError({ "regions.json": { help: true, auth_token: "x", config: "y" } });
  assert.match(error.message, /help: not an option of the config file/);
  assert.match(error.message, /config: not an option of the config file/);
  assert.match(error.message, /auth_token: credentials are not read from the file/);
});

Deno.test("a config file is read up to 1 MiB, and a larger one fails naming the file and the limit", () => {
  const scratch = new URL("../testdata/tmp/", import.meta.url);
  Deno.mkdirSync(scratch, { recursive: true });
  const path = new URL(`config-cap-${crypto.randomUUID()}.json`, scratch).pathname;
  // Valid JSON padded with spaces: only the size can make it fail.
  const padded = (bytes: number) => `{"timeout_ms":2000}`.padEnd(bytes, " ");
  try {
    Deno.writeTextFileSync(path, padded(MAX_CONFIG_FILE_BYTES));
    assert.deepEqual(readConfigFile(path), { timeout_ms: 2000 });
    Deno.writeTextFileSync(path, padded(MAX_CONFIG_FILE_BYTES + 1));
    assert.throws(
      () => readConfigFile(path),
      (error) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
        assert.equal(
          error.message,
          `Config file ${path} is larger than 1 MiB, the limit: check that --config or MCP_CONFIG names the JSON config file`,
        );
        return true;
      },
    );
  } finally {
    Deno.removeSync(path);
  }
});
