/**
 * byted-live-promotion: serve MCP over HTTP or stdio, or check the setup (`doctor`).
 * @module
 */

import { main } from "./src/cli.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
