#!/usr/bin/env bash
# Install what the tests and the benchmark need, if missing:
# - numpy, Pillow and h5py for the system Python (/usr/bin/python3): independent readers
# - fio: the benchmark's reference
# - Open MPI (mpirun + libmpi.so.40): the MPI tests load libmpi through FFI
# - chromium: renders the HTML report headless in a test
# - moto_server (Python moto): a real S3 server on 127.0.0.1
# - azurite (npm, runs on the machine's Node): a real Azure Blob server on 127.0.0.1
# - speedscope (npm, its built web app): a real trace viewer that loads our traces in Chromium
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

need=()
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || need+=(python3-pil)
/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1 || need+=(python3-h5py)
command -v fio >/dev/null 2>&1 || need+=(fio)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/*/libmpi.so.40 >/dev/null 2>&1 || need+=(libopenmpi-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "ensure_tools: installing ${need[*]} (apt-get)" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "ensure_tools: could not install ${need[*]}" >&2
    status=1
  fi
fi

# pip: use the machine's configured indexes explicitly, so pip does not first wait on an
# unreachable public index.
pip_index_args() {
  local idx extra urls=() out=() u
  idx="$(python3 -m pip config get global.index-url 2>/dev/null || true)"
  extra="$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)"
  [ -n "$idx" ] && urls+=("$idx")
  for u in $extra; do urls+=("$u"); done
  [ ${#urls[@]} -eq 0 ] && return 0
  out+=(--index-url "${urls[0]}")
  for u in "${urls[@]:1}"; do out+=(--extra-index-url "$u"); done
  echo "${out[@]}"
}

if ! command -v moto_server >/dev/null 2>&1; then
  echo "ensure_tools: installing moto[server] (pip)" >&2
  # shellcheck disable=SC2046
  python3 -m pip install --quiet $(pip_index_args) "moto[server]>=5" >&2 || status=1
fi

# TensorFlow (the reference TFRecord reader) and pyarrow (Parquet) in their own venv.
if [ ! -x .cache/tf-venv/bin/python ] ||
  ! .cache/tf-venv/bin/python -c 'import tensorflow, pyarrow' >/dev/null 2>&1; then
  echo "ensure_tools: installing tensorflow-cpu and pyarrow (pip, venv .cache/tf-venv; ~1.7 GB)" >&2
  python3 -m venv .cache/tf-venv &&
    # shellcheck disable=SC2046
    .cache/tf-venv/bin/pip install --quiet $(pip_index_args) tensorflow-cpu pyarrow >/dev/null 2>&1 ||
    status=1
fi

AZURITE_VERSION=3.37.0
if [ ! -x .cache/azurite/node_modules/.bin/azurite-blob ]; then
  echo "ensure_tools: installing azurite@${AZURITE_VERSION} (npm) into .cache/azurite" >&2
  npm install --silent --no-audit --no-fund --prefix .cache/azurite "azurite@${AZURITE_VERSION}" >/dev/null 2>&1 || status=1
fi
SPEEDSCOPE_VERSION=1.25.0
if [ ! -f .cache/speedscope/package/dist/release/index.html ]; then
  echo "ensure_tools: fetching speedscope@${SPEEDSCOPE_VERSION} (npm) into .cache/speedscope" >&2
  mkdir -p .cache/speedscope
  (cd .cache/speedscope && npm pack --silent "speedscope@${SPEEDSCOPE_VERSION}" >/dev/null 2>&1 &&
    tar xzf "speedscope-${SPEEDSCOPE_VERSION}.tgz") || status=1
fi
exit $status
