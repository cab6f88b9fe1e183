/** The program: parse the configuration, build the dependencies, serve (or check: `doctor`).
 * @module */

import { settledWithin } from "./async.ts";
import {
  type Config,
  ConfigError,
  type EnvReader,
  exposureWarning,
  parseCommand,
  USAGE,
} from "./config/mod.ts";
import { createDemoFetch } from "./demo.ts";
import { formatDoctorReport, runDoctor } from "./doctor.ts";
import type { Listener } from "./http/listen.ts";
import { logger, setupLogging } from "./log.ts";
import { missingEnvPermission, missingNetPermission } from "./permissions.ts";
import { SERVER_NAME, VERSION } from "./about.ts";
import { createDependencies } from "./dependencies.ts";
import { checkReadiness, describeHealth } from "./health.ts";
import { createServer } from "./server.ts";
import { AjvJsonSchemaValidator } from "./mcp_sdk.ts";
import { createInstruments } from "./instruments.ts";
import { createMetricsRegistry, type MetricsRegistry } from "./metrics.ts";
import { stdinIsPipe, stopSignals } from "./platform.ts";
import { createGracefulStop, type GracefulStopOptions, SHUTDOWN_DEADLINE_MS } from "./shutdown.ts";
import { refuseFirstRequest, serveStdio } from "./stdio.ts";
import type { Dependencies } from "./tools/deps.ts";

const REFUSAL_WAIT_MS = 5_000;
const SESSION_SWEEP_MS = 10_000;
const CONNECTIONS_DEADLINE_MS = 1_000;
const LOG_FLUSH_MS = 1_000;

/** Runs the command line and returns the exit status; nothing reaches stdout before it is checked. */
export async function main(args: readonly string[]): Promise<number> {
  const query = (descriptor: Deno.PermissionDescriptor) => Deno.permissions.querySync(descriptor);
  // --help and --version need no permission, so the environment is checked after the flags.
  const noEnv = missingEnvPermission(query);
  let command;
  const env: EnvReader = (name) => {
    if (noEnv) return undefined;
    // A regional variable (CAS_SESSION_cn) that older flag lists leave out: one line, not a
    // NotCapable stack trace or a prompt.
    const denied = missingEnvPermission(query, [name]);
    if (denied) throw new ConfigError(denied);
    return Deno.env.get(name);
  };
  try {
    command = parseCommand(args, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return await fail(error.message, args);
  } finally {
    // Read access exists for the config file alone: once it is read, nothing may read a file.
    Deno.permissions.revokeSync({ name: "read" });
  }
  if (command.kind === "help") console.log(USAGE);
  if (command.kind === "version") console.log(`${SERVER_NAME} ${VERSION}`);
  if (command.kind === "help" || command.kind === "version") return 0;

  const { config } = command;
  const noPermission = noEnv ?? missingNetPermission(config, query);
  if (noPermission) return await fail(noPermission, args);
  const secrets = [...config.secrets, config.authToken].filter((s) => s !== undefined);
  const now = Date.now;
  const fetch = config.demo
    ? createDemoFetch({ regions: config.regions, authUrl: config.authUrl, now })
    : globalThis.fetch;
  if (command.kind === "doctor") {
    // The report says it all: only errors, or everything at --log-level debug, go to stderr.
    const logs = await setupLogging(config.logLevel === "debug" ? "debug" : "error", { secrets });
    const report = await runDoctor(config, { env, fetch, now, logger });
    console.log(command.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    await settledWithin(logs.flush(), LOG_FLUSH_MS);
    return report.ok ? 0 : 1;
  }
  const logs = await setupLogging(config.logLevel, { secrets });
  for (const warning of config.warnings) {
    logger("main").warn(warning);
  }
  // One registry per process: every session, and stdio beside HTTP, count into it.
  const metrics = createMetricsRegistry();
  metrics.gauge(
    "byted_mcp_log_lines_dropped",
    "Log lines dropped since start because standard error was not read fast enough",
    () => [[{}, logs.dropped()]],
  );
  const instruments = createInstruments(metrics);
  const deps = createDependencies(config, { fetch, now, logger, instruments });
  try {
    if (config.transport === "http") return await serveHttp(config, deps, metrics);
    logger("main").info("Serving MCP over stdio{mode}", {
      mode: config.demo ? " (demo catalogue)" : "",
    });
    warnWithoutCredential(deps);
    const stopping = new AbortController();
    stopOnSignals({ drainDelayMs: 0, stop: () => Promise.resolve(stopping.abort()) });
    await serveStdio(createServer(deps), { stop: stopping.signal });
    return 0;
  } finally {
    await settledWithin(logs.flush(), LOG_FLUSH_MS);
  }
}

async function fail(message: string, args: readonly string[]): Promise<number> {
  const line = `${SERVER_NAME}: ${message}`;
  console.error(line);
  // A desktop client shows "Connection closed" and nothing more unless its handshake is answered.
  // It talks MCP over stdin as the server would have served it: `--stdio`, or stdin a pipe.
  if (args[0] === "doctor" || Deno.stdin.isTerminal()) return 2;
  const options = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (options.includes("--stdio") || await stdinIsPipe()) {
    await refuseFirstRequest(line, { timeoutMs: REFUSAL_WAIT_MS });
  }
  return 2;
}

async function serveHttp(config: Config, deps: Dependencies, metrics: MetricsRegistry) {
  // The original server's desktop configs start it with --port and no --stdio, then talk MCP
  // over the pipe: a piped stdin is served beside HTTP, and its end stops only that side.
  let stdio: Promise<void> | undefined;
  const stdioStopping = new AbortController();
  const stopStdio = async () => {
    stdioStopping.abort();
    await stdio;
  };
  if (await stdinIsPipe()) {
    logger("main").info("Serving MCP over stdio too: stdin is a pipe");
    stdio = serveStdio(createServer(deps), { stop: stdioStopping.signal })
      .then(() => logger("main").info("MCP over stdio has ended"));
  }

  const now = Date.now;
  const startedAt = now();
  const log = logger("http");
  // Loaded here, not at start: a stdio start spends nothing on the HTTP side (node:crypto among
  // it), which is what P6 of bench/RESULTS.md measures.
  const { createHttpApp, endpointUrl } = await import("./http/mod.ts");
  const { listen } = await import("./http/listen.ts");
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const app = createHttpApp({
    createServer: () => createServer(deps, { jsonSchemaValidator }),
    createSharedServer: () => createServer(deps, { jsonSchemaValidator, shared: true }),
    health: () => describeHealth(deps, { startedAt, now }),
    ready: () => checkReadiness(deps),
    metrics,
    host: config.host,
    logger: log,
    now,
    authToken: config.authToken,
    allowedOrigins: config.allowedOrigins,
    allowedHosts: config.allowedHosts,
    stateless: config.stateless,
    maxSessions: config.maxSessions,
    maxSessionsPerClient: config.maxSessionsPerClient,
  });
  let server: Listener;
  try {
    server = listen(app.handle, {
      hostname: config.host,
      port: config.port,
      // Logged through the redacting logger, not printed raw by Deno.
      onError: app.onError,
      logger: log,
    });
  } catch (error) {
    if (stdio) {
      logger("main").warn("Not serving HTTP: {reason}; serving MCP over stdio only", {
        reason: describeListenError(error, config),
      });
      warnWithoutCredential(deps);
      stopOnSignals({ drainDelayMs: 0, stop: stopStdio });
      await stdio;
      return 0;
    }
    console.error(`${SERVER_NAME}: ${describeListenError(error, config)}`);
    return 1;
  }
  warnWithoutCredential(deps);
  const exposure = exposureWarning(config);
  if (exposure) log.warn(exposure);
  const sweep = setInterval(() => {
    app.closeIdleSessions().catch((error) =>
      log.error("Closing idle sessions failed: {error}", { error })
    );
  }, SESSION_SWEEP_MS);
  Deno.unrefTimer(sweep);

  const exitStatus = stopOnSignals({
    drainDelayMs: config.drainDelayMs,
    drain: () => app.drain(),
    // New connections stop first; calls in flight get a deadline, then the rest are answered
    // with an error; a client that still holds on is not waited for past a last deadline.
    async stop() {
      clearInterval(sweep);
      const finished = server.shutdown();
      await Promise.all([app.close({ deadlineMs: SHUTDOWN_DEADLINE_MS }), stopStdio()]);
      await settledWithin(finished, CONNECTIONS_DEADLINE_MS);
    },
  });
  // Announced only now, whatever the log level: whoever acts on this line (a supervisor, a test)
  // may stop the server at once, and a signal before the listeners above would kill it.
  const mode = config.demo ? " (demo catalogue, no credentials needed)" : "";
  console.error(
    `${SERVER_NAME} ${VERSION} listening on ${endpointUrl(config.host, server.port)}${mode}`,
  );
  return await exitStatus;
}

/** Stops on the first stop signal as `options` say, at once on a second; returns the status. */
function stopOnSignals(options: Omit<GracefulStopOptions, "exit" | "logger">): Promise<number> {
  const stop = createGracefulStop({ ...options, exit: Deno.exit, logger: logger("main") });
  for (const signal of stopSignals(Deno.build.os)) {
    Deno.addSignalListener(signal, () => stop.onSignal(signal));
  }
  return stop.exitStatus;
}

// Demo mode signs in to its own auth service: every source has a credential there.
function warnWithoutCredential({ auth }: Dependencies) {
  const unconfigured = auth.sources.filter((source) => !source.credential);
  const cookieless = unconfigured.every((source) => !source.withheld);
  if (cookieless && unconfigured.length > 0 && unconfigured.length === auth.sources.length) {
    logger("main").warn(
      "CAS_SESSION is not set: searches will fail until you copy the cookie from the browser into the environment and restart (or use --demo)",
    );
    return;
  }
  for (const { regions, unconfigured: reason } of unconfigured) {
    for (const region of regions) {
      logger("main").warn("Region {region} is skipped, {reason}", { region, reason });
    }
  }
}

function describeListenError(error: unknown, config: Config): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `Port ${config.port} is already in use: stop the other server or pick another with --port`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `Not allowed to listen on ${config.host}:${config.port}: run with --allow-net`;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `Cannot listen on ${config.host}:${config.port} (${detail}): check --host and --port`;
}
