#!/usr/bin/env bash
# Installs what is missing, builds a Release binary and starts `telltale serve` with the
# embedded defaults (port 8470, data in /var/lib/telltale as root). Extra arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTELLTALE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target telltale
exec ./build/telltale serve "$@"
