/** Flags and `--help`, from the option table; errors say what to type, never echo a credential.
 * @module */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { boundedEditDistance } from "../edit_distance.ts";
import {
  ConfigError,
  flagOf,
  type Option,
  OPTION_ENTRIES,
  type OptionKey,
  type TextValues,
} from "./options.ts";

const PARSE_OPTIONS: ParseArgsOptionsConfig = Object.fromEntries(
  OPTION_ENTRIES.map(([key, { arg, multiple, short }]) => [flagOf(key).slice(2), {
    type: arg ? "string" : "boolean",
    ...(multiple && { multiple }),
    ...(short && { short }),
  }]),
);

const KEY_OF_FLAG = new Map(OPTION_ENTRIES.map(([key]) => [flagOf(key).slice(2), key]));

/** Parses `args` (without a leading `doctor`) into each option's text; a switch given is `true`. */
export function parseFlags(args: readonly string[]): TextValues {
  // `deno task start -- --demo` passes the `--` on, and parseArgs would end the options there.
  if (args.includes("--")) {
    throw new ConfigError(
      "Unexpected argument --: deno task passes arguments on as they are, so write deno task start --demo, without --",
    );
  }
  try {
    const { values } = parseArgs({ args: [...args], options: PARSE_OPTIONS, strict: true });
    return Object.fromEntries(
      Object.entries(values).map(([flag, value]) => [KEY_OF_FLAG.get(flag) as OptionKey, value]),
    );
  } catch (error) {
    throw new ConfigError(describeFlagError(error), { cause: error });
  }
}

// Node's messages for what went wrong, and ours: what to type instead.
const FLAG_ERRORS: [RegExp, (match: string) => string][] = [
  [/Unknown option '([^']+)'/, describeUnknown],
  [/Unexpected argument '(.*)'/s, describePositional],
  [
    /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/,
    (flag) => `Option ${flag} needs a value: see --help`,
  ],
  [
    /Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument is ambiguous/,
    (flag) => `Option ${flag} needs a value; write ${flag}=VALUE for one that starts with "-"`,
  ],
];

function describeFlagError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, describe] of FLAG_ERRORS) {
    const match = message.match(pattern);
    if (match) return describe(match[1]!);
  }
  return `${message.split("\n")[0]!.replace(/\.$/, "")}: see --help`;
}

function describeUnknown(given: string): string {
  const name = given.replace(/^-+/, "").split("=")[0]!.toLowerCase();
  const bound = name.length <= 4 ? 1 : 2;
  const [best] = [...KEY_OF_FLAG.keys()]
    .map((option) => ({ option, distance: boundedEditDistance(name, option, bound) }))
    .filter(({ distance }) => name.length >= 3 && distance <= bound)
    .sort((a, b) => a.distance - b.distance);
  return best
    ? `Unknown option ${given}: did you mean --${best.option}? See --help`
    : `Unknown option ${given}: run with --help to see the accepted options`;
}

// A positional value may be a misplaced cookie: it is shown only when it cannot be one.
function describePositional(value: string): string {
  const word = value.toLowerCase();
  if (KEY_OF_FLAG.has(word)) {
    return `Unexpected argument "${value}": options take the form --name value, did you mean --${word}? See --help`;
  }
  if (word === "doctor") {
    return 'Unexpected argument "doctor": it comes first, as in byted-live-promotion doctor --json';
  }
  if (/^-[\w-]{0,40}$/.test(value)) {
    return `Unexpected argument "${value}": options take the form --name value, see --help`;
  }
  return "Unexpected positional argument (not shown: it may be a credential): options take the form --name value, see --help";
}

// What `--help` says of each option; a line break continues on the next line.
const HELP: Record<OptionKey, string> = {
  port: "HTTP port, 0 picks a free one",
  host: "address to bind",
  log_level: "DEBUG, INFO, WARNING or ERROR",
  stdio:
    "serve MCP over stdin/stdout instead of HTTP\n(without it, a piped stdin is served beside HTTP)",
  demo: "answer from the built-in demo catalogue, no credentials needed",
  auth_url: "JWT endpoint",
  regions: "a Neptune region, repeatable; the variable lists them as cn=URL,us=URL",
  timeout_ms: "limit per upstream request",
  config:
    "JSON file with regions and any option but credentials\n(flags and environment win over the file; see the README)",
  auth_token:
    "bearer token HTTP clients must send; required on any host but loopback\n(prefer the environment: flags show in ps)",
  no_auth: "serve a non-loopback host without a token (something else must guard it)",
  allowed_origins: "also accept browser pages from origin O, repeatable (https://app.example)",
  allowed_hosts: "also answer to Host name H, repeatable (the name a reverse proxy forwards)",
  stateless: "serve /mcp without sessions, for instances behind a load balancer",
  cache_ttl: "serve a region's answer from the cache this many seconds, 0 disables",
  concurrency: "registry requests in flight per region",
  cache_max_mb: "MiB the cached answers may hold, stale ones included",
  max_sessions:
    "HTTP sessions open at once (/mcp and /sse); when full, the least\nrecently active idle one is closed",
  max_sessions_per_client: "HTTP sessions one client holds (its bearer token, else its address)",
  drain_delay:
    "on SIGTERM, answer /ready with 503 and keep serving this many seconds\nbefore stopping (behind a load balancer or in Kubernetes)",
  json: "with doctor: print the report as JSON",
  help: "print this help and exit",
  version: "print the version and exit",
};

const HELP_COLUMN = 23;

// `  --port N             HTTP port, 0 picks a free one`, then the variable and the default.
function describeOption([key, { arg, env, ...option }]: [OptionKey, Option]): string {
  const name = `${flagOf(key)}${arg ? ` ${arg}` : ""}`;
  const shown = arg && typeof option.default !== "object" ? option.default : undefined;
  const where = [env && `env ${env}${arg ? "" : "=1"}`, shown !== undefined && `default ${shown}`]
    .filter(Boolean).join(", ");
  // A long default (the regions) goes on a line of its own, to stay within 80 columns.
  const lines = [...HELP[key].split("\n"), ...where.split(where.length > 56 ? ", " : "\n")]
    .filter(Boolean);
  const first = name.length < HELP_COLUMN - 3
    ? [`  ${name.padEnd(HELP_COLUMN - 2)}${lines.shift()}`]
    : [`  ${name}`];
  return [...first, ...lines.map((line) => `${" ".repeat(HELP_COLUMN)}${line}`)].join("\n");
}

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
