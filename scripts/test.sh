#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the npm packages, starts a Docker engine
# when none responds (installing Debian's docker.io if needed), compiles, runs the unit and integration
# tests, then the fidelity suite against the real builders. Stops only the engine it started.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error

source scripts/engine-for-run.sh

npm run build --silent
node --test --test-concurrency=2 dist/test/
node dist/fidelity/run.js
