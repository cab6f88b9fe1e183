#!/usr/bin/env bash
# Runs byted-live-promotion in the background, on a laptop or a team box.
#
#   ./startup.sh [--demo] [server flags...]   start it; a credential (CAS_SESSION, CAS_SESSION_<region>,
#                                             SERVICE_ACCOUNT_SECRET[_<region>]) must be set unless --demo
#   ./startup.sh status                       whether it runs: URL, pid, log
#   ./startup.sh stop                         stop it (SIGTERM, then SIGKILL after 10 s)
#
# It runs dist/byted-live-promotion when that binary exists, else `deno run` with the start task's
# permissions, else the same through `npx -y deno` (a machine with only Node). The port is
# MCP_PORT (default 8123) or --port; every other flag goes to the server as it is. The pid is kept
# in mcp-server.pid and the server's output in mcp-server.log, beside this script (or in
# MCP_RUN_DIR). It waits up to STARTUP_TIMEOUT_S (60) for /health: the first npx run downloads
# Deno. Exit status: 0 done, 1 failed, 3 `status` found it not running.
set -uo pipefail

readonly NAME=byted-live-promotion
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run_dir=$(mkdir -p "${MCP_RUN_DIR:-$root}" && cd "${MCP_RUN_DIR:-$root}" && pwd) || exit 1
readonly pid_file=$run_dir/mcp-server.pid
readonly log_file=$run_dir/mcp-server.log
readonly start_timeout_s=${STARTUP_TIMEOUT_S:-60}
readonly stop_timeout_s=10

say() { echo "startup.sh: $*" >&2; }

# The pid in the pid file when that process is alive and is this server; a stale file is removed.
running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(tr -cd '0-9' <"$pid_file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && is_server "$pid"; then
    echo "$pid"
    return 0
  fi
  say "removing the stale $pid_file (process ${pid:-?} is gone or is not this server)"
  rm -f "$pid_file"
  return 1
}

# A pid can be reused by an unrelated process once ours has died: check its command line.
is_server() {
  local command
  command=$(ps -p "$1" -o command= 2>/dev/null) || return 0 # no ps: trust the pid
  [[ "$command" == *main.ts* || "$command" == *"$NAME"* ]]
}

# The MCP URL the server announced in its log.
announced_url() {
  [ -f "$log_file" ] || return 1
  grep -oE 'listening on http://[^ ]+/mcp' "$log_file" | tail -n 1 | sed 's/^listening on //'
}

answers_health() {
  local url="${1%/mcp}/health"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O /dev/null -T 2 "$url" 2>/dev/null
  else
    return 0 # the announcement is printed once the port listens
  fi
}

print_status() {
  local pid=$1 url
  url=$(announced_url)
  echo "$NAME is running"
  echo "  URL:  ${url:-unknown yet (see the log)}"
  echo "  pid:  $pid"
  echo "  log:  $log_file"
}

# The permission flags of the start task in deno.json, so that they are written in one place.
start_task_flags() {
  awk '/"start": *\{/ { inside = 1 } inside && /"command"/ { print; exit }' "$root/deno.json" |
    sed -nE 's/.*"command": *"deno run (.*) main\.ts".*/\1/p'
}

# Fills the array `server` with the command that runs the server.
choose_server() {
  if [ -x "$root/dist/$NAME" ]; then
    server=("$root/dist/$NAME")
    return 0
  fi
  local deno flags
  if command -v deno >/dev/null 2>&1; then
    deno=deno
  elif command -v npx >/dev/null 2>&1; then
    # The deno binary itself, so that the pid file holds the server's pid and not npx's.
    deno=$(npx -y deno eval 'console.log(Deno.execPath())' </dev/null) || {
      say "npx -y deno failed: check the network access to the npm registry, or install Deno (npm install -g deno)"
      return 1
    }
  else
    say "Neither deno nor npx is on PATH: install Node.js (https://nodejs.org) or Deno (npm install -g deno)"
    return 1
  fi
  flags=$(start_task_flags)
  if [ -z "$flags" ]; then
    say "Cannot read the start task's flags from $root/deno.json: restore its \"deno run ... main.ts\" command"
    return 1
  fi
  # Split on spaces without expanding CAS_SESSION_* and SERVICE_ACCOUNT_SECRET_* as file globs.
  local words
  read -r -a words <<<"$flags"
  server=("$deno" run "${words[@]}" "$root/main.ts")
}

# Whether any credential variable is set: the shared ones or one named after a region.
has_credential() {
  local name
  for name in $(compgen -v); do
    case "$name" in CAS_SESSION | CAS_SESSION_?* | SERVICE_ACCOUNT_SECRET | SERVICE_ACCOUNT_SECRET_?*)
      [ -n "${!name}" ] && return 0 ;;
    esac
  done
  return 1
}

wants_demo() {
  local arg
  for arg in "$@"; do [ "$arg" = --demo ] && return 0; done
  case "$(echo "${DEMO:-}" | tr '[:upper:]' '[:lower:]')" in 1 | true | yes | on) return 0 ;; esac
  return 1
}

start() {
  local pid
  if pid=$(running_pid); then
    say "$NAME is already running (pid $pid, $(announced_url)): run ./startup.sh stop first"
    return 1
  fi
  if ! wants_demo "$@" && ! has_credential; then
    say "CAS_SESSION is not set (nor CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET): sign in at https://cloud.bytedance.net, copy the CAS_SESSION cookie, export CAS_SESSION='...' and run again (or try ./startup.sh --demo)"
    return 1
  fi
  local server
  choose_server || return 1

  (cd "$root" && exec nohup "${server[@]}" "$@" >"$log_file" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$pid_file"

  local url="" deadline=$((SECONDS + start_timeout_s))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      say "$NAME exited at start; the end of $log_file:"
      tail -n 5 "$log_file" >&2
      return 1
    fi
    url=$(announced_url)
    if [ -n "$url" ] && answers_health "$url"; then
      print_status "$pid"
      return 0
    fi
    sleep 0.1
  done
  say "$NAME did not answer ${url:-its} /health within $start_timeout_s s: stopped it; see $log_file"
  kill "$pid" 2>/dev/null
  rm -f "$pid_file"
  return 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    echo "$NAME is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  local deadline=$((SECONDS + stop_timeout_s))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$NAME (pid $pid) did not stop within $stop_timeout_s s: killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pid_file"
  echo "$NAME stopped (pid $pid)"
}

status() {
  local pid url
  if ! pid=$(running_pid); then
    echo "$NAME is not running"
    return 3
  fi
  print_status "$pid"
  url=$(announced_url)
  if [ -n "$url" ] && ! answers_health "$url"; then
    echo "  health: no answer from ${url%/mcp}/health (see the log)"
  fi
}

case "${1:-}" in
  stop) stop ;;
  status) status ;;
  help | -h | --help) sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  start) shift && start "$@" ;;
  *) start "$@" ;;
esac
