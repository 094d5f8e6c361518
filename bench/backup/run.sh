#!/usr/bin/env bash
# Backup benchmark: `telltale backup` of a running server holding 10 M samples and 10,000 checks,
# the API's p99 latency while it runs (beside the same requests without it), and the time and
# size of the backup beside Debian's `sqlite3 .backup` plus `zstd` of the same files. One command
# from the repository root:
#   bash bench/backup/run.sh
# Writes bench/BACKUP_RESULTS.md. Everything runs on loopback; every process is stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
for tool in sqlite3 zstd python3; do
  command -v "$tool" >/dev/null 2>&1 || { bash packaging/install-deps.sh --test; break; }
done
if [[ ! -x build/telltale ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
source bench/lib.sh
bench_workdir backup
mkdir -p bench/out
bench_driver BENCH_BINARY="$ROOT/build/telltale" python3 bench/backup/bench_backup.py
