#!/usr/bin/env bash
# Check benchmarks: ICMP CPU beside fping, HTTP CPU/RSS beside blackbox_exporter, scheduling
# lateness at 10,000 checks. One command from the repository root:  bash bench/checks/run.sh
# Writes bench/CHECKS_RESULTS.md. Probes only 127.0.0.0/8; every process is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in fping prometheus-blackbox-exporter python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
if [[ ! -x build/telltale ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
WORK="$(mktemp -d /tmp/telltale-bench-checks.XXXXXX)"
PIDFILE="$WORK/pids"
: >"$PIDFILE"
cleanup() {
  local rc=$?
  while read -r pid; do [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true; done <"$PIDFILE"
  # fping's network namespace, when the run was cut short
  for ns in $(ip netns list 2>/dev/null | awk '/^telltale-bench-/ {print $1}'); do ip netns delete "$ns"; done
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p bench/out
BENCH_WORK="$WORK" BENCH_PIDFILE="$PIDFILE" BENCH_BINARY="$ROOT/build/telltale" python3 bench/checks/bench_checks.py &
echo $! >>"$PIDFILE"
wait $!
