/**
 * Builds a real server over test upstreams and connects the SDK's client to
 * it in memory.
 *
 * @module
 */

import { type Config, type Env, parseCommand } from "../src/config/mod.ts";
import { createDemoFetch } from "../src/demo.ts";
import { createDependencies } from "../src/dependencies.ts";
import { createServer } from "../src/server.ts";
import type { Dependencies } from "../src/tools/deps.ts";
import type { Fetch } from "../src/upstream.ts";
import {
  AUTH_URL,
  CN,
  type FakeUpstream,
  type RecordingLogger,
  recordingLogger,
  US,
} from "./fake_upstream.ts";
import { Client, InMemoryTransport } from "./mcp_client.ts";

/** A cookie value that must never show up in any output. */
export const SENTINEL_COOKIE = "SENTINEL-COOKIE-7d41c0ffee";

/** The first message of every MCP session, as a raw JSON-RPC request. */
export const INITIALIZE_REQUEST = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "0" },
  },
} as const;

/** A configuration for the test upstreams, with `extraArgs` and `env` on top. */
export function testConfig(
  extraArgs: string[] = [],
  env: Env = { CAS_SESSION: SENTINEL_COOKIE },
): Config {
  const command = parseCommand([
    "--auth-url",
    AUTH_URL,
    "--region",
    `cn=${CN.baseUrl}`,
    "--region",
    `us=${US.baseUrl}`,
    ...extraArgs,
  ], env);
  if (command.kind !== "serve") throw new Error("testConfig expects a serve command");
  return command.config;
}

/** The demo upstream answering for `config`'s URLs. */
export function demoFetchFor(config: Config, now: () => number = Date.now): Fetch {
  return createDemoFetch({ regions: config.regions, authUrl: config.authUrl, now });
}

/** A connected client, the dependencies behind it, and a way to close both ends. */
export interface Connection {
  readonly client: Client;
  readonly deps: Dependencies;
  close(): Promise<void>;
}

/** Options for {@linkcode connectInMemory}. */
export interface ConnectOptions {
  fetch: Fetch;
  now?: () => number;
  /** Receives every part's log lines; by default they are dropped. */
  logger?: RecordingLogger;
}

/** Connects an SDK client in memory to a server built from `config` over `fetch`. */
export async function connectInMemory(
  config: Config,
  { fetch, now = Date.now, logger }: ConnectOptions,
): Promise<Connection> {
  const deps = createDependencies(config, {
    fetch,
    now,
    logger: () => logger ?? recordingLogger(),
  });
  const server = createServer(deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test-client", version: "0" });
  await client.connect(clientSide);
  return {
    client,
    deps,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/**
 * Runs `test` with a client connected as {@linkcode connectInMemory} does,
 * over a fake upstream or any `fetch`, then closes it. A fake upstream that
 * saw a request it did not expect fails the test.
 */
export async function withConnection(
  config: Config,
  options: ({ upstream: FakeUpstream } | { fetch: Fetch }) & { logger?: RecordingLogger },
  test: (client: Client, deps: Dependencies) => Promise<void>,
): Promise<void> {
  const upstream = "upstream" in options ? options.upstream : undefined;
  const fetch = "upstream" in options ? options.upstream.fetch : options.fetch;
  const connection = await connectInMemory(config, { fetch, logger: options.logger });
  try {
    await test(connection.client, connection.deps);
  } finally {
    await connection.close();
  }
  upstream?.assertNoUnexpected();
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  const [first] = ((result as { content?: unknown[] }).content ?? []) as {
    type: string;
    text?: string;
  }[];
  if (first?.type !== "text" || first.text === undefined) throw new Error("No text content");
  return first.text;
}
