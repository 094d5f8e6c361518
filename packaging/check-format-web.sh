#!/usr/bin/env bash
# Fails when a file of web/, or a JS test of the UI (tests/web, tests/e2e), drifts from
# prettier's format or breaks a lint rule (web/.prettierrc, web/eslint.config.js; the scripts of
# web/package.json name the files). `npm run format` in web/ rewrites them.
set -euo pipefail
cd "$(dirname "$0")/../web"
[[ -x node_modules/.bin/prettier && -x node_modules/.bin/eslint ]] || npm ci --no-audit --no-fund --silent
npm run --silent format:check
npm run --silent lint
echo "web: formatted and lint-clean"
