/** Registers every tool; each lives in its own file, schema and handler side by side.
 * @module */

import type { CallToolResult, McpServer } from "../mcp_sdk.ts";
import { registerCheckJwtStatus } from "./check_jwt_status.ts";
import type { Dependencies, ToolRegistry } from "./deps.ts";
import { registerListAvailableRegions } from "./list_available_regions.ts";
import { registerSearchMultipleServices } from "./search_multiple_services.ts";
import { registerSearchPsmService } from "./search_psm_service.ts";

/** Registers the four tools on `server`, reporting how each call ends to `onToolCall`. */
export function registerTools(server: McpServer, deps: Dependencies): void {
  const registry = deps.onToolCall ? watchingCalls(server, deps.onToolCall) : server;
  registerSearchPsmService(registry, deps);
  registerCheckJwtStatus(registry, deps);
  registerListAvailableRegions(registry, deps);
  registerSearchMultipleServices(registry, deps);
}

// Calls the SDK refuses before the handler (an unknown tool, bad arguments) are not seen here.
function watchingCalls(
  server: McpServer,
  onCall: NonNullable<Dependencies["onToolCall"]>,
): ToolRegistry {
  return {
    sendLoggingMessage: (params, sessionId) => server.sendLoggingMessage(params, sessionId),
    registerTool(name, config, handler) {
      const watched = async (...args: unknown[]) => {
        const extra = args.at(-1) as { signal?: AbortSignal } | undefined;
        const call = handler as (...args: unknown[]) => Promise<CallToolResult>;
        try {
          const result = await call(...args);
          onCall(name, result.isError ? "error" : "ok");
          return result;
        } catch (error) {
          onCall(name, extra?.signal?.aborted ? "cancelled" : "exception");
          throw error;
        }
      };
      return server.registerTool(name, config, watched as typeof handler);
    },
  };
}
