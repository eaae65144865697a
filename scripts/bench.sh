#!/usr/bin/env bash
# deno task bench: dl-driver read throughput vs fio on the same files, in the same run.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO="$(command -v deno || echo 'npx -y deno@2')"
bash scripts/ensure_tools.sh || exit 1
. scripts/servers.sh
trap stop_servers EXIT
$DENO run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi --allow-run=fio \
  scripts/bench.ts "$@"
echo
echo "Per-format generate and read throughput (local files, warm page cache):"
$DENO run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi \
  scripts/bench_formats.ts
