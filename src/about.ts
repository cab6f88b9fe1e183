/** The server's name and version, for `--version` and the MCP handshake.
 * @module */

import denoConfig from "../deno.json" with { type: "json" };

export const SERVER_NAME = "byted-live-promotion";

export const VERSION: string = denoConfig.version;
