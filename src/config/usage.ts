/**
 * The defaults and the text `--help` prints.
 *
 * @module
 */

/** Default values, also shown by `--help`. */
export const DEFAULTS = {
  port: 8123,
  host: "localhost",
  logLevel: "info",
  authUrl: "https://cloud.bytedance.net/auth/api/v1/jwt",
  regions: "cn=https://ms-neptune.byted.org,us=https://ms-neptune.tiktok-us.org",
  timeoutMs: 10_000,
  cacheTtlSeconds: 60,
  concurrency: 8,
  cacheMaxMb: 64,
  maxSessions: 1000,
  maxSessionsPerClient: 100,
  drainDelaySeconds: 0,
} as const;

/** The text printed by `--help`. */
export const USAGE = `byted-live-promotion: an MCP server that finds PSMs in the Neptune registry

Usage:
  byted-live-promotion [options]
  byted-live-promotion doctor [--json] [options]   check the cookie, the JWT, each region and
                                                   the proxy and CA settings, then exit

Options:
  --port N             HTTP port, 0 picks a free one      env MCP_PORT      default ${DEFAULTS.port}
  --host H             address to bind                    env MCP_HOST      default ${DEFAULTS.host}
  --log-level L        DEBUG, INFO, WARNING or ERROR      env LOG_LEVEL     default INFO
  --stdio              serve MCP over stdin/stdout instead of HTTP
                       (without it, a piped stdin is served beside HTTP)
  --demo               answer from the built-in demo catalogue, no credentials needed   env DEMO=1
  --auth-url URL       JWT endpoint                       env JWT_AUTH_URL
                       default ${DEFAULTS.authUrl}
  --region NAME=URL    a Neptune region, repeatable       env NEPTUNE_REGIONS=cn=URL,us=URL
                       default ${DEFAULTS.regions}
  --timeout MS         limit per upstream request         env UPSTREAM_TIMEOUT_MS  default ${DEFAULTS.timeoutMs}
  --config FILE        JSON file with regions and any option but credentials   env MCP_CONFIG
                       (flags and environment win over the file; see the README)
  --auth-token T       bearer token HTTP clients must send; required on any host but loopback
                       (prefer the environment: flags show in ps)   env MCP_AUTH_TOKEN
  --no-auth            serve a non-loopback host without a token (something else must guard it)
  --allowed-origin O   also accept browser pages from origin O, repeatable (https://app.example)
  --allowed-host H     also answer to Host name H, repeatable (the name a reverse proxy forwards)
  --stateless          serve /mcp without sessions, for instances behind a load balancer
                       env MCP_STATELESS=1
  --cache-ttl SECONDS  serve a region's answer from the cache this long, 0 disables
                                                          env CACHE_TTL     default ${DEFAULTS.cacheTtlSeconds}
  --concurrency N      registry requests in flight per region
                                                          env MCP_CONCURRENCY  default ${DEFAULTS.concurrency}
  --cache-max-mb N     MiB the cached answers may hold, stale ones included
                                                          env MCP_CACHE_MAX_MB  default ${DEFAULTS.cacheMaxMb}
  --max-sessions N     HTTP sessions open at once (/mcp and /sse); when full, the least
                       recently active idle one is closed      default ${DEFAULTS.maxSessions}
  --max-sessions-per-client N
                       HTTP sessions one client holds (its bearer token, else its address)
                                                          default ${DEFAULTS.maxSessionsPerClient}
  --drain-delay SECONDS  on SIGTERM, answer /ready with 503 and keep serving this long
                       before stopping (behind a load balancer or in Kubernetes)
                                                          env MCP_DRAIN_DELAY  default ${DEFAULTS.drainDelaySeconds}
  --help               print this help and exit
  --version            print the version and exit

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
