# bench/lib.sh — sourced by the benchmarks' run scripts: a temporary directory with a pidfile in
# which the drivers record every process they start, and traps that stop those processes (TERM,
# then KILL) and remove the directory however the run ends. A script with more to undo defines
# bench_cleanup_extra before the run.

# bench_workdir NAME [PARENT]: sets WORK and PIDFILE. PARENT defaults to /tmp; runs that read
# write_bytes of /proc/PID/io pass a directory on disk, as that counts block-device writes only.
bench_workdir() {
  WORK="$(mktemp -d "${2:-/tmp}/telltale-bench-$1.XXXXXX")"
  PIDFILE="$WORK/pids"
  : >"$PIDFILE"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local rc=$?
  if [[ -s "$PIDFILE" ]]; then
    while read -r pid; do [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true; done <"$PIDFILE"
    sleep 0.5
    while read -r pid; do [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true; done <"$PIDFILE"
  fi
  if declare -F bench_cleanup_extra >/dev/null; then bench_cleanup_extra; fi
  rm -rf "$WORK"
  exit $rc
}

# bench_driver [NAME=VALUE...] COMMAND...: runs a driver with BENCH_WORK and BENCH_PIDFILE set, in
# the background and waited for, so that a signal to the script runs the traps at once.
bench_driver() {
  env BENCH_WORK="$WORK" BENCH_PIDFILE="$PIDFILE" "$@" &
  echo $! >>"$PIDFILE"
  wait $!
}
