/**
 * Registers every tool of the server. Each tool lives in its own file with
 * its schema, annotations and handler side by side.
 *
 * @module
 */

import type { McpServer } from "../mcp_sdk.ts";
import type { TokenProvider } from "../auth.ts";
import type { Discovery } from "../discovery.ts";
import { registerCheckJwtStatus } from "./check_jwt_status.ts";
import { registerListAvailableRegions } from "./list_available_regions.ts";
import { registerSearchMultipleServices } from "./search_multiple_services.ts";
import { registerSearchPsmService } from "./search_psm_service.ts";

/** What the tools need; nothing here holds a credential. */
export interface ToolDeps {
  readonly discovery: Discovery;
  readonly tokens: TokenProvider;
  readonly authUrl: string;
  readonly timeoutMs: number;
  readonly demo: boolean;
}

/** Registers the four tools on `server`. */
export function registerTools(server: McpServer, deps: ToolDeps): void {
  registerSearchPsmService(server, deps);
  registerCheckJwtStatus(server, deps);
  registerListAvailableRegions(server, deps);
  registerSearchMultipleServices(server, deps);
}
