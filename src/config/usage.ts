/**
 * The text `--help` prints; the options part is written from the option table.
 *
 * @module
 */

import { flagOf, type Option, OPTION_ENTRIES, type OptionKey } from "./options.ts";

const HELP_COLUMN = 23;

// `  --port N             HTTP port, 0 picks a free one`, then the variable and the default.
function describeOption([key, { arg, env, help, ...option }]: [OptionKey, Option]): string {
  const name = `${flagOf(key)}${arg ? ` ${arg}` : ""}`;
  const shown = arg && typeof option.default !== "object" ? option.default : undefined;
  const where = [env && `env ${env}${arg ? "" : "=1"}`, shown !== undefined && `default ${shown}`]
    .filter(Boolean).join(", ");
  // A long default (the regions) goes on a line of its own, to stay within 80 columns.
  const lines = [...help.split("\n"), ...where.split(where.length > 56 ? ", " : "\n")]
    .filter(Boolean);
  const first = name.length < HELP_COLUMN - 3
    ? [`  ${name.padEnd(HELP_COLUMN - 2)}${lines.shift()}`]
    : [`  ${name}`];
  return [...first, ...lines.map((line) => `${" ".repeat(HELP_COLUMN)}${line}`)].join("\n");
}

/** The text printed by `--help`. */
export const USAGE = `byted-live-promotion: an MCP server that finds PSMs in the Neptune registry

Usage:
  byted-live-promotion [options]
  byted-live-promotion doctor [--json] [options]   check the cookie, the JWT, each region and
                                                   the proxy and CA settings, then exit

Options:
${OPTION_ENTRIES.map(describeOption).join("\n")}

Credentials (each region uses the first one set):
  SERVICE_ACCOUNT_SECRET_<region>   a service account's secret for one region
  CAS_SESSION_<region>              the SSO session cookie for one region
  SERVICE_ACCOUNT_SECRET            a service account's secret for every region
  CAS_SESSION          your SSO session cookie (copy it from the browser after signing in)

Network (applied by Deno itself, reported by doctor):
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY      proxy for the upstream requests
  DENO_TLS_CA_STORE=system, DENO_CERT    trust the system's or a file's CAs (TLS-inspecting proxies)
  NODE_EXTRA_CA_CERTS                    a file of extra CAs, also honoured by Deno

Endpoints (HTTP): /mcp (streamable HTTP, and plain {"tool", "arguments"} calls),
  /sse + /messages (legacy HTTP+SSE), /health, /ready, /metrics
`;
