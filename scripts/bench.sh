#!/usr/bin/env bash
# deno task bench: dl-driver beside fio on the same files, in the same run; per-format, scale,
# memory, checkpoint and retinanet-like benches.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO="$(command -v deno || echo 'npx -y deno@2')"
bash scripts/ensure_tools.sh || exit 1
. scripts/servers.sh
trap stop_servers EXIT
echo "Client efficiency: dl-driver beside fio on the same files (samples/s, CPU µs per sample, ratio):"
$DENO run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi --allow-run \
  scripts/bench_efficiency.ts "$@"
echo
$DENO run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi \
  scripts/bench_s3.ts
echo
echo "Per-format generate and read throughput (local files, warm page cache):"
$DENO run --allow-read --allow-write --allow-net --allow-env --allow-sys --allow-ffi \
  scripts/bench_formats.ts
echo
echo "Scale: accelerators per client, CPU per sample per profile, memory per accelerator and plan:"
$DENO run --allow-read --allow-write --allow-env --allow-sys --allow-ffi --allow-run \
  scripts/bench_scale.ts
echo
echo "Memory: peak RSS by samples read (synthetic), histogram error vs exact percentiles:"
$DENO run --allow-read --allow-write --allow-env --allow-sys --allow-ffi --allow-run \
  scripts/bench_memory.ts
echo
echo "Checkpoints: write and restore vs fio (same size and block size), zstd levels:"
$DENO run --allow-read --allow-write --allow-env --allow-sys --allow-ffi --allow-run \
  scripts/bench_checkpoint.ts
echo
echo "Retinanet-like (MLPerf Storage v3.0): 100 k small JPEG files, read as bytes and decoded:"
$DENO run --allow-read --allow-write --allow-env --allow-sys --allow-ffi --allow-run \
  scripts/bench_retinanet.ts
