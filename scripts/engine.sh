#!/usr/bin/env bash
# Provides a Docker engine for imagesum's integration tests.
#
#   scripts/engine.sh         start dockerd unless an engine already responds, then print its PID file path
#   scripts/engine.sh stop    stop the dockerd that this script started, and no other
#
# When no engine responds, the script installs Debian's docker.io and busybox-static with apt-get if they
# are missing, so it needs root or sudo. An engine that was already running is left alone.
#
# Environment:
#   IMAGESUM_ENGINE_DIR      folder for the PID file and log (default: $TMPDIR/imagesum-engine or /tmp/...)
#   IMAGESUM_ENGINE_SOCKET   start a separate dockerd on this unix socket, with its data and state under
#                            IMAGESUM_ENGINE_DIR and no bridge network, instead of the default
#                            /var/run/docker.sock with /var/lib/docker. This lets the script be tested on
#                            a machine whose own engine must not be touched.
#   IMAGESUM_ENGINE_WAIT     seconds to wait for a started dockerd to respond (default: 60)
set -euo pipefail

state_dir="${IMAGESUM_ENGINE_DIR:-${TMPDIR:-/tmp}/imagesum-engine}"
pid_file="$state_dir/dockerd.pid"
log_file="$state_dir/dockerd.log"
wait_seconds="${IMAGESUM_ENGINE_WAIT:-60}"
socket="${IMAGESUM_ENGINE_SOCKET:-}"

log() {
  echo "engine.sh: $*" >&2
}

# Debian's client at /usr/bin/docker comes with the docker.io package that this script installs.
docker_client() {
  if [ -x /usr/bin/docker ]; then
    echo /usr/bin/docker
  else
    command -v docker || true
  fi
}

engine_responds() {
  local client
  client="$(docker_client)"
  if [ -z "$client" ]; then
    return 1
  fi
  if [ -n "$socket" ]; then
    "$client" -H "unix://$socket" info >/dev/null 2>&1
  else
    "$client" info >/dev/null 2>&1
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    log "'$*' needs root; run this script as root or install sudo"
    exit 1
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  log "installing ${missing[*]} with apt-get"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# Prints the PID in the PID file when that process is a running dockerd, and nothing otherwise.
started_pid() {
  local pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    echo "$pid"
  fi
}

start() {
  if engine_responds; then
    log "the Docker engine already responds; leaving it alone"
    return 0
  fi

  # When a dockerd runs but does not respond, the client cannot use its socket (permissions or DOCKER_HOST).
  # A second dockerd on the same socket would not fix that.
  if [ -z "$socket" ] && command -v pgrep >/dev/null && pgrep -x dockerd >/dev/null; then
    # `docker version` names the connection error, where a failed `docker info` prints only a summary.
    log "dockerd is running but does not respond: $("$(docker_client)" version --format '{{.Server.Version}}' 2>&1 >/dev/null | head -n 1)"
    log "fix DOCKER_HOST or access to the socket (the docker group, or sudo); no second engine was started"
    exit 1
  fi

  install_packages
  mkdir -p "$state_dir"

  # Holding a lock keeps two test runs from starting two engines at once. The second waits and then finds
  # the first one's engine responding.
  exec 9>"$state_dir/lock"
  flock 9
  if engine_responds; then
    log "the Docker engine already responds; leaving it alone"
    return 0
  fi

  local dockerd_args=(--pidfile "$pid_file")
  if [ -n "$socket" ]; then
    dockerd_args+=(-H "unix://$socket" --data-root "$state_dir/data" --exec-root "$state_dir/exec"
      --bridge none --iptables=false --ip-masq=false)
  fi

  if [ -z "$(started_pid)" ]; then
    log "starting dockerd, log in $log_file"
    # setsid detaches dockerd from this shell's session, so it keeps running after the script exits.
    as_root setsid dockerd "${dockerd_args[@]}" >"$log_file" 2>&1 </dev/null &
  fi

  local waited=0
  until engine_responds; do
    if [ "$waited" -ge "$wait_seconds" ]; then
      log "dockerd did not respond within $wait_seconds s; last lines of $log_file:"
      tail -n 20 "$log_file" >&2 || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "$pid_file"
}

stop() {
  local pid
  pid="$(started_pid)"
  if [ -z "$pid" ]; then
    log "no running dockerd was started by this script (PID file $pid_file); nothing to stop"
    return 0
  fi

  log "stopping dockerd $pid"
  as_root kill -TERM "$pid"
  local waited=0
  while [ -d "/proc/$pid" ]; do
    if [ "$waited" -ge 30 ]; then
      log "dockerd $pid did not exit within 30 s after SIGTERM; see $log_file"
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$pid_file"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *)
    log "unknown command '$1'; use 'scripts/engine.sh' to start or 'scripts/engine.sh stop'"
    exit 2
    ;;
esac
