#!/usr/bin/env bash
# The whole test suite: installs what the tests need, starts the S3 (moto) and Azure (Azurite)
# servers on 127.0.0.1, runs every test, stops the servers, and ends with the plain line
# "N passed, N failed" (CI reads it). Exit status is the tests' status.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO="$(command -v deno || echo 'npx -y deno@2')"

bash scripts/ensure_tools.sh || echo "test.sh: some tools could not be installed; their tests will fail" >&2
# Every temporary file and dataset the tests make goes under one folder, removed at the end.
TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/dl-driver-tests.XXXXXX")"
export TMPDIR="$TEST_TMP"
# The suite needs about 1 GiB there at its peak (a 1 GiB checkpoint); a full disk fails tests far from the cause.
free_mib="$(df -Pm "$TEST_TMP" | awk 'NR==2{print $4}')"
echo "test.sh: ${free_mib:-?} MiB free under $TEST_TMP" >&2
if [ -n "$free_mib" ] && [ "$free_mib" -lt 1536 ]; then
  echo "test.sh: under 1.5 GiB free there; tests that write data may fail with 'No space left'" >&2
fi
. scripts/servers.sh
trap 'stop_servers; rm -rf "$TEST_TMP"' EXIT

log="$(mktemp)"
# Tests need every permission: they start subprocesses (the CLI, python3, moto) and read
# /proc/self/io, which Deno only allows with --allow-all. The CLI itself runs with less.
$DENO test -A --no-prompt "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
line="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)"
passed="$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$line")"
failed="$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$line")"
rm -f "$log"
stop_servers
if [ -z "$passed" ]; then
  echo "0 passed, 1 failed"
  exit "${status:-1}"
fi
echo "${passed} passed, ${failed:-0} failed"
exit "$status"
