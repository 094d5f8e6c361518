#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the formatters' checks; integration tests
# on a Release build (the binary as shipped), with the browser end-to-end tests; then one clang
# build with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's coverage
# instrumentation, which runs the unit tests, the integration tests again, and every fuzz target
# briefly. The unit tests run once, where they find the most: under the sanitizers (compiling
# them a second time cost a fifth of a cold run).
#   FUZZ_BUDGET=N   seconds for all fuzz targets together (default 120), shared equally
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_budget=${FUZZ_BUDGET:-120}

bash packaging/install-deps.sh --test
for dir in tests/e2e tests/web; do
  npm ci --prefix "$dir" --no-audit --no-fund --silent
done

# ccache, when present, makes a second run on the same machine mostly cache hits; paths are
# hashed relative to the build directory, so another clone of the repository hits too. The
# files that use a precompiled header are cached too: CMakeLists.txt wraps the launcher with the
# CCACHE_SLOPPINESS they need.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
fi
started=$SECONDS
stage_times=()
stage_done() { stage_times+=("$1 $((SECONDS - started)) s"); started=$SECONDS; }
trap 'echo "stage times: ${stage_times[*]}"' EXIT

echo "== Formatting"
bash packaging/check-format.sh
stage_done format

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTELLTALE_UNIT_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
stage_done release

# One instrumented build serves both: the sanitizers catch what the tests provoke, and the
# coverage counters the fuzz targets need cost the tests little.
echo "== ASan + UBSan build (clang, fuzzing instrumentation) and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DTELLTALE_SANITIZE=ON -DTELLTALE_FUZZ=ON -DTELLTALE_UNIT_TESTS=ON "${launcher[@]}" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TELLTALE_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'e2e|web'
stage_done sanitizers

targets=(build-asan/tests/fuzz/fuzz_*)
per_target=$((fuzz_budget / ${#targets[@]}))
((per_target >= 3)) || per_target=3
echo "== libFuzzer targets, ${per_target}s each (${#targets[@]} targets)"
for target in "${targets[@]}"; do
  [[ -x $target ]] || continue
  name=$(basename "$target")
  corpus=build-asan/corpus/$name
  mkdir -p "$corpus"
  seeds=tests/fuzz/corpus/$name
  [[ -d $seeds ]] || seeds=
  "$target" -max_total_time="$per_target" -rss_limit_mb=2048 -print_final_stats=0 "$corpus" $seeds 2>build-asan/$name.log \
    || { tail -50 build-asan/$name.log; echo "fuzz target $name failed"; exit 1; }
  echo "$name: $(find "$corpus" -type f | wc -l) corpus entries, no crash in ${per_target}s"
done
stage_done fuzz
# Formatting, Release tests, sanitizer tests, fuzz targets: each stage exits on failure.
echo "stages: 4 passed, 0 failed"
