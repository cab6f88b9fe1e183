#!/usr/bin/env bash
# P5 under wrk (Debian's package), beside the bench's own load loop: a cached search_psm_service on
# a --demo server against echo on bench/echo_server.ts, one session each, 16 connections, 6
# alternating rounds of 4 s; prints each round's ratio. Usage: bench/wrk_p5.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-18777}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
deno run --allow-net=127.0.0.1 bench/echo_server.ts 2> $TMP/echo.err &
ECHO=$!
deno task -q start --demo --port $PORT 2> $TMP/ours.err &
OURS=$!
sleep 4
EURL=$(grep -o 'http://[^ ]*' $TMP/echo.err | head -1)
OURL=http://localhost:$PORT/mcp
init() { # url -> session id
  curl -s -D - -o /dev/null -X POST "$1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}' | grep -i '^mcp-session-id' | cut -d' ' -f2 | tr -d '\r'
}
ES=$(init $EURL); OS=$(init $OURL)
for s in "$EURL $ES" "$OURL $OS"; do set -- $s; curl -s -o /dev/null -X POST "$1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -H "mcp-session-id: $2" -H 'mcp-protocol-version: 2025-06-18' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'; done
mk() { cat > $TMP/$1.lua <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["accept"] = "application/json, text/event-stream"
wrk.headers["mcp-session-id"] = "$2"
wrk.headers["mcp-protocol-version"] = "2025-06-18"
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
request = function()
  local body = string.gsub('$3', '"id":7', '"id":"' .. math.random(1, 1000000000) .. '"')
  return wrk.format(nil, nil, nil, body)
end
LUA
}
mk echo "$ES" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"oec.live.promotion"}}}'
mk ours "$OS" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_psm_service","arguments":{"keyword":"oec.live.promotion"}}}'
# warm the cache
curl -s -o /dev/null -X POST $OURL -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -H "mcp-session-id: $OS" -H 'mcp-protocol-version: 2025-06-18' -d '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"search_psm_service","arguments":{"keyword":"oec.live.promotion"}}}'
for i in 1 2 3 4 5 6; do
  wrk -t2 -c16 -d4s -s $TMP/echo.lua $EURL > $TMP/e.out 2>&1; e=$(awk '/Requests\/sec/{print $2}' $TMP/e.out)
  wrk -t2 -c16 -d4s -s $TMP/ours.lua $OURL > $TMP/o.out 2>&1; o=$(awk '/Requests\/sec/{print $2}' $TMP/o.out)
  grep -h "Non-2xx" $TMP/e.out $TMP/o.out || true
  echo "round $i: ours $o echo $e ratio $(python3 -c "print(round($o/$e,2))")"
done
kill $ECHO $OURS; wait 2>/dev/null || true
