#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the npm packages, starts a Docker engine
# when none answers (installing Debian's docker.io if needed), compiles, runs the unit and integration
# tests, then the fidelity suite against the real builders. Stops only the engine it started.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error

engine_dir="$(mktemp -d "${TMPDIR:-/tmp}/imagesum-test-engine.XXXXXX")"
export IMAGESUM_ENGINE_DIR="$engine_dir"
stop_engine() {
  bash scripts/engine.sh stop || true
  rm -rf "$engine_dir"
}
trap stop_engine EXIT
bash scripts/engine.sh

npm run build --silent
node --test --test-concurrency=2 dist/test/
if [ -d dist/fidelity ]; then
  node dist/fidelity/run.js
fi
