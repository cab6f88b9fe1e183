/**
 * `deno task bench [--quick]`: the server's performance targets (P1..P7),
 * measured against the real server process and a fake upstream on
 * 127.0.0.1, each reported beside a baseline measured in the same run. Prints
 * the table; a full run also writes it with the machine's details to
 * `bench/RESULTS.md`, while `--quick` leaves the committed results alone.
 * `--only P6` measures the stdio start alone and `--only P5` the cached
 * throughput alone; each only prints its row.
 * `--profile` instead profiles the server under the P5 load and prints where
 * its CPU time goes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SEARCH_PATH } from "../tests/fake_upstream.ts";
import {
  Client,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "../tests/mcp_client.ts";
import {
  cleanEnv,
  runServer,
  serverArgs,
  type ServerProcess,
  startAnnouncingProcess,
  startServer,
} from "../tests/server_process.ts";
import { type BenchUpstream, serveBenchUpstream } from "./fake_upstream.ts";
import { type LoadResult, runLoad, type ToolCall } from "./http_load.ts";
import { inspectorUrl, profileWhile, summariseProfile } from "./cpu_profile.ts";
import {
  machineDetails,
  markdownTable,
  median,
  mib,
  ms,
  percentile,
  ratio,
  replaceGenerated,
  type Row,
  rssOf,
  yesNo,
} from "./report.ts";

/** How much each scenario does, in a quick and a full run. */
const SIZES = {
  quick: {
    latencyCalls: 40,
    earlyReturnCalls: 5,
    batchRuns: 1,
    loadMs: 500,
    loadRounds: 4,
    stdioRounds: 4,
    memoryWarmupCalls: 2_000,
    memoryCalls: 10_000,
  },
  full: {
    latencyCalls: 300,
    earlyReturnCalls: 15,
    batchRuns: 3,
    loadMs: 1_000,
    loadRounds: 12,
    stdioRounds: 10,
    memoryWarmupCalls: 10_000,
    memoryCalls: 100_000,
  },
} as const;
type Sizes = (typeof SIZES)[keyof typeof SIZES];

const CLIENTS = 16;
const PROFILE_MS = 5_000;
const CONCURRENT = 100;
const LATENCY_MS = 50;
const FAST_MS = 20;
const SLOW_MS = 500;
const BATCH_LIMIT = 8;
const DUMMY_SESSION = { CAS_SESSION: "bench-dummy-session" };
const EXACT_PSM = "oec.affiliate.monitor";
const ECHO_SERVER = new URL("./echo_server.ts", import.meta.url).pathname;
const SDK_STDIO = new URL("./sdk_stdio.ts", import.meta.url).pathname;
const RESULTS = new URL("./RESULTS.md", import.meta.url);

/** What the server under test offers, read from its `--help` and `tools/list`. */
interface Features {
  readonly cacheTtl: boolean;
  readonly concurrency: boolean;
  readonly stateless: boolean;
  readonly waitAllRegions: boolean;
}

/** Everything the scenarios share: processes, upstream, sizes, what to stop at the end. */
interface Bench {
  readonly sizes: Sizes;
  readonly upstream: BenchUpstream;
  readonly echo: ServerProcess;
  readonly features: Features;
  /** A client of the echo server, for the baselines of the latency scenarios. */
  readonly echoClient: Client;
  /** A `relay` call making the echo server search region cn of the fake upstream once. */
  readonly relay: ToolCall;
}

/** What a `deno task bench` command line asks for. */
export interface BenchRun {
  readonly mode: keyof typeof SIZES;
  /** Profile the server under the P5 load instead of measuring the targets. */
  readonly profile: boolean;
  /** The one scenario to measure and print, if any. */
  readonly only?: "P5" | "P6";
  /** Whether the table replaces the committed one in `bench/RESULTS.md`. */
  readonly writesResults: boolean;
}

/**
 * Returns what `args` ask of the benchmark. Only a full run of every
 * scenario writes `bench/RESULTS.md`: a quick run's figures are too rough to
 * replace the committed ones.
 */
export function parseBenchArgs(args: readonly string[]): BenchRun {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      only: { type: "string" },
    },
  });
  const { quick, profile, only } = values;
  if (only !== undefined && only !== "P5" && only !== "P6") {
    throw new Error(`--only knows P5 and P6, not ${only}`);
  }
  return {
    mode: quick ? "quick" : "full",
    profile,
    only,
    writesResults: !quick && !profile && only === undefined,
  };
}

async function main(args: string[]): Promise<number> {
  const run = parseBenchArgs(args);
  const { mode } = run;
  const sizes = SIZES[mode];
  const began = performance.now();
  const upstream = serveBenchUpstream();
  const stops: (() => Promise<unknown>)[] = [() => upstream.close()];
  const rows: Row[] = [];
  try {
    if (run.profile) {
      console.log(await profileThroughput(upstream, { stops }));
      return 0;
    }
    if (run.only === "P6") {
      console.log(markdownTable([await p6StdioStart({ upstream, sizes })]));
      return 0;
    }
    const echo = await startAnnouncingProcess(["run", "--allow-net=127.0.0.1", ECHO_SERVER], {});
    stops.push(() => echo.stop());
    const started = (extra: string[]) => startBenchServer(upstream, extra, stops);
    const features = await detectFeatures(upstream);
    progress(`server features: ${JSON.stringify(features)}`);
    const echoClient = await connectHttp(echo.url);
    stops.push(() => echoClient.close());
    const relay = await relayCall(upstream, "cn");
    const bench: Bench = { sizes, upstream, echo, features, echoClient, relay };
    if (run.only === "P5") {
      console.log(markdownTable([await p5Throughput(bench, await started([]))]));
      return 0;
    }

    const uncached = await started(features.cacheTtl ? ["--cache-ttl", "0"] : []);
    const p1 = await p1Latency(bench, uncached);
    rows.push(p1.row);
    rows.push(await p2EarlyReturn(bench, uncached));
    rows.push(await p3Batch(bench, uncached, p1.relayMs));
    rows.push(await p4SingleFlight(bench, uncached));
    await uncached.stop();

    upstream.resetCounts();
    const cached = await started([]);
    const idleRss = await idleRssOf(cached.pid);
    const echoIdleRss = await idleRssOf(echo.pid);
    rows.push(await p4FirstCallsAuth(bench, cached));
    const p5 = await p5Throughput(bench, cached);
    const p7 = await p7Memory(bench, cached, { idleRss, echoIdleRss });
    await cached.stop();
    rows.push(p5, await p5Stateless(bench, started), await p6StdioStart(bench), ...p7);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
  const table = markdownTable(rows);
  console.log(table);
  if (!run.writesResults) {
    progress("a quick run leaves bench/RESULTS.md as committed: run deno task bench to replace it");
    return 0;
  }
  const generated = `${await machineDetails(mode)}\n\n${table}\n`;
  const previous = await Deno.readTextFile(RESULTS).catch(() => "");
  await Deno.writeTextFile(RESULTS, replaceGenerated(previous, generated));
  progress(`wrote bench/RESULTS.md in ${((performance.now() - began) / 1000).toFixed(0)} s`);
  return 0;
}

/**
 * Profiles the server under the P5 load (a search repeated by 16 clients)
 * through the inspector, and returns where its CPU time went.
 */
async function profileThroughput(
  upstream: BenchUpstream,
  { stops }: { stops: (() => Promise<unknown>)[] },
): Promise<string> {
  const [run, ...rest] = serverArgs([...upstream.args, "--host", "127.0.0.1", "--port", "0"]);
  const server = await startAnnouncingProcess(
    [run!, "--inspect=127.0.0.1:0", ...rest],
    DUMMY_SESSION,
  );
  stops.push(() => server.stop());
  const wsUrl = inspectorUrl(server.output().stderr);
  if (!wsUrl) throw new Error("The server printed no inspector URL: check deno's --inspect");
  const call = search(EXACT_PSM);
  await runLoad(server.url, call, { clients: CLIENTS, limit: { calls: 500 } });
  let load: LoadResult | undefined;
  const profile = await profileWhile(wsUrl, async () => {
    load = await runLoad(server.url, call, {
      clients: CLIENTS,
      limit: { durationMs: PROFILE_MS },
    });
  });
  const rate = load ? `${load.callsPerSecond.toFixed(0)} calls/s while profiled` : "";
  return `search_psm_service, ${CLIENTS} clients, ${rate}\n${summariseProfile(profile)}`;
}

// ---- processes and features ---------------------------------------------------------------

async function startBenchServer(
  upstream: BenchUpstream,
  extra: string[],
  stops: (() => Promise<unknown>)[],
): Promise<ServerProcess> {
  const server = await startServer([...upstream.args, ...extra], DUMMY_SESSION);
  stops.push(() => server.stop());
  return server;
}

async function detectFeatures(upstream: BenchUpstream): Promise<Features> {
  const { stdout } = await runServer(["--help"]);
  const stdio = await connectStdio(serverArgs(["--stdio", ...upstream.args]));
  try {
    const { tools } = await stdio.listTools();
    const search = tools.find((tool) => tool.name === "search_psm_service");
    return {
      cacheTtl: stdout.includes("--cache-ttl"),
      concurrency: stdout.includes("--concurrency"),
      stateless: stdout.includes("--stateless"),
      waitAllRegions: "wait_all_regions" in (search?.inputSchema.properties ?? {}),
    };
  } finally {
    await stdio.close();
  }
}

// ---- clients ------------------------------------------------------------------------------

async function connectHttp(url: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function connectStdio(args: string[]): Promise<Client> {
  const client = new Client({ name: "bench", version: "0" });
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args,
    env: cleanEnv(DUMMY_SESSION),
    stderr: "ignore",
  });
  await client.connect(transport);
  return client;
}

/** Calls `call` `count` times in a row and returns each round trip in ms; throws on an error result. */
async function timeCalls(client: Client, call: ToolCall, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const begin = performance.now();
    const result = await client.callTool({ name: call.name, arguments: { ...call.arguments } });
    times.push(performance.now() - begin);
    if (result.isError) throw new Error(`${call.name} failed: ${JSON.stringify(result.content)}`);
  }
  return times;
}

/** A client and the call it repeats. */
interface Caller {
  readonly client: Client;
  readonly call: ToolCall;
}

/**
 * Times `count` calls of each caller, alternating in blocks of ten so that
 * the machine's ups and downs fall on both alike; returns both lists of ms.
 */
async function timeAlternately(a: Caller, b: Caller, count: number): Promise<number[][]> {
  const times: number[][] = [[], []];
  for (let done = 0; done < count; done += 10) {
    const block = Math.min(10, count - done);
    times[0]!.push(...await timeCalls(a.client, a.call, block));
    times[1]!.push(...await timeCalls(b.client, b.call, block));
  }
  return times;
}

/** A `relay` call that makes the echo server search `region` of the fake upstream once. */
async function relayCall(upstream: BenchUpstream, region: string): Promise<ToolCall> {
  const auth = await fetch(upstream.authUrl, { headers: { cookie: "CAS_SESSION=bench" } });
  await auth.body?.cancel();
  const base = upstream.regions.find((r) => r.name === region)?.baseUrl;
  return {
    name: "relay",
    arguments: {
      url: `${base}${SEARCH_PATH}?keyword=${EXACT_PSM}`,
      jwt: auth.headers.get("x-jwt-token") ?? "",
    },
  };
}

function search(keyword: string): ToolCall {
  return { name: "search_psm_service", arguments: { keyword } };
}

// ---- scenarios ----------------------------------------------------------------------------

async function p1Latency(
  bench: Bench,
  server: ServerProcess,
): Promise<{ row: Row; relayMs: number }> {
  const { upstream, sizes, echoClient, relay } = bench;
  upstream.setLatency({ cn: LATENCY_MS, us: LATENCY_MS });
  const client = await connectHttp(server.url);
  try {
    const echo = { client: echoClient, call: { name: "echo", arguments: { text: EXACT_PSM } } };
    const ours = { client, call: search(EXACT_PSM) };
    const [echoTimes] = await timeAlternately(echo, ours, 20);
    await timeAlternately({ client: echoClient, call: relay }, ours, 10);
    upstream.resetCounts();
    const [baseline, times] = await timeAlternately(
      { client: echoClient, call: relay },
      ours,
      sizes.latencyCalls,
    );
    const reached = upstream.counts().searches;
    // The relay baseline searched cn once per call too. Most calls reaching both regions means
    // no cache answered them (single flight may still share a request now and then).
    const sent = { cn: (reached.cn ?? 0) - sizes.latencyCalls, us: reached.us ?? 0 };
    const uncached = Math.min(sent.cn, sent.us) > sizes.latencyCalls / 2;
    const rtt = median(baseline!);
    const p50 = median(times!);
    const p99 = percentile(times!, 99);
    const row = {
      id: "P1",
      scenario: `search_psm_service, both regions ${LATENCY_MS} ms, cache off, ${
        times!.length
      } calls`,
      target: "median <= RTT + 1 ms; p99 <= RTT + 10 ms",
      measured: `median ${ms(p50)}, p99 ${ms(p99)}; RTT ${ms(rtt)} (p99 ${
        ms(percentile(baseline!, 99))
      }): the echo server relaying one upstream request; echo alone ${ms(median(echoTimes!))}`,
      ratio: `${ratio(p50, rtt)}; +${ms(p50 - rtt)}`,
      met: uncached
        ? yesNo(p50 <= rtt + 1 && p99 <= rtt + 10)
        : `not measurable yet: calls were cached (cn ${sent.cn}, us ${sent.us} requests)`,
    };
    return { row, relayMs: rtt };
  } finally {
    await client.close();
  }
}

async function p2EarlyReturn(bench: Bench, server: ServerProcess): Promise<Row> {
  const { upstream, sizes, echoClient, relay, features } = bench;
  upstream.setLatency({ cn: FAST_MS, us: SLOW_MS });
  const client = await connectHttp(server.url);
  try {
    await timeCalls(client, search(EXACT_PSM), 1);
    const [baseline, times] = await timeAlternately(
      { client: echoClient, call: relay },
      { client, call: search(EXACT_PSM) },
      sizes.earlyReturnCalls,
    );
    const p50 = median(times!);
    const floor = median(baseline!);
    return {
      id: "P2",
      scenario: `exact match in a ${FAST_MS} ms region, other region ${SLOW_MS} ms, ${
        times!.length
      } calls`,
      target: "median <= 30 ms",
      measured: `median ${ms(p50)}${features.waitAllRegions ? "" : " (no wait_all_regions yet)"}`,
      ratio: `${ratio(p50, floor)} of a relay to the ${FAST_MS} ms region (${ms(floor)})`,
      met: yesNo(p50 <= 30),
    };
  } finally {
    await client.close();
  }
}

async function p3Batch(bench: Bench, server: ServerProcess, relayMs: number): Promise<Row> {
  const { upstream, sizes } = bench;
  upstream.setLatency({ cn: LATENCY_MS, us: LATENCY_MS });
  const client = await connectHttp(server.url);
  try {
    const times: number[] = [];
    for (let run = 0; run < sizes.batchRuns; run++) {
      const keywords = Array.from({ length: 100 }, (_, i) => `bench.run${run}.kw${i}`);
      const batch = {
        name: "search_multiple_services",
        arguments: { keywords: keywords.join(",") },
      };
      times.push(...await timeCalls(client, batch, 1));
    }
    const p50 = median(times);
    const floor = Math.ceil(100 / BATCH_LIMIT) * relayMs;
    return {
      id: "P3",
      scenario: `search_multiple_services, 100 distinct keywords, ${LATENCY_MS} ms`,
      target: "<= 1 s (serial: 10 s)",
      measured: `median ${ms(p50)} of ${times.length}`,
      ratio: `${ratio(p50, floor)} of ${Math.ceil(100 / BATCH_LIMIT)} relay round trips`,
      met: yesNo(p50 <= 1000),
    };
  } finally {
    await client.close();
  }
}

async function p4SingleFlight(bench: Bench, server: ServerProcess): Promise<Row> {
  const { upstream } = bench;
  upstream.setLatency({ cn: LATENCY_MS, us: LATENCY_MS });
  const client = await connectHttp(server.url);
  try {
    await timeCalls(client, search(EXACT_PSM), 1);
    upstream.resetCounts();
    const call = search("oec.live.promotion");
    await Promise.all(Array.from({ length: CONCURRENT }, () => timeCalls(client, call, 1)));
    const { cn = 0, us = 0 } = upstream.counts().searches;
    return {
      id: "P4a",
      scenario: `${CONCURRENT} concurrent identical searches`,
      target: "1 request per region",
      measured: `cn ${cn}, us ${us} requests`,
      ratio: `${Math.max(cn, us).toFixed(0)}x`,
      met: yesNo(cn <= 1 && us <= 1),
    };
  } finally {
    await client.close();
  }
}

async function p4FirstCallsAuth(bench: Bench, server: ServerProcess): Promise<Row> {
  const { upstream } = bench;
  upstream.setLatency({ cn: LATENCY_MS, us: LATENCY_MS });
  const client = await connectHttp(server.url);
  try {
    await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => timeCalls(client, search(`bench.first${i}`), 1)),
    );
    const { auth } = upstream.counts();
    return {
      id: "P4b",
      scenario: `${CONCURRENT} concurrent first calls of a fresh server`,
      target: "1 auth request",
      measured: `${auth} auth requests`,
      ratio: `${auth}x`,
      met: yesNo(auth <= 1),
    };
  } finally {
    await client.close();
  }
}

async function p5Throughput(
  bench: Bench,
  server: ServerProcess,
  { stateless = false } = {},
): Promise<Row> {
  const { upstream, echo, sizes, features } = bench;
  // Without a cache every call goes upstream; at 0 ms the figure still shows the server's own cost.
  upstream.setLatency(features.cacheTtl ? { cn: LATENCY_MS, us: LATENCY_MS } : {});
  const call = search(EXACT_PSM);
  const echoCall = { name: "echo", arguments: { text: EXACT_PSM } };
  const limit = { durationMs: sizes.loadMs };
  await runLoad(server.url, call, { clients: CLIENTS, limit: { calls: 200 } });
  await runLoad(echo.url, echoCall, { clients: CLIENTS, limit: { calls: 200 } });
  upstream.resetCounts();
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  let failures = 0;
  // Short alternating rounds, each compared with its neighbour, so that other load on the
  // machine falls on both sides alike.
  for (let round = 0; round < sizes.loadRounds; round++) {
    const mine = await runLoad(server.url, call, { clients: CLIENTS, limit });
    const baseline = await runLoad(echo.url, echoCall, { clients: CLIENTS, limit });
    ours.push(mine.callsPerSecond);
    theirs.push(baseline.callsPerSecond);
    ratios.push(mine.callsPerSecond / baseline.callsPerSecond);
    failures += mine.failures + baseline.failures;
  }
  const mine = median(ours);
  const baseline = median(theirs);
  const paired = median(ratios);
  const { cn = 0, us = 0 } = upstream.counts().searches;
  return {
    id: stateless ? "P5s" : "P5",
    scenario: `tools/call over HTTP${
      stateless ? " with --stateless" : ""
    }, cache hit, ${CLIENTS} concurrent clients`,
    target: `>= 1.0x the minimal SDK echo server${stateless ? " (stateful)" : ""}`,
    measured: `median ${mine.toFixed(0)} calls/s vs echo ${baseline.toFixed(0)} calls/s` +
      ` (${ratios.length} alternating rounds of ${sizes.loadMs} ms)` +
      `; ${cn + us} upstream requests${failures ? `, ${failures} failed calls` : ""}` +
      (features.cacheTtl ? "" : " (uncached, upstream at 0 ms)"),
    ratio: `${paired.toFixed(2)}x`,
    met: features.cacheTtl
      ? yesNo(paired >= 1 && failures === 0)
      : "not measurable yet: --cache-ttl missing (no result cache)",
  };
}

async function p5Stateless(
  bench: Bench,
  started: (extra: string[]) => Promise<ServerProcess>,
): Promise<Row> {
  if (!bench.features.stateless) {
    return {
      id: "P5s",
      scenario: "tools/call over HTTP with --stateless",
      target: "as P5",
      measured: "-",
      ratio: "-",
      met: "not measurable yet: --stateless missing",
    };
  }
  const server = await started(["--stateless"]);
  try {
    return await p5Throughput(bench, server, { stateless: true });
  } finally {
    await server.stop();
  }
}

async function p6StdioStart(
  { upstream, sizes }: { upstream: BenchUpstream; sizes: Sizes },
): Promise<Row> {
  const ours: StdioStart[] = [];
  const sdk: StdioStart[] = [];
  for (let round = 0; round < sizes.stdioRounds; round++) {
    ours.push(await timeStdioStart(serverArgs(["--stdio", ...upstream.args])));
    sdk.push(await timeStdioStart(["run", SDK_STDIO]));
  }
  // Judged on the answer's arrival: what the SDK client does after it (compiling a validator
  // for each tool's output schema) is the client's time, which no server can shorten.
  const arrived = median(ours.map((start) => start.answered));
  const baseline = median(sdk.map((start) => start.answered));
  const paired = median(ours.map((start, i) => start.answered / sdk[i]!.answered));
  return {
    id: "P6",
    scenario: `stdio: process start to first tools/list answer, ${ours.length} starts`,
    target: "<= 1.2x a minimal SDK stdio server with the same four tools (stretch 0.8x)",
    measured: `the answer reached the client at median ${ms(arrived)} vs SDK server ` +
      `${ms(baseline)}; listTools resolved at ${ms(median(ours.map((s) => s.listed)))} vs ` +
      `${ms(median(sdk.map((s) => s.listed)))}`,
    ratio: `${paired.toFixed(2)}x`,
    met: yesNo(paired <= 1.2),
  };
}

/** Milliseconds from spawning a server to its `tools/list` answer. */
interface StdioStart {
  /** Until the SDK client's `listTools` resolved. */
  listed: number;
  /** Until the answer's message reached the client, before the client processed it. */
  answered: number;
}

/** Spawns `deno args` and times it until it answered `tools/list`. */
async function timeStdioStart(args: string[]): Promise<StdioStart> {
  const begin = performance.now();
  const client = await connectStdio(args);
  let answered = performance.now() - begin;
  const transport = client.transport;
  const receive = transport?.onmessage;
  if (transport && receive) {
    // The client checks each tool's output schema as it lists them: not the server's time.
    transport.onmessage = (message, extra) => {
      answered = performance.now() - begin;
      receive(message, extra);
    };
  }
  try {
    await client.listTools();
    return { listed: performance.now() - begin, answered };
  } finally {
    await client.close();
  }
}

async function p7Memory(
  bench: Bench,
  server: ServerProcess,
  { idleRss, echoIdleRss }: { idleRss: number; echoIdleRss: number },
): Promise<Row[]> {
  const { upstream, echo, sizes, features } = bench;
  upstream.setLatency(features.cacheTtl ? { cn: LATENCY_MS, us: LATENCY_MS } : {});
  const mine = await rssGrowth(server, search(EXACT_PSM), sizes);
  const baseline = await rssGrowth(echo, { name: "echo", arguments: { text: EXACT_PSM } }, sizes);
  const limit = Math.max(10 * MiB, baseline + 10 * MiB);
  return [{
    id: "P7a",
    scenario: "RSS idle after start",
    target: "<= 80 MiB",
    measured: `${mib(idleRss)} vs echo server ${mib(echoIdleRss)}`,
    ratio: ratio(idleRss, echoIdleRss),
    met: yesNo(idleRss <= 80 * MiB),
  }, {
    id: "P7b",
    scenario:
      `RSS growth over ${sizes.memoryCalls} cached calls after ${sizes.memoryWarmupCalls} ` +
      `warm-up calls, ${CLIENTS} clients`,
    target: "<= 10 MiB, or <= echo server's growth + 10 MiB",
    measured: `${mib(mine)} vs echo server ${mib(baseline)}` +
      (features.cacheTtl ? "" : " (uncached, upstream at 0 ms)"),
    ratio: `${mib(mine - baseline)} over echo`,
    met: features.cacheTtl
      ? yesNo(mine <= limit)
      : "not measurable yet: --cache-ttl missing (no result cache)",
  }];
}

const MiB = 1024 * 1024;

async function rssGrowth(server: ServerProcess, call: ToolCall, sizes: Sizes): Promise<number> {
  await runLoad(server.url, call, { clients: CLIENTS, limit: { calls: sizes.memoryWarmupCalls } });
  const before = await rssOf(server.pid);
  const result = await runLoad(server.url, call, {
    clients: CLIENTS,
    limit: { calls: sizes.memoryCalls },
  });
  if (result.failures > 0) progress(`${result.failures} of ${result.calls} calls failed`);
  return await rssOf(server.pid) - before;
}

async function idleRssOf(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  return await rssOf(pid);
}

function progress(message: string) {
  console.error(`bench: ${message}`);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
