#!/usr/bin/env bash
# Alerting benchmark: 10,000 rules over 10,000 series evaluated by Telltale and by vmalert over
# VictoriaMetrics in the same run (both fed the same samples in real time): CPU per evaluation
# cycle, RSS and the firing alerts of each (which must agree); then 2,000 alerts firing at once,
# delivered to a local webhook receiver by Telltale and by vmalert → Alertmanager.
# One command from the repository root:  bash bench/alerts/run.sh   (about 6 minutes)
# Writes bench/ALERTS_RESULTS.md. Listens on 127.0.0.1 only; every process is stopped on exit.
# BENCH_ALERTS_BASELINE_S (60) and BENCH_ALERTS_WINDOW_S (120) change the measured windows;
# BENCH_ALERTS_SKIP_STORM=1 leaves out the notification part.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in victoria-metrics vmalert prometheus-alertmanager cmake python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
if [[ ! -x build/telltale ]]; then
  echo "alerts-bench: build/telltale missing, building Release" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' build/CMakeCache.txt 2>/dev/null || true)"
[[ "$build_type" == "Release" ]] || echo "alerts-bench: warning: build/ is '${build_type:-unknown}', not Release" >&2
source bench/lib.sh
bench_workdir alerts
bench_driver BENCH_BINARY="$ROOT/build/telltale" python3 bench/alerts/bench_alerts.py
