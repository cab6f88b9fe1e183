/**
 * The server's name and version, for `--version` and the MCP handshake.
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** The server's name as MCP clients see it. */
export const SERVER_NAME = "byted-live-promotion";

/** The server's version, from `deno.json`. */
export const VERSION: string = denoConfig.version;
