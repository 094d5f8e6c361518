#!/usr/bin/env bash
# Hostile soak (see soak.py): Telltale and Prometheus under normal clients, slowloris sockets, a
# regex query and (Telltale) an SNMP trap flood. One command from the repository root:
#   bash bench/soak/run.sh            (SOAK_SECONDS=120 by default, per server)
# Writes bench/SOAK_RESULTS.md. Everything stays on 127.0.0.0/8 and stops by itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
command -v prometheus >/dev/null || bash packaging/install-deps.sh --test
if [[ ! -x build/telltale ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j"$(nproc)" --target telltale
fi
SOAK_BIN="$ROOT/build/telltale" SOAK_OUT="$ROOT/bench/SOAK_RESULTS.md" python3 bench/soak/soak.py
