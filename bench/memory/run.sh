#!/usr/bin/env bash
# Memory benchmark (issue 26, see bench_memory.py): RSS over time of telltale idle, with 1,000
# ICMP checks at 1 s and 10 live browsers, with 5,000 HTTP checks beside blackbox_exporter and
# with 10,000 checks of four kinds; bytes written and on disk per sample beside VictoriaMetrics.
# One command from the repository root:  bash bench/memory/run.sh   (about 45 minutes;
# MEM_QUICK=1: one minute a workload; MEM_*_MINUTES, MEM_WORKLOADS in bench_memory.py).
# Writes bench/MEMORY_RESULTS.md and bench/memory_rss.png. Everything stays on 127.0.0.0/8;
# every process started is stopped on exit. BENCH_BINARY picks another telltale binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in prometheus-node-exporter prometheus-blackbox-exporter victoria-metrics gnuplot python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
[[ -x /usr/sbin/dnsmasq ]] || bash packaging/install-deps.sh --test
if [[ -z "${BENCH_BINARY:-}" ]]; then
  BENCH_BINARY="$ROOT/build/telltale"
  if [[ ! -x "$BENCH_BINARY" ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
    cmake --build build -j2 --target telltale
  fi
fi
# On the disk, not tmpfs: write_bytes of /proc/PID/io counts only block-device writes.
source bench/lib.sh
bench_workdir memory "${TMPDIR:-/var/tmp}"
mkdir -p bench/out
bench_driver BENCH_BINARY="$BENCH_BINARY" python3 bench/memory/bench_memory.py
