#!/usr/bin/env bash
# Runs the fidelity suite on its own: builds every case of fidelity/cases before and after its edit with
# BuildKit and the classic builder, and checks that imagesum's checksum changes whenever the image does.
# Starts a Docker engine when none responds (as scripts/test.sh does) and stops only the engine it started.
# Arguments go to the suite, for example: bash scripts/fidelity.sh --filter dockerignore --builder classic
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

source scripts/engine-for-run.sh

npx tsc -p .
node dist/fidelity/run.js "$@"
