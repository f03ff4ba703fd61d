#!/usr/bin/env bash
# Runs imagesum's main job on the bundled emulator example, from a fresh Debian machine. It installs the npm
# packages, starts a Docker engine when none responds, and imports a local busybox base image, so no
# registry is needed. Then it shows the graph, the status, a build, and the status again.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error
bash scripts/engine.sh >/dev/null
npm run build --silent

docker_client=/usr/bin/docker
[ -x "$docker_client" ] || docker_client="$(command -v docker)"
if ! "$docker_client" image inspect imagesum-example/busybox:1 >/dev/null 2>&1; then
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for tool in sh echo cat mkdir ls cp chmod touch rm; do ln -s busybox "$rootfs/bin/$tool"; done
  tar -C "$rootfs" -c . | "$docker_client" import - imagesum-example/busybox:1 >/dev/null
  rm -rf "$rootfs"
fi

imagesum() { node dist/bin/main.js "$@"; }
imagesum -C examples/emulator graph
imagesum -C examples/emulator status || true
imagesum -C examples/emulator build --progress plain
imagesum -C examples/emulator status --check
