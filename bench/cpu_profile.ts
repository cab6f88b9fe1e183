/**
 * A V8 CPU profile of a process started with `--inspect`, taken over the
 * Chrome DevTools protocol (this Deno has no `--cpu-prof`), and summarised
 * as self time per package and per function.
 *
 * @module
 */

/** A function in a V8 CPU profile. */
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly hitCount?: number;
}

/** A V8 CPU profile, as `Profiler.stop` returns it. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
}

interface DevtoolsReply {
  readonly id?: number;
  readonly result?: { readonly profile?: CpuProfile };
  readonly error?: { readonly message: string };
}

/** Returns the DevTools WebSocket URL a `--inspect` process printed in `stderr`, if any. */
export function inspectorUrl(stderr: string): string | undefined {
  return stderr.match(/Debugger listening on (ws:\/\/\S+)/)?.[1];
}

/** Profiles the process behind `wsUrl` while `work` runs, and returns the profile. */
export async function profileWhile(
  wsUrl: string,
  work: () => Promise<unknown>,
): Promise<CpuProfile> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Could not connect to the inspector at ${wsUrl}`));
  });
  const waiting = new Map<number, (reply: DevtoolsReply) => void>();
  socket.onmessage = (event) => {
    const reply: DevtoolsReply = JSON.parse(event.data);
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  };
  let lastId = 0;
  function send(method: string, params: Record<string, unknown> = {}): Promise<DevtoolsReply> {
    const id = ++lastId;
    socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => waiting.set(id, resolve));
  }
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 250 });
    await send("Profiler.start");
    await work();
    const reply = await send("Profiler.stop");
    if (!reply.result?.profile) throw new Error(`Profiler.stop failed: ${reply.error?.message}`);
    return reply.result.profile;
  } finally {
    socket.close();
  }
}

/**
 * The share of busy samples (idle ones left out) per package and the top
 * `top` functions by self time, as text.
 */
export function summariseProfile(profile: CpuProfile, { top = 25 } = {}): string {
  const isIdle = (node: ProfileNode) => node.callFrame.functionName === "(idle)";
  const busy = profile.nodes.filter((node) => !isIdle(node));
  const total = busy.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const idle = profile.nodes.filter(isIdle).reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of busy) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? functionName : packageOf(url);
    byPackage.set(where, (byPackage.get(where) ?? 0) + hits);
    const name = `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  }
  const share = (hits: number) => `${((100 * hits) / total).toFixed(1).padStart(5)}%`;
  const lines = (map: Map<string, number>, count: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, v]) => `${share(v)}  ${k}`);
  const seconds = ((profile.endTime - profile.startTime) / 1e6).toFixed(1);
  return [
    `${total} busy and ${idle} idle samples over ${seconds} s; self time of the busy ones`,
    "(op_inspector_emit_protocol_event and inspector_network_bridge are the profiler's own cost):",
    "by package:",
    ...lines(byPackage, 12),
    "by function:",
    ...lines(byFunction, top),
  ].join("\n");
}

function packageOf(url: string): string {
  const npm = url.match(/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)/);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:")) return "deno runtime (ext:)";
  if (url.startsWith("file://")) return "this repository";
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^.*registry\.npmjs\.org\//, "npm:").replace(
    /^file:\/\/.*?\/(src|main)/,
    "$1",
  );
}
