#!/usr/bin/env bash
# Fails when a tracked file differs from what the formatters make of it: clang-format (the
# repository's .clang-format) for C++, prettier and eslint for web/ (when its packages are
# installed). `--fix` rewrites the C++ files instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Without clang-format the check below would find no complaint and pass: refuse instead.
command -v clang-format >/dev/null || { echo "clang-format is missing (install-deps.sh --test)" >&2; exit 1; }
mapfile -t cxx < <(git ls-files '*.cpp' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${cxx[@]}"
  exit 0
fi
# One clang-format per batch of files; its complaints name the file first.
mapfile -t drift < <(printf '%s\0' "${cxx[@]}" | xargs -0 -n 64 -P "$(nproc)" \
  clang-format --dry-run -Werror 2>&1 | grep -oE '^[^:]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u || true)
if ((${#drift[@]})); then
  printf 'not formatted: %s\n' "${drift[@]}" >&2
  echo "run: bash packaging/check-format.sh --fix" >&2
  exit 1
fi
echo "clang-format: ${#cxx[@]} files formatted"
if [[ -x packaging/check-format-web.sh ]]; then
  bash packaging/check-format-web.sh
fi
