#!/usr/bin/env bash
# SNMP benchmark: the interface tables of 50 agents on loopback (one snmpd on 50 UDP ports),
# polled by Telltale's SNMP engine and by snmpbulkwalk in the same run; wall time and CPU time.
# One command from the repository root:  bash bench/snmp/run.sh
# Writes bench/SNMP_RESULTS.md. Listens on 127.0.0.1 only; every process is stopped on exit.
# BENCH_SNMP_AGENTS (50) and BENCH_SNMP_ROUNDS (20) change the size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in snmpd snmpbulkwalk g++ python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
WORK="$(mktemp -d /tmp/telltale-bench-snmp.XXXXXX)"
PIDFILE="$WORK/pids"
: >"$PIDFILE"
cleanup() {
  local rc=$?
  while read -r pid; do [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true; done <"$PIDFILE"
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The engine and the counter logic alone, built as the Release binary builds them (-O2).
g++ -std=c++20 -O2 -DNDEBUG -Isrc bench/snmp/snmp_bench.cpp src/snmp/message.cpp src/snmp/engine.cpp \
  src/snmp/mib.cpp src/snmp/interfaces.cpp -luv -lfmt -o "$WORK/snmp_bench"
BENCH_WORK="$WORK" BENCH_PIDFILE="$PIDFILE" BENCH_SNMP_BINARY="$WORK/snmp_bench" python3 bench/snmp/bench_snmp.py &
echo $! >>"$PIDFILE"
wait $!
