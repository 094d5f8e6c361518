#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests on a
# Release build, the browser end-to-end tests, the same unit and integration tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and short libFuzzer runs of every target.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-25}

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

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
stage_done release

echo "== ASan + UBSan build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTELLTALE_SANITIZE=ON "${launcher[@]}" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TELLTALE_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'e2e|web'
stage_done sanitizers

echo "== libFuzzer targets, ${fuzz_seconds}s each"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DTELLTALE_FUZZ=ON -DTELLTALE_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$jobs"
for target in build-fuzz/tests/fuzz/fuzz_*; do
  [[ -x $target ]] || continue
  name=$(basename "$target")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=tests/fuzz/corpus/$name
  [[ -d $seeds ]] || seeds=
  "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=0 "$corpus" $seeds 2>build-fuzz/$name.log \
    || { tail -50 build-fuzz/$name.log; echo "fuzz target $name failed"; exit 1; }
  echo "$name: $(grep -c . "$corpus"/* 2>/dev/null | wc -l) corpus entries, no crash in ${fuzz_seconds}s"
done
stage_done fuzz
echo "stage times: ${stage_times[*]}"
# Release tests, sanitizer tests, fuzz targets: the three stages, each of which exits on failure.
echo "stages: 3 passed, 0 failed"
