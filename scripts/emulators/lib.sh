# Shell helpers to run the emulators on 127.0.0.1 (sourced by scripts and tests).
# Every start records a PID; stop_emulators kills exactly those PIDs.

PRESIGN_ROOT=${PRESIGN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
EMULATOR_PIDS=()

# free_port: prints a TCP port nobody listens on (asks the kernel for one).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: waits until URL answers any HTTP status.
wait_http() {
  local url=$1 deadline=$((SECONDS + ${2:-30}))
  while [ $SECONDS -lt $deadline ]; do
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    sleep 0.2
  done
  echo "emulator at $url did not answer within ${2:-30}s" >&2
  return 1
}

# start_s3rver DATA_DIR PORT BUCKET...: @20minutes/s3rver (verifies SigV4), creds S3RVER/S3RVER.
start_s3rver() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  NODE_OPTIONS=--openssl-legacy-provider node "$PRESIGN_ROOT/scripts/emulators/s3rver.js" \
    "$dir" "$port" "$@" >"$dir.log" 2>&1 &
  EMULATOR_PIDS+=($!)
  wait_http "http://127.0.0.1:$port/" 30
}

stop_emulators() {
  local pid
  for pid in "${EMULATOR_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  EMULATOR_PIDS=()
}
