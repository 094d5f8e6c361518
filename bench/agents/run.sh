#!/usr/bin/env bash
# Agent benchmarks: `telltale agent` beside Debian's prometheus-node-exporter scraped by
# Prometheus in agent mode at the same interval (1 s and 10 s), and the hub under `telltale sim`
# (1,000 agents x 300 series every 10 s), checks made by an agent, and the replay of a day's
# backlog. One command from the repository root:
#   bash bench/agents/run.sh
# (BENCH_AGENTS_ONLY=replay: the replay alone, its section of the results replaced.)
# Writes bench/AGENT_RESULTS.md. Everything runs on 127.0.0.0/8; every process is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in prometheus-node-exporter prometheus python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
if [[ ! -x build/telltale ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
source bench/lib.sh
bench_workdir agents
mkdir -p bench/out
bench_driver BENCH_BINARY="$ROOT/build/telltale" python3 bench/agents/bench_agents.py
