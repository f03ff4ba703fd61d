#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the npm packages, starts a Docker engine
# when none responds (installing Debian's docker.io if needed), compiles, runs the unit and integration
# tests, then the fidelity suite against the real builders. Stops only the engine it started.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error

source scripts/engine-for-run.sh

# The tests analyse hundreds of throwaway trees. Their stat caches and build logs go to a scratch folder
# that is removed at the end, not to the user's cache folder.
IMAGESUM_CACHE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/imagesum-test-cache.XXXXXX")"
export IMAGESUM_CACHE_DIR
stop_engine_and_clean() {
  rm -rf "$IMAGESUM_CACHE_DIR"
  stop_engine
}
trap stop_engine_and_clean EXIT

npm run build --silent
node --test --test-concurrency=2 dist/test/
node dist/fidelity/run.js
