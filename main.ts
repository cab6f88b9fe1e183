/**
 * byted-live-promotion: serve MCP over HTTP or stdio, or check the setup
 * (`doctor`). The server itself is `src/cli.ts`, loaded on demand: started
 * with `--stdio`, the handshake is answered from `src/stdio_front/` while it
 * loads, so a desktop client waits for Deno to start, not for ~160 modules.
 *
 * @module
 */

import answers from "./src/stdio_front/answers.json" with { type: "json" };
import { SERVER_NAME, VERSION } from "./src/about.ts";
import { USAGE } from "./src/config/usage.ts";
import { missingReadPermission } from "./src/permissions.ts";
import { openStdioFront } from "./src/stdio_front/mod.ts";

// Not a string literal on purpose: Deno loads the graph of a literal `import()` before running
// anything, which is the wait the front is there to avoid (`deno compile` gets `--include`).
const CLI_MODULE = new URL("./src/cli.ts", import.meta.url);

/** Runs the command line `args` and returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  const query = (descriptor: Deno.PermissionDescriptor) => Deno.permissions.querySync(descriptor);
  const noRead = missingReadPermission(query, CLI_MODULE);
  if (noRead) {
    // --help and --version need no permission: without read access the server cannot load to
    // print them, so they are printed here.
    const text = helpOrVersion(args);
    if (text !== undefined) {
      console.log(text);
      return 0;
    }
    console.error(`${SERVER_NAME}: ${noRead}`);
    return 2;
  }
  const stdioFront = servesStdioAtOnce(args, query)
    ? openStdioFront({ input: Deno.stdin.readable, output: Deno.stdout, answers })
    : undefined;
  // Loading the server holds the main thread for a while: not before the handshake is answered.
  await stdioFront?.needed;
  const cli: typeof import("./src/cli.ts") = await import(CLI_MODULE.href);
  return await cli.main(args, { stdioFront });
}

// What src/cli.ts prints for --help (first) or --version; undefined when neither is asked for.
function helpOrVersion(args: readonly string[]): string | undefined {
  if (args.some((arg) => arg === "--help" || arg === "-h")) return USAGE;
  if (args.some((arg) => arg === "--version" || arg === "-V")) {
    return `${SERVER_NAME} ${VERSION}`;
  }
  return undefined;
}

// Only where the early answers cannot be wrong: MCP over stdio to a program, not a terminal,
// and the environment readable (else the server exits at once, saying which flags to add).
function servesStdioAtOnce(
  args: readonly string[],
  query: (descriptor: Deno.PermissionDescriptor) => Deno.PermissionStatus,
): boolean {
  const other = ["doctor", "--help", "-h", "--version", "-V", "--"];
  return args.includes("--stdio") && !args.some((arg) => other.includes(arg)) &&
    !Deno.stdin.isTerminal() && query({ name: "env", variable: "CAS_SESSION" }).state === "granted";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
