#!/usr/bin/env bash
# Runs imagesum's benchmarks against their limits and peers (see bench/README.md) and prints a table.
# Arguments go to the harness; `bash scripts/bench.sh --help` lists them.
#
# On a fresh Debian machine, as root, it installs what it needs: the npm packages, GNU time and
# busybox-static, and a Docker engine through scripts/engine.sh when none responds. It removes the
# imagesum-bench/... images it created when it ends, also after a failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/time ] || missing+=(time)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench.sh: installing ${missing[*]} with apt-get" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/engine.sh >/dev/null
# tsc writes JavaScript even when it reports type errors, so a type error elsewhere in the tree
# does not stop the benchmark. The compiled files it runs must exist, though.
if ! npx tsc -p .; then
  echo "bench.sh: tsc reported type errors (above); measuring the JavaScript it emitted" >&2
fi
node scripts/bundle.mjs
for file in dist/bin/main.js dist/bench/run.js; do
  [ -f "$file" ] || { echo "bench.sh: $file is missing after tsc; fix the compile errors above" >&2; exit 1; }
done

# The harness removes its images itself. This trap also removes them after a run stopped part-way.
cleanup() {
  node dist/bench/run.js --cleanup-only >&2 || true
}
keep=false
for arg in "$@"; do
  [ "$arg" = --keep-images ] && keep=true
done
[ "$keep" = true ] || trap cleanup EXIT

node dist/bench/run.js "$@"
