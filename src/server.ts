/** The MCP server: one `McpServer` with the tools, resource and prompt over the dependencies.
 * @module */

import { SERVER_NAME, VERSION } from "./about.ts";
import { createRecentPsms } from "./discovery/mod.ts";
import { type JsonSchemaValidator, McpServer } from "./mcp_sdk.ts";
import { registerFindPsmPrompt } from "./prompts.ts";
import { registerPsmResource } from "./resources.ts";
import type { Dependencies } from "./tools/deps.ts";
import { registerTools } from "./tools/mod.ts";

const INSTRUCTIONS =
  "Look up internal services (PSMs, product.subsystem.module) in the Neptune registry of every region. " +
  "Use search_psm_service for one PSM or a partial name, search_multiple_services for several (an array, or separated by commas or new lines), " +
  "list_available_regions to see where searches go, and check_jwt_status when searches fail to authenticate.";

export interface ServerOptions {
  /** A JSON-schema validator to share: without it the SDK builds a new Ajv for every server. */
  jsonSchemaValidator?: JsonSchemaValidator;
  /** The server answers several clients in turn (plain JSON calls, stateless requests). */
  shared?: boolean;
}

/** Each server has its own memory of the PSMs its searches saw. */
export function createServer(deps: Dependencies, options: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: "ByteDance PSM lookup (Neptune)", version: VERSION },
    {
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: options.jsonSchemaValidator,
      // Logging: clients may set a level, and failed regions are sent as warnings.
      capabilities: { logging: {} },
    },
  );
  // A shared server must not carry one client's PSMs over to the next: it remembers none.
  const capacity = options.shared ? 0 : undefined;
  const recentPsms = createRecentPsms({ initial: deps.knownPsms, capacity });
  const { discovery } = deps;
  const session = {
    ...deps,
    recentPsms,
    discovery: {
      ...discovery,
      search: (keyword, options) => discovery.search(keyword, { ...options, recentPsms }),
      searchMany: (keywords, options) => discovery.searchMany(keywords, { ...options, recentPsms }),
    } satisfies typeof discovery,
  };
  registerTools(server, session);
  registerPsmResource(server, session);
  registerFindPsmPrompt(server, session);
  return server;
}
