/**
 * The answers the stdio front gives before the MCP server is loaded, and
 * the requests it gives them to: only those the SDK would accept as they
 * are and answer the same whatever the configuration. Anything else waits
 * for the server.
 *
 * @module
 */

import { isRecord } from "../json.ts";

/** What a live SDK server answers, recorded by `deno task generate` in `answers.json`. */
export interface FrontAnswers {
  /** The version the SDK answers with when it does not support the client's. */
  readonly latestProtocolVersion: string;
  /** The versions the SDK answers with when a client asks for them. */
  readonly supportedProtocolVersions: readonly string[];
  /** The `initialize` result for the latest protocol version. */
  readonly initialize: { readonly protocolVersion: string; readonly [key: string]: unknown };
  /** The `tools/list` result. */
  readonly toolsList: { readonly [key: string]: unknown };
}

/** An answer the front gives at once. */
export interface EarlyAnswer {
  /** The JSON-RPC response to write. */
  readonly response: { jsonrpc: "2.0"; id: string | number; result: unknown };
  /** The request to replay to the server once it is loaded, when it changes the server's state. */
  readonly replay?: Record<string, unknown>;
  /** Whether this answer ends a client's usual handshake, after which it calls tools. */
  readonly endsHandshake?: boolean;
}

/** Returns the answer to the JSON-RPC request on `line`, or `undefined` when the server must give it. */
export function answerEarly(line: string, answers: FrontAnswers): EarlyAnswer | undefined {
  const request = parseRequest(line);
  if (!request) return undefined;
  const { id, method, params } = request;
  const respond = (result: unknown) => ({ response: { jsonrpc: "2.0" as const, id, result } });
  if (method === "initialize" && isInitializeParams(params)) {
    return { ...respond(initializeResult(answers, params.protocolVersion)), replay: request };
  }
  if (method === "ping" && hasOnlyMeta(params)) return respond({});
  if (method === "tools/list" && hasOnlyMeta(params)) {
    return { ...respond(answers.toolsList), endsHandshake: true };
  }
  return undefined;
}

/** The SDK's negotiation: the client's protocol version when supported, else the latest. */
function initializeResult(
  answers: FrontAnswers,
  requested: string,
): FrontAnswers["initialize"] {
  const supported = answers.supportedProtocolVersions.includes(requested);
  return {
    ...answers.initialize,
    protocolVersion: supported ? requested : answers.latestProtocolVersion,
  };
}

interface Request {
  jsonrpc: "2.0";
  id: string | number;
  method: string;
  params?: unknown;
  [key: string]: unknown;
}

// A request as the SDK's strict JSON-RPC schema accepts it: no other member, an integer or
// string id, params an object when present.
function parseRequest(line: string): Request | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !hasOnlyKeys(value, ["jsonrpc", "id", "method", "params"])) {
    return undefined;
  }
  const { jsonrpc, id, method, params } = value;
  const validId = typeof id === "string" || Number.isInteger(id);
  if (jsonrpc !== "2.0" || !validId || typeof method !== "string") return undefined;
  if (params !== undefined && !isRecord(params)) return undefined;
  return value as Request;
}

// Narrower than the SDK's schema on purpose: a client that sends more (icons, a website, a
// capability shaped otherwise) is answered by the server itself, which checks all of it.
function isInitializeParams(
  params: unknown,
): params is { protocolVersion: string; capabilities: Record<string, unknown> } {
  if (
    !isRecord(params) || !hasOnlyKeys(params, ["protocolVersion", "capabilities", "clientInfo"])
  ) {
    return false;
  }
  const { protocolVersion, capabilities, clientInfo } = params;
  return typeof protocolVersion === "string" && isCapabilities(capabilities) &&
    isRecord(clientInfo) && hasOnlyKeys(clientInfo, ["name", "version", "title"]) &&
    typeof clientInfo.name === "string" && typeof clientInfo.version === "string" &&
    (clientInfo.title === undefined || typeof clientInfo.title === "string");
}

// The client capabilities the SDK checks, as it checks them; a client declaring tasks is left
// to the server. Members the SDK does not know are let through, as it lets them through.
const CAPABILITY_CHECKS: Record<string, (value: unknown) => boolean> = {
  experimental: (value) => isRecord(value) && Object.values(value).every(isRecord),
  extensions: (value) => isRecord(value) && Object.values(value).every(isRecord),
  sampling: (value) =>
    isRecord(value) && optional(value.context, isRecord) &&
    optional(value.tools, isRecord),
  roots: (value) => isRecord(value) && optional(value.listChanged, isBoolean),
  elicitation: (value) =>
    isRecord(value) && optional(value.url, isRecord) &&
    optional(value.form, (form) => isRecord(form) && optional(form.applyDefaults, isBoolean)),
  tasks: () => false,
};

function isCapabilities(value: unknown): value is Record<string, unknown> {
  return isRecord(value) &&
    Object.entries(value).every(([name, capability]) =>
      !Object.hasOwn(CAPABILITY_CHECKS, name) || optional(capability, CAPABILITY_CHECKS[name])
    );
}

function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

function isBoolean(value: unknown): boolean {
  return typeof value === "boolean";
}

// No params, or only `_meta` with at most a progress token: what `ping` and `tools/list` take.
function hasOnlyMeta(params: unknown): boolean {
  if (params === undefined) return true;
  if (!isRecord(params) || !hasOnlyKeys(params, ["_meta"])) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isRecord(meta) || !hasOnlyKeys(meta, ["progressToken"])) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === "string" || Number.isInteger(token);
}

function hasOnlyKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(record).every((key) => keys.includes(key));
}
