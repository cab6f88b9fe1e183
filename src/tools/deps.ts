/**
 * What the tools depend on. Nothing here holds a credential: tools see the token's status,
 * never the token or the cookie.
 * @module
 */

import type { AuthSources } from "../auth_sources.ts";
import type { Discovery, RecentPsms } from "../discovery/mod.ts";
import type { McpServer } from "../mcp_sdk.ts";
import type { SearchFormatter } from "./format_cache.ts";

/** How a tool call ended: a result, an error result, a thrown exception, or cancelled. */
export type ToolCallOutcome = "ok" | "error" | "exception" | "cancelled";

/** Where a tool is registered: the `McpServer`, or a wrapper that watches its calls. */
export type ToolRegistry = Pick<McpServer, "registerTool" | "sendLoggingMessage">;

/** The dependencies every tool is registered with. */
export interface Dependencies {
  readonly discovery: Discovery;
  /** PSMs every session knows from its start: the demo catalogue in demo mode. */
  readonly knownPsms: readonly string[];
  readonly auth: AuthSources;
  readonly authUrl: string;
  readonly timeoutMs: number;
  readonly demo: boolean;
  readonly formatter: SearchFormatter;
  /** Told how each tool call ended, for metrics. */
  readonly onToolCall?: (tool: string, outcome: ToolCallOutcome) => void;
}

/** What one session's server is registered with: the shared dependencies and its own memory. */
export interface SessionDependencies extends Dependencies {
  /** The PSMs this session has seen in answers, for completions and suggestions. */
  readonly recentPsms: RecentPsms;
}
