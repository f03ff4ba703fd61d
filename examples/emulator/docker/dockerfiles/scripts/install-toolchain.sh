#!/bin/sh
# Records the toolchain a real image would install here.
set -e
echo "toolchain for $1 built with $2 jobs" > "/etc/emu/toolchain-$1"
