/**
 * Registers every tool of the server. Each tool lives in its own file with
 * its schema, annotations and handler side by side.
 *
 * @module
 */

import type { McpServer } from "../mcp_sdk.ts";
import { registerCheckJwtStatus } from "./check_jwt_status.ts";
import type { ToolDeps } from "./deps.ts";
import { registerListAvailableRegions } from "./list_available_regions.ts";
import { registerSearchMultipleServices } from "./search_multiple_services.ts";
import { registerSearchPsmService } from "./search_psm_service.ts";

/** Registers the four tools on `server`. */
export function registerTools(server: McpServer, deps: ToolDeps): void {
  registerSearchPsmService(server, deps);
  registerCheckJwtStatus(server, deps);
  registerListAvailableRegions(server, deps);
  registerSearchMultipleServices(server, deps);
}

export type { ToolDeps } from "./deps.ts";
