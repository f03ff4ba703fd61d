# Sourced by scripts that need a Docker engine for one run: starts dockerd through scripts/engine.sh when
# none responds, and on exit stops only the dockerd it started. Expects to run from the repository root.
engine_dir="$(mktemp -d "${TMPDIR:-/tmp}/imagesum-engine.XXXXXX")"
export IMAGESUM_ENGINE_DIR="$engine_dir"
stop_engine() {
  bash scripts/engine.sh stop || true
  rm -rf "$engine_dir"
}
trap stop_engine EXIT
bash scripts/engine.sh
