#!/usr/bin/env bash
# Telltale's time-series store end to end, beside VictoriaMetrics and Prometheus, in one run:
#   0. the chunk codec alone (codec_size.cpp: bytes/sample, encode/decode speed)
#   1. bytes per sample on disk (same Prometheus text imported into telltale and VM over HTTP;
#      promtool create-blocks-from openmetrics for Prometheus)
#   2. HTTP ingest samples/s, telltale vs VM, same client and requests
#   3. bytes written to disk per sample in steady state (/proc/PID/io of telltale)
#   4. query latency (30-day single series raw and step=1h, 1,000 series x 24 h step=5m)
# One command from the repository root:  bash bench/tsdb/run.sh [scale]
#   scale 1 (default) = 40 ping (1 s), 400 counter (10 s), 600 gauge (15 s) series x 1 day,
#   3.46 M samples per class; about 5 minutes on 2 cores.
# Writes bench/TSDB_RESULTS.md (overwritten; nothing else in the tree). Everything listens on
# 127.0.0.1 only; every process started here is stopped on exit, the temporary dir removed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
scale="${1:-1}"
t_start=$(date +%s)

need_deps=0
for tool in victoria-metrics promtool g++ cmake python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || need_deps=1
done
if [[ $need_deps -eq 1 ]]; then
  echo "tsdb-bench: installing missing packages (packaging/install-deps.sh --test)" >&2
  bash packaging/install-deps.sh --test
fi
if [[ ! -x build/telltale ]]; then
  echo "tsdb-bench: build/telltale missing, building Release" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2 --target telltale
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' build/CMakeCache.txt 2>/dev/null || true)"
[[ "$build_type" == "Release" ]] || echo "tsdb-bench: warning: build/ is '${build_type:-unknown}', not Release" >&2

# On the disk (not tmpfs): /proc/PID/io write_bytes only counts block-device writes.
source "$root/bench/lib.sh"
bench_workdir tsdb "${TMPDIR:-/var/tmp}"

# One UTC day per series, starting at midnight two days ago: recent enough for every retention,
# and one 24 h Prometheus block per class.
now_ms=$(($(date +%s) * 1000))
start_ms=$(( (now_ms / 86400000 - 2) * 86400000 ))

g++ -std=c++20 -O2 -I"$root/src" "$here/codec_size.cpp" "$root/src/tsdb/codec.cpp" \
  $(ls "$root"/src/tsdb/codec_*.cpp 2>/dev/null) -o "$WORK/codec_size"
echo "tsdb-bench: generating data and measuring the codec (scale $scale)" >&2
"$WORK/codec_size" --scale "$scale" --start-ms "$start_ms" --prom-dir "$WORK" | tee "$WORK/codec.txt" >&2

TSDB_WORK="$WORK" TSDB_PIDFILE="$PIDFILE" TSDB_BINARY="$root/build/telltale" TSDB_BUILD_TYPE="$build_type" \
  TSDB_START_MS="$start_ms" TSDB_SCALE="$scale" TSDB_PREP_S=$(( $(date +%s) - t_start )) \
  python3 "$here/bench_tsdb.py" &
echo $! >>"$PIDFILE"
wait $!
