/** What the tools depend on: tools see the token's status, never the token or the cookie.
 * @module */

import type { AuthSources } from "../auth_sources.ts";
import type { Discovery, RecentPsms } from "../discovery/mod.ts";
import type { McpServer } from "../mcp_sdk.ts";
import type { SearchFormatter } from "./search_result.ts";

export type ToolCallOutcome = "ok" | "error" | "exception" | "cancelled";

/** Where a tool is registered: the `McpServer`, or a wrapper that watches its calls. */
export type ToolRegistry = Pick<McpServer, "registerTool" | "sendLoggingMessage">;

export interface Dependencies {
  readonly discovery: Discovery;
  /** PSMs every session knows from its start: the demo catalogue in demo mode. */
  readonly knownPsms: readonly string[];
  readonly auth: AuthSources;
  readonly authUrl: string;
  readonly timeoutMs: number;
  readonly demo: boolean;
  readonly formatter: SearchFormatter;
  readonly onToolCall?: (tool: string, outcome: ToolCallOutcome) => void;
}

/** `recentPsms`: the PSMs this session has seen in answers, for completions and suggestions. */
export interface SessionDependencies extends Dependencies {
  readonly recentPsms: RecentPsms;
}
