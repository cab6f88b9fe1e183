#!/usr/bin/env bash
# Runs the official MCP conformance suite (pinned here and locked in .ci/conformance.lock, cached
# by .ci/run's `deno install`; deno.json and deno.lock hold only what the server runs)
# against the server in demo mode on a free 127.0.0.1 port, one scenario at a time.
# Ends with one line: "N passed, N failed" (one count per scenario).
# Scenarios that do not apply to this server are listed in README (Development).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
export NO_COLOR=1

SCENARIOS=(
  server-initialize
  ping
  tools-list
  logging-set-level
  server-sse-multiple-streams
  dns-rebinding-protection
  resources-list
  prompts-list
)
SUITE="npm:@modelcontextprotocol/conformance@0.1.16"

server_log=$(mktemp)
deno task start --demo --host 127.0.0.1 --port 0 </dev/null >"$server_log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$server_log"' EXIT

url=""
for _ in $(seq 1 300); do
  url=$(grep -oE 'listening on http://[^ ]+/mcp' "$server_log" | head -n 1 | sed 's/listening on //')
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "conformance: the server did not start:" >&2
  cat "$server_log" >&2
  echo "conformance: 0 passed, ${#SCENARIOS[@]} failed"
  exit 1
fi

passed=0
failed=0
for scenario in "${SCENARIOS[@]}"; do
  if output=$(timeout 60 deno run -A --no-config --frozen --lock=.ci/conformance.lock --cached-only \
    "$SUITE" server \
    --url "$url" --scenario "$scenario" </dev/null 2>&1) &&
    grep -qE '^Passed: [0-9]+/[0-9]+, 0 failed' <<<"$output"; then
    echo "conformance $scenario ... ok"
    passed=$((passed + 1))
  else
    echo "conformance $scenario ... FAILED"
    echo "$output"
    failed=$((failed + 1))
  fi
done
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
