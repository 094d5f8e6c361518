#!/usr/bin/env bash
# Telltale benchmarks: binary size, idle memory, memory with 100 WebSocket clients, HTTP
# throughput and CPU time, each beside a Debian-packaged peer measured in the same run.
# One command from the repository root:  bash bench/run.sh
# Writes bench/RESULTS.md (overwritten) and raw outputs/logs under bench/out/ (git-ignored).
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Tools: the peers and wrk come from Debian packages via the project's own installer.
need_deps=0
for tool in victoria-metrics prometheus-node-exporter wrk strip cmake python3; do
  command -v "$tool" >/dev/null 2>&1 || need_deps=1
done
if [[ $need_deps -eq 1 ]]; then
  echo "bench: installing missing packages (packaging/install-deps.sh --test)" >&2
  bash packaging/install-deps.sh --test
fi

# The Release binary: built here only when missing.
if [[ ! -x build/telltale ]]; then
  echo "bench: build/telltale missing, building Release" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' build/CMakeCache.txt 2>/dev/null || true)"
if [[ "$build_type" != "Release" ]]; then
  echo "bench: warning: build/ is configured as '${build_type:-unknown}', not Release" >&2
fi

source bench/lib.sh
bench_workdir all

mkdir -p bench/out
bench_driver BENCH_BINARY="$ROOT/build/telltale" BENCH_BUILD_TYPE="$build_type" BENCH_DEADLINE_S=280 \
  python3 bench/bench.py
echo "bench: wrote bench/RESULTS.md" >&2
# The time-series store's benchmark beside VictoriaMetrics and Prometheus (about 3 minutes);
# BENCH_SKIP_TSDB=1 leaves it out.
if [[ -z "${BENCH_SKIP_TSDB:-}" ]]; then
  bash bench/tsdb/run.sh
fi
# SNMP polling of 50 agents beside snmpbulkwalk (under a minute); BENCH_SKIP_SNMP=1 leaves it out.
if [[ -z "${BENCH_SKIP_SNMP:-}" ]]; then
  bash bench/snmp/run.sh
fi
# 10,000 alert rules beside vmalert + VictoriaMetrics, and a burst of notifications (about 6
# minutes); BENCH_SKIP_ALERTS=1 leaves it out.
if [[ -z "${BENCH_SKIP_ALERTS:-}" ]]; then
  bash bench/alerts/run.sh
fi
