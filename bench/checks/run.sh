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
# fping's network namespace, when the run was cut short
bench_cleanup_extra() {
  for ns in $(ip netns list 2>/dev/null | awk '/^telltale-bench-/ {print $1}'); do ip netns delete "$ns"; done
}
source bench/lib.sh
bench_workdir checks
mkdir -p bench/out
bench_driver BENCH_BINARY="$ROOT/build/telltale" python3 bench/checks/bench_checks.py
