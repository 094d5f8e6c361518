# Shell functions of packaging/test-deb.sh and test-qemu.sh (sourced): a server started in the
# background as a user with some capabilities and nothing else, as systemd's User=,
# AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges= start it (setpriv: systemd
# is not PID 1 in a container), its log in $log, its pid in $server.
server=""
log=$(mktemp /tmp/telltale-test.XXXXXX)

wait_log() {
  for _ in $(seq "${2:-600}"); do grep -q "$1" "$log" && return 0; sleep 0.1; done
  echo "test: no '$1' in the server's log:" >&2
  cat "$log" >&2
  exit 1
}

# start_server USER CAPS UMASK COMMAND... (CAPS as systemd writes them: "CAP_NET_RAW CAP_...");
# the environment is TELLTALE_* of the caller's and PATH only.
start_server() {
  local user=$1 umask=$3 caps
  caps=-all$(for c in $2; do printf ',+%s' "${c#CAP_}"; done | tr 'A-Z' 'a-z')
  shift 3
  : >"$log"
  (umask "$umask"
   exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $(env | grep '^TELLTALE_') \
     setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups --inh-caps "$caps" \
     --ambient-caps "$caps" --bounding-set "$caps" --no-new-privs -- "$@") 2>"$log" &
  server=$!  # the subshell, env and setpriv each exec the next: the server's own pid
  wait_log "listening on"
  echo "test: serving as $(ps -o user= -p "$server"):" \
    "$(grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' "/proc/$server/status" | tr '\t\n' ' ')"
}

stop_server() {
  kill -TERM "$server"
  local rc=0
  wait "$server" || rc=$?
  server=""
  [[ $rc -eq 0 ]] || { echo "test: the server exited with $rc:" >&2; cat "$log" >&2; exit 1; }
}

cleanup_server() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -f "$log"
}
