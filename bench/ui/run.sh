#!/usr/bin/env bash
# Web UI benchmark: bundle sizes, time to render the overview with 5,000 nodes and the checks page
# with 5,000 checks (both with heartbeat bars) beside the peer,
# Debian's Prometheus showing the same 5,000 things on its targets page, in the same Chromium in
# the same run, and the cost of applying 1,000 live node status changes a second, in Debian's
# Chromium (headless), measured with the browser's performance timeline. One command from the
# repository root:
#   bash bench/ui/run.sh
# Knobs (environment): NODES (both pages), CHECKS, LOADS, FLIPPERS, DURATION_S, PUSH_CONNECTIONS,
# PEER=none (Telltale alone). Writes bench/UI_RESULTS.md (overwritten); logs and every load's
# numbers under bench/out/ui/. Everything runs on 127.0.0.1; the peer's scrape targets are a
# closed loopback port.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
command -v chromium >/dev/null && command -v node >/dev/null && command -v prometheus >/dev/null \
  || bash packaging/install-deps.sh --test
# TELLTALE_BIN (and TELLTALE_WEB_DIR, built by web/build.mjs --outdir) use a binary built elsewhere.
if [[ -z ${TELLTALE_BIN:-} && ( ! -x build/telltale || ! -f build/web-dist-sizes.json ) ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTELLTALE_TESTS=OFF >/dev/null
  cmake --build build -j2 --target telltale
fi
[[ -d tests/e2e/node_modules/playwright-core ]] || npm ci --prefix tests/e2e --no-audit --no-fund --silent
mkdir -p bench/out/ui
node bench/ui/bench_ui.mjs "$@"
