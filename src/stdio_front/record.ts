/**
 * Records what a live SDK server answers, for the stdio front to answer
 * the same before the server is loaded: `deno task generate` writes it to
 * `src/stdio_front/answers.json`, and a test checks that file against it.
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { createDemoFetch } from "../demo.ts";
import {
  InMemoryTransport,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "../mcp_sdk.ts";
import type { Logger } from "../log.ts";
import { createDependencies, createServer } from "../server.ts";
import type { FrontAnswers } from "./answer.ts";

/** Raw JSON-RPC requests to a live server built from a configuration, and its answers. */
export interface LiveServer {
  /** Sends a request and resolves with the whole response, as it would be serialized. */
  request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts a server as `createServer` builds it for `config`, its upstream the demo one. */
export async function startLiveServer(config: Config): Promise<LiveServer> {
  const fetch = createDemoFetch({
    regions: config.regions,
    authUrl: config.authUrl,
    now: Date.now,
  });
  const deps = createDependencies(config, { fetch, now: Date.now, logger: () => silentLogger });
  const server = createServer(deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const waiting = new Map<number, (response: Record<string, unknown>) => void>();
  clientSide.onmessage = (message: JSONRPCMessage) => {
    // As the client would read it off the wire: members left undefined are not there.
    const sent = JSON.parse(JSON.stringify(message));
    if (typeof sent.id === "number") waiting.get(sent.id)?.(sent);
  };
  await server.connect(serverSide);
  await clientSide.start();
  let lastId = 0;
  return {
    request(method, params) {
      const id = ++lastId;
      const answered = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
      void clientSide.send({ jsonrpc: "2.0", id, method, ...(params && { params }) });
      return answered;
    },
    async close() {
      await clientSide.close();
      await server.close();
    },
  };
}

/** The `initialize` params of a plain client asking for `protocolVersion`. */
export function initializeParams(protocolVersion: string): Record<string, unknown> {
  return { protocolVersion, capabilities: {}, clientInfo: { name: "record", version: "0" } };
}

/** Records the front's answers from a live server built from `config`. */
export async function recordAnswers(config: Config): Promise<FrontAnswers> {
  const live = await startLiveServer(config);
  try {
    const initialize = await live.request("initialize", initializeParams(LATEST_PROTOCOL_VERSION));
    const toolsList = await live.request("tools/list");
    return {
      latestProtocolVersion: LATEST_PROTOCOL_VERSION,
      supportedProtocolVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
      initialize: resultOf(initialize) as FrontAnswers["initialize"],
      toolsList: resultOf(toolsList),
    };
  } finally {
    await live.close();
  }
}

function resultOf(response: Record<string, unknown>): Record<string, unknown> {
  if (!("result" in response)) {
    throw new Error(`The live server answered with an error: ${JSON.stringify(response)}`);
  }
  return response.result as Record<string, unknown>;
}

const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
