#!/usr/bin/env bash
# Compiles and runs the unit and integration tests alone, without the fidelity suite (`npm run test:unit`).
# The integration tests need a Docker engine that responds; `bash scripts/test.sh` starts one when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests analyse hundreds of throwaway trees. Their stat caches and build logs go to a scratch folder
# that is removed at the end, not to the user's cache folder.
IMAGESUM_CACHE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/imagesum-test-cache.XXXXXX")"
export IMAGESUM_CACHE_DIR
trap 'rm -rf "$IMAGESUM_CACHE_DIR"' EXIT

npm run build --silent
node --test --test-concurrency=2 dist/test/
