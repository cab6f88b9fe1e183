/**
 * The server's name and version: small enough for `main.ts` to print
 * `--version` before the server's modules load.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** The server's name as MCP clients see it. */
export const SERVER_NAME = "byted-live-promotion";

/** The server's version, from `deno.json`. */
export const VERSION: string = denoConfig.version;
