#!/usr/bin/env bash
# Compares Telltale's chunk codec with VictoriaMetrics on the same synthetic samples.
# usage: bench/tsdb/run.sh [scale]   (scale 1 = 40 ping, 400 counter, 600 gauge series x 1 day)
# Needs g++ and victoria-metrics (apt-get install -y victoria-metrics). Only 127.0.0.1 traffic.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scale="${1:-1}"
work="$(mktemp -d /tmp/tt-codec-bench.XXXXXX)"
vm_pid=""
cleanup() { [[ -n "$vm_pid" ]] && kill "$vm_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

g++ -std=c++20 -O2 -I"$root/src" "$here/codec_size.cpp" "$root/src/tsdb/codec.cpp" \
  $(ls "$root"/src/tsdb/codec_*.cpp 2>/dev/null) -o "$work/codec_size"
"$work/codec_size" --scale "$scale" --out-dir "$work" | tee "$work/telltale.txt"

metric() {  # sum of a /metrics series matching a regex
  curl -s "http://127.0.0.1:$port/metrics" | awk -v re="$1" '$0 ~ re { s += $NF } END { printf "%.0f", s }'
}

echo
printf '%-8s %12s %10s %10s %10s %8s\n' class tt_B/sample vm_B/sample vm_du_B/s vm_idx_B/s ratio
for class in ping counter gauge; do
  port=$((18428 + RANDOM % 1000))
  data="$work/vm-$class"
  victoria-metrics -storageDataPath "$data" -httpListenAddr "127.0.0.1:$port" \
    -retentionPeriod 100y -loggerLevel ERROR >"$work/vm-$class.log" 2>&1 &
  vm_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  curl -sf --data-binary "@$work/$class.jsonl" "http://127.0.0.1:$port/api/v1/import"
  curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null
  sleep 2
  curl -sf "http://127.0.0.1:$port/internal/force_merge" >/dev/null
  # Wait until no merge is running and the size is stable.
  prev=-1
  for _ in $(seq 120); do
    sleep 1
    curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null
    size=$(metric '^vm_data_size_bytes\{type="storage/(small|big)"\}')
    active=$(metric '^vm_active_merges\{type="storage/(small|big)"\}')
    [[ "$size" == "$prev" && "$active" == "0" ]] && break
    prev=$size
  done
  rows=$(metric '^vm_rows\{type="storage/(small|big)"\}')
  idx=$(metric '^vm_data_size_bytes\{type="indexdb')
  samples=$(awk -v c="$class" '$1 == c { print $2 }' "$work/telltale.txt")
  tt=$(awk -v c="$class" '$1 == c { print $4 }' "$work/telltale.txt")
  [[ "$rows" == "$samples" ]] || echo "warning: VM holds $rows rows of $samples for $class" >&2
  du=$(du -sb "$data/data" | cut -f1)  # cross-check: whole data dir, metadata files included
  awk -v c="$class" -v tt="$tt" -v s="$size" -v n="$samples" -v i="$idx" -v du="$du" \
    'BEGIN { vm = s / n; printf "%-8s %12.4f %10.4f %10.4f %10.4f %8.3f\n", c, tt, vm, du / n, i / n, tt / vm }'
  kill "$vm_pid"; wait "$vm_pid" 2>/dev/null || true; vm_pid=""
done
echo "ratio = telltale codec bytes / VM storage bytes (vm_data_size_bytes of small+big parts);"
echo "vm_du = du -sb of VM's data dir; VM's indexdb is shown apart (Telltale's index is SQLite)."
