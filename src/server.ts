/**
 * The MCP server: {@linkcode createServer} builds one `McpServer` with the
 * tools, resource and prompt over the shared {@linkcode Dependencies}.
 *
 * @module
 */

import { SERVER_NAME, VERSION } from "./about.ts";
import type { Discovery, RecentPsms } from "./discovery/mod.ts";
import { AjvJsonSchemaValidator, type JsonSchemaValidator, McpServer } from "./mcp_sdk.ts";
import { registerFindPsmPrompt } from "./prompts.ts";
import { registerPsmResource } from "./resources.ts";
import type { Dependencies, SessionDependencies } from "./tools/deps.ts";
import { registerTools } from "./tools/mod.ts";

const INSTRUCTIONS =
  "Look up internal services (PSMs, product.subsystem.module) in the Neptune registry of every region. " +
  "Use search_psm_service for one PSM or a partial name, search_multiple_services for several (an array, or separated by commas or new lines), " +
  "list_available_regions to see where searches go, and check_jwt_status when searches fail to authenticate.";

/** Options for {@linkcode createServer}. */
export interface ServerOptions {
  /** A JSON-schema validator to share; without it the SDK builds a new Ajv for every server. */
  jsonSchemaValidator?: JsonSchemaValidator;
  /**
   * The server answers several clients in turn (plain JSON calls, stateless requests): it
   * remembers no PSM, so that no client learns what another searched. Default false.
   */
  shared?: boolean;
}

/**
 * Creates an `McpServer` with the four tools, the `psm://{psm}` resource
 * template and the `find_psm` prompt; one per session or stdio connection,
 * each with its own memory of the PSMs it has seen.
 */
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
  const session = sessionDeps(deps, options.shared ?? false);
  registerTools(server, session);
  registerPsmResource(server, session);
  registerFindPsmPrompt(server, session);
  return server;
}

// The shared dependencies with a memory of PSMs for this server alone, which its searches fill.
function sessionDeps(deps: Dependencies, shared: boolean): SessionDependencies {
  const recentPsms = deps.newRecentPsms({ shared });
  return { ...deps, recentPsms, discovery: rememberingIn(deps.discovery, recentPsms) };
}

function rememberingIn(discovery: Discovery, recentPsms: RecentPsms): Discovery {
  return {
    ...discovery,
    search: (keyword, options) => discovery.search(keyword, { ...options, recentPsms }),
    searchMany: (keywords, options) => discovery.searchMany(keywords, { ...options, recentPsms }),
  };
}

/** Builders of the HTTP servers: one per session, or one that answers many clients. */
export interface ServerFactory {
  /** A server for one session (`/mcp`, `/sse`), remembering the PSMs it sees. */
  perSession(): McpServer;
  /** A server for plain JSON calls or stateless requests, remembering no PSM. */
  shared(): McpServer;
}

/**
 * Returns the builders of HTTP servers, all sharing one JSON-schema validator
 * (a new Ajv by default): a server is built per session, and shared ones for
 * plain calls and (stateless) requests.
 */
export function serverFactory(
  deps: Dependencies,
  { jsonSchemaValidator = new AjvJsonSchemaValidator() }: Omit<ServerOptions, "shared"> = {},
): ServerFactory {
  return {
    perSession: () => createServer(deps, { jsonSchemaValidator }),
    shared: () => createServer(deps, { jsonSchemaValidator, shared: true }),
  };
}
