#!/usr/bin/env bash
# Install what the tests and the benchmark need, if missing: numpy for the system Python
# (/usr/bin/python3, the independent NPZ reader) and fio (the benchmark's reference).
# Debian packages via apt-get; needs root (CI and these machines run as root).
set -uo pipefail

need=()
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
command -v fio >/dev/null 2>&1 || need+=(fio)
[ ${#need[@]} -eq 0 ] && exit 0

echo "ensure_tools: installing ${need[*]} (apt-get)" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "ensure_tools: could not install ${need[*]}; the tests that need them will fail" >&2
  exit 1
fi
