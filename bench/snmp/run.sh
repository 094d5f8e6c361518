#!/usr/bin/env bash
# SNMP benchmark: the interface tables of 50 agents on loopback (one snmpd on 50 UDP ports),
# polled by Telltale's SNMP engine, by snmpbulkwalk and by a long-lived poller on net-snmp's
# library (bench/snmp/netsnmp_poll.c) in the same run, v2c and v3 (SHA + AES); wall and CPU time.
# One command from the repository root:  bash bench/snmp/run.sh
# Writes bench/SNMP_RESULTS.md. Listens on 127.0.0.1 only; every process is stopped on exit.
# BENCH_SNMP_AGENTS (50) and BENCH_SNMP_ROUNDS (20) change the size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in snmpd snmpbulkwalk net-snmp-config cmake gcc python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
source bench/lib.sh
bench_workdir snmp
# The engine and the counter logic, linked from the Release build's library.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target snmp_bench
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' build/CMakeCache.txt)"
[[ "$build_type" == "Release" ]] || echo "snmp-bench: warning: build/ is '$build_type', not Release" >&2
# The peer on net-snmp's own library, built as Debian builds its tools (-O2).
gcc -O2 bench/snmp/netsnmp_poll.c $(net-snmp-config --cflags) $(net-snmp-config --libs) -o "$WORK/netsnmp_poll"
bench_driver BENCH_SNMP_BINARY="$ROOT/build/snmp_bench" BENCH_NETSNMP_BINARY="$WORK/netsnmp_poll" \
  python3 bench/snmp/bench_snmp.py
