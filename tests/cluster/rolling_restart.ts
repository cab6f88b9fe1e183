/**
 * `deno task test:cluster`: three `--stateless --demo` replicas on 127.0.0.1
 * behind a real HAProxy that health-checks `/ready`, clients calling tools
 * all the time, and a rolling restart (SIGTERM, exit, start again on the same
 * port) of every replica. Passes when no call failed. HAProxy comes from
 * Debian's packages, installed with apt-get when missing; when it cannot be,
 * the run is skipped and says why. Not part of `deno task test` (the file is
 * not a `_test.ts`): it takes about half a minute and needs HAProxy.
 *
 * Last line: `cluster: N passed, N failed` (one check), or `cluster: skipped: <why>`.
 * `--drain-delay N` (default 2) sets the replicas' drain; `--drain-delay 0`
 * shows the calls a restart loses without one.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Client, StreamableHTTPClientTransport } from "../mcp_client.ts";
import { serverArgs, type ServerProcess, startAnnouncingProcess } from "../server_process.ts";

const REPLICAS = 3;
const PLAIN_CLIENTS = 6;
const SDK_CLIENTS = 2;
// HAProxy checks /ready every CHECK_INTERVAL_MS and takes a replica out after FALL failures:
// the drain must outlast FALL intervals plus a check's own time.
const CHECK_INTERVAL_MS = 200;
const FALL = 2;
const RISE = 2;
// Everything is stopped after this long, whatever happened.
const RUN_DEADLINE_MS = 120_000;
const SETTLE_MS = 1_500;
// A replaced pod comes back at another address seconds later; HAProxy retries a refused
// connection on the same address for a few seconds, so a quicker restart would hide lost calls.
const REPLACEMENT_GAP_MS = 4_000;
const KEYWORDS = ["oec.live.promotion", "tiktok.live.gift", "toutiao.user.info", "live"];
const TMP_DIR = new URL("../testdata/tmp/", import.meta.url).pathname;

/** What the clients saw during the run. */
interface Tally {
  calls: number;
  failed: number;
  reasons: Map<string, number>;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { "drain-delay": { type: "string" } } });
  const drainSeconds = Number(values["drain-delay"] ?? "2");
  const skipped = await ensureHaproxy();
  if (skipped) {
    console.log(`cluster: skipped: ${skipped}`);
    return 0;
  }
  const deadline = setTimeout(() => {
    console.log("cluster: 0 passed, 1 failed (the run took over two minutes)");
    Deno.exit(1);
  }, RUN_DEADLINE_MS);
  const ports = await freePorts(REPLICAS + 1);
  const replicaPorts = ports.slice(0, REPLICAS);
  const replicas: (ServerProcess | undefined)[] = [];
  let haproxy: Deno.ChildProcess | undefined;
  const tally: Tally = { calls: 0, failed: 0, reasons: new Map() };
  const running = { value: true };
  let clients: Promise<void>[] = [];
  try {
    for (const port of replicaPorts) replicas.push(await startReplica(port, drainSeconds));
    const frontend = `http://127.0.0.1:${ports[REPLICAS]}`;
    haproxy = await startHaproxy(ports[REPLICAS]!, replicaPorts);
    await waitForStatus(`${frontend}/ready`, 200);
    await delay(RISE * CHECK_INTERVAL_MS * 2);

    clients = [
      ...Array.from({ length: PLAIN_CLIENTS }, (_, i) => plainClient(frontend, i, running, tally)),
      ...Array.from({ length: SDK_CLIENTS }, (_, i) => sdkClient(frontend, i, running, tally)),
    ];
    await delay(SETTLE_MS);
    for (const [index, port] of replicaPorts.entries()) {
      const started = Date.now();
      const status = await replicas[index]!.stop({ killAfterMs: 30_000 });
      replicas[index] = undefined;
      const stoppedIn = Date.now() - started;
      await delay(REPLACEMENT_GAP_MS);
      replicas[index] = await startReplica(port, drainSeconds);
      // Back in HAProxy's rotation before the next replica goes.
      await waitForStatus(`http://127.0.0.1:${port}/ready`, 200);
      await delay(RISE * CHECK_INTERVAL_MS * 3);
      console.error(
        `cluster: replica ${index} exited with ${status.code} after ${stoppedIn} ms and is back; ${tally.calls} calls, ${tally.failed} failed so far`,
      );
      if (status.code !== 0) await fail(tally, `replica ${index} exited with ${status.code}`);
    }
    await delay(SETTLE_MS);
  } catch (error) {
    await fail(tally, `the run broke: ${error instanceof Error ? error.message : error}`);
  } finally {
    running.value = false;
    await Promise.all(clients);
    // The load balancer first, so that it does not report the replicas going as an outage.
    if (haproxy) {
      haproxy.kill("SIGTERM");
      await haproxy.status;
    }
    await Promise.all(replicas.map((replica) => replica?.stop({ killAfterMs: 5_000 })));
    clearTimeout(deadline);
  }
  return report(tally, drainSeconds);
}

function report(tally: Tally, drainSeconds: number): number {
  console.log(
    `cluster: ${tally.calls} tool calls through HAProxy across a rolling restart of ${REPLICAS} replicas (drain ${drainSeconds} s), ${tally.failed} failed`,
  );
  for (const [reason, count] of tally.reasons) console.log(`cluster:   ${count} x ${reason}`);
  const ok = tally.failed === 0 && tally.calls > 0;
  console.log(`cluster: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
  return ok ? 0 : 1;
}

// Counts a failure; the caller waits a moment before its next call, so that a client whose
// calls fail at once does not starve the timers of the run.
function fail(tally: Tally, reason: string): Promise<void> {
  tally.failed++;
  tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
  return delay(20);
}

// Returns why the run is skipped, or undefined once `haproxy` runs.
async function ensureHaproxy(): Promise<string | undefined> {
  if (await succeeds("haproxy", ["-v"])) return undefined;
  if (Deno.uid() !== 0) return "haproxy is not installed and installing it needs root";
  if (!await succeeds("apt-get", ["--version"])) {
    return "haproxy is not installed and there is no apt-get";
  }
  console.error("cluster: installing haproxy with apt-get");
  const installed = await succeeds("apt-get", ["update"], { show: true }) &&
    await succeeds("apt-get", ["install", "-y", "haproxy"], { show: true });
  if (!installed) return "haproxy is not installed and apt-get could not install it (see above)";
  return await succeeds("haproxy", ["-v"]) ? undefined : "haproxy was installed but does not run";
}

async function succeeds(command: string, args: string[], { show = false } = {}) {
  try {
    const { success } = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: show ? "inherit" : "null",
      stderr: show ? "inherit" : "null",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function freePorts(count: number): Promise<number[]> {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return await Promise.resolve(ports);
}

function startReplica(port: number, drainSeconds: number): Promise<ServerProcess> {
  return startAnnouncingProcess(
    serverArgs([
      "--demo",
      "--stateless",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--drain-delay",
      String(drainSeconds),
      "--log-level",
      "WARNING",
    ]),
    {},
  );
}

async function startHaproxy(port: number, replicaPorts: number[]): Promise<Deno.ChildProcess> {
  const config = await Deno.makeTempFile({ dir: TMP_DIR, suffix: ".cfg" });
  await Deno.writeTextFile(config, haproxyConfig(port, replicaPorts));
  const child = new Deno.Command("haproxy", {
    args: ["-db", "-f", config],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  child.status.finally(() => Deno.remove(config).catch(() => {}));
  return child;
}

/** The HAProxy configuration: round robin over the replicas, each checked on /ready. */
function haproxyConfig(port: number, replicaPorts: number[]): string {
  return [
    "global",
    "  maxconn 1000",
    "defaults",
    "  mode http",
    "  timeout connect 1s",
    "  timeout client 30s",
    "  timeout server 30s",
    "frontend mcp",
    `  bind 127.0.0.1:${port}`,
    "  default_backend replicas",
    "backend replicas",
    "  balance roundrobin",
    "  option httpchk",
    "  http-check send meth GET uri /ready ver HTTP/1.1 hdr Host 127.0.0.1",
    "  http-check expect status 200",
    `  default-server inter ${CHECK_INTERVAL_MS}ms fall ${FALL} rise ${RISE}`,
    ...replicaPorts.map((p, i) => `  server replica${i} 127.0.0.1:${p} check`),
    "",
  ].join("\n");
}

async function waitForStatus(url: string, status: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === status) return;
    } catch {
      // Not listening yet.
    }
    await delay(50);
  }
  throw new Error(`${url} did not answer ${status} within 30 s`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One client calling tools in a loop with the original's plain JSON call.
async function plainClient(
  frontend: string,
  index: number,
  running: { value: boolean },
  tally: Tally,
): Promise<void> {
  for (let n = index; running.value; n++) {
    tally.calls++;
    try {
      const response = await fetch(`${frontend}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          tool: "search_psm_service",
          arguments: { keyword: KEYWORDS[n % KEYWORDS.length] },
        }),
      });
      const text = await response.text();
      if (!response.ok) await fail(tally, `HTTP ${response.status}: ${text.slice(0, 120)}`);
      else if (JSON.parse(text).isError) await fail(tally, `tool error: ${text.slice(0, 120)}`);
    } catch (error) {
      await fail(tally, `request failed: ${error instanceof Error ? error.message : error}`);
    }
  }
}

// One SDK client over streamable HTTP; stateless replicas let any of them answer any request.
async function sdkClient(
  frontend: string,
  index: number,
  running: { value: boolean },
  tally: Tally,
): Promise<void> {
  const client = new Client({ name: `cluster-${index}`, version: "0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`${frontend}/mcp`)));
  } catch (error) {
    await fail(tally, `connect failed: ${error instanceof Error ? error.message : error}`);
    return;
  }
  for (let n = index; running.value; n++) {
    tally.calls++;
    try {
      const result = await client.callTool({
        name: n % 2 ? "list_available_regions" : "search_multiple_services",
        arguments: n % 2 ? {} : { keywords: KEYWORDS.join(",") },
      });
      if (result.isError) await fail(tally, `tool error: ${JSON.stringify(result).slice(0, 120)}`);
    } catch (error) {
      await fail(tally, `SDK call failed: ${error instanceof Error ? error.message : error}`);
    }
  }
  await client.close();
}

if (import.meta.main) Deno.exit(await main(Deno.args));
