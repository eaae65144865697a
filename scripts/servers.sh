#!/usr/bin/env bash
# Start the storage servers the tests use, on 127.0.0.1, and print the environment that points
# the tests at them. Source it: `. scripts/servers.sh`; `stop_servers` stops exactly those PIDs.
# S3: moto_server (keeps data in RAM). Azure Blob: Azurite (in-memory persistence).

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

wait_port() { # port, name, pid
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "servers: $2 exited while starting" >&2; return 1; }
    sleep 0.1
  done
  echo "servers: $2 did not start on port $1" >&2
  return 1
}

SERVER_PIDS=()
stop_servers() {
  for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  SERVER_PIDS=()
}

if command -v moto_server >/dev/null 2>&1; then
  S3_PORT="$(free_port)"
  moto_server -H 127.0.0.1 -p "$S3_PORT" >/tmp/dl-driver-moto.log 2>&1 &
  SERVER_PIDS+=($!)
  if wait_port "$S3_PORT" moto_server "$!"; then
    export DL_DRIVER_TEST_S3_ENDPOINT="http://127.0.0.1:${S3_PORT}"
  fi
fi

AZURITE="$(pwd)/.cache/azurite/node_modules/.bin/azurite-blob"
if [ -x "$AZURITE" ]; then
  AZ_PORT="$(free_port)"
  "$AZURITE" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --inMemoryPersistence --disableTelemetry \
    --skipApiVersionCheck --silent --loose >/tmp/dl-driver-azurite.log 2>&1 &
  SERVER_PIDS+=($!)
  if wait_port "$AZ_PORT" azurite "$!"; then
    key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    export DL_DRIVER_TEST_AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${AZ_PORT}/devstoreaccount1;"
  fi
fi
