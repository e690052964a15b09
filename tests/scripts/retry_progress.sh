#!/usr/bin/env bash
# Retry reports and the progress line on stderr (ctest label "cli").
# usage: retry_progress.sh PATH/TO/presign PATH/TO/fake_s3_server
#
# - A closed port on 127.0.0.1 with --retry-max-attempts 3 --retry-base-delay 10ms: `presign
#   sign` and `presign ls` print one log line a retry ("presign: page 1: connection refused;
#   retry 1/3 in N ms", then 2/3), then the final error; --quiet prints the error only; no
#   message carries the secret key or a signature.
# - The fake S3 server injecting 503 SlowDown and 500 InternalError: `presign ls` succeeds
#   (exit 0, every key) and reports exactly as many retries as the server injected faults.
# - Through a pseudo-terminal (`script` of util-linux): a key-file job of 3,000,000 keys on one
#   thread draws a progress line with elapsed time, objects, errors, rate, percent and ETA;
#   --quiet draws none; a retry shows in the status line ("retrying page 1 (1/3): connection
#   refused") and the final error still starts a line of its own.
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_S3_SERVER"
need_exe "$FAKE" "fake_s3_server binary" "build target fake_s3_server"
need_exe "$PY" python3
need_cmd timeout "coreutils"
need_cmd script "util-linux"
PRESIGN=$(abs_path "$PRESIGN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-retry.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
stop_server() {  # SIGTERM, wait; the counters land in $WORK/server.out
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

SECRET='retryReportSecret/Value+0123456789abcdef'
export FAKE_S3_ACCESS_KEY_ID=AKIDRETRYTEST FAKE_S3_SECRET_ACCESS_KEY="$SECRET"
export AWS_ACCESS_KEY_ID=AKIDRETRYTEST AWS_SECRET_ACCESS_KEY="$SECRET"
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials
export SHELL=/bin/bash  # what `script -c` runs the command with
TS=2024-01-01T00:00:00Z

# A port nothing listens on: bound, then closed.
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') ||
  fail_setup "cannot find a free port"
CLOSED=http://127.0.0.1:$PORT
fast_retries=(--region us-east-1 --retry-max-attempts 3 --retry-base-delay 10ms)

# no_secret NAME FILE: neither the secret nor any signature part is in FILE.
no_secret() {
  if grep -qF -- "${SECRET:8:20}" "$2" || grep -qiE 'signature|x-amz-|credential=' "$2"; then
    bad "$1: a secret or a signature is in the messages: $(cat "$2")"
  else
    ok
  fi
}

# check_unreachable NAME ERRFILE RC: exit 5, two retry lines for page 1 in order, then the error.
check_unreachable() {
  local name=$1 err=$2 rc=$3
  if [ "$rc" -eq 5 ]; then ok; else bad "$name: exit $rc, want 5: $(head -c 600 "$err")"; fi
  if "$PY" - "$err" <<'PYEOF'; then ok; else bad "$name: stderr is not 2 retry lines and the error (above)"; fi
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
want = [r"presign: page 1: connection refused; retry 1/3 in \d+ ms",
        r"presign: page 1: connection refused; retry 2/3 in \d+ ms",
        r"presign: listing s3://bucket.*gave up after 3 attempts.*connection refused"]
if len(lines) != 3 or not all(re.fullmatch(w, l) for w, l in zip(want, lines)):
    print("    got: %r" % lines)
    sys.exit(1)
PYEOF
  no_secret "$name" "$err"
}

echo "== a closed port: retries are reported, then the error =="
mkdir -p "$WORK/sign"
timeout 60 "$PRESIGN" sign s3://bucket/pre/ --endpoint "$CLOSED" "${fast_retries[@]}" \
  --output "$WORK/sign/out.tsv" 2>"$WORK/sign.err"
check_unreachable "sign" "$WORK/sign.err" $?
timeout 60 "$PRESIGN" ls s3://bucket/pre/ --endpoint "$CLOSED" "${fast_retries[@]}" \
  >"$WORK/ls.out" 2>"$WORK/ls.err"
check_unreachable "ls" "$WORK/ls.err" $?
if [ -z "$(ls -A "$WORK/sign")" ]; then ok; else bad "sign left files: $(ls -A "$WORK/sign")"; fi

echo "== --quiet: the error only =="
for cmd in sign ls; do
  timeout 60 "$PRESIGN" "$cmd" s3://bucket/pre/ --endpoint "$CLOSED" "${fast_retries[@]}" --quiet \
    >/dev/null 2>"$WORK/quiet-$cmd.err"
  rc=$?
  if [ "$rc" -eq 5 ]; then ok; else bad "$cmd --quiet: exit $rc, want 5"; fi
  if [ "$(wc -l <"$WORK/quiet-$cmd.err")" -eq 1 ] &&
     grep -q '^presign: listing s3://bucket.*gave up after 3 attempts' "$WORK/quiet-$cmd.err"; then
    ok
  else
    bad "$cmd --quiet: stderr is not the error alone: $(cat "$WORK/quiet-$cmd.err")"
  fi
done

echo "== faults from the fake server: retried, reported, and the listing succeeds =="
timeout 120 "$FAKE" --keys 3000 --verify-sigv4 --seed 5 --fault slowdown=0.25 \
  --fault internal-error=0.15 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
ENDPOINT=""
for _ in $(seq 100); do
  ENDPOINT=$(sed -n 's#^fake_s3_server listening on \(http://127.0.0.1:[0-9]*\)/bucket .*#\1#p' "$WORK/server.out")
  [ -n "$ENDPOINT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ENDPOINT" ] || fail_setup "fake_s3_server did not start: $(cat "$WORK/server.err")"
timeout 120 "$PRESIGN" ls s3://bucket/ --endpoint "$ENDPOINT" --region us-east-1 --page-size 100 \
  --retry-base-delay 1ms --output "$WORK/faults.keys" 2>"$WORK/faults.err"
rc=$?
stop_server
faults=$(sed -n 's/^faults_total \([0-9]*\)$/\1/p' "$WORK/server.out")
if [ "$rc" -eq 0 ]; then ok; else bad "faults: presign ls exited $rc: $(head -c 600 "$WORK/faults.err")"; fi
if [ "$(wc -l <"$WORK/faults.keys" 2>/dev/null)" = 3000 ]; then ok; else bad "faults: not 3000 keys listed"; fi
reported=$(grep -cE '^presign: page [0-9]+: HTTP (503 SlowDown|500 InternalError).*; retry [1-7]/8 in [0-9]+ ms$' "$WORK/faults.err")
echo "  injected faults: ${faults:-?}, retry lines: $reported"
if [ "${faults:-0}" -ge 5 ]; then ok; else bad "faults: only ${faults:-0} faults injected (want >= 5)"; fi
if [ "$reported" = "${faults:-x}" ] && [ "$(wc -l <"$WORK/faults.err")" = "$reported" ]; then
  ok
else
  bad "faults: $reported retry lines for ${faults:-?} faults: $(head -c 800 "$WORK/faults.err")"
fi
no_secret "faults" "$WORK/faults.err"

echo "== the progress line through a pseudo-terminal =="
NKEYS=3000000
"$PY" -c "
import sys
sys.stdout.write(''.join('k/%07d\n' % i for i in range($NKEYS)))" >"$WORK/keys.txt"
job="'$PRESIGN' sign s3://bucket --keys-from '$WORK/keys.txt' --region us-east-1 --threads 1 --signing-time $TS --format tsv --output - >/dev/null"
t0=$(date +%s.%N)
timeout 120 script -qefc "$job" /dev/null </dev/null >"$WORK/tty.out" 2>&1
rc=$?
t1=$(date +%s.%N)
echo "  the job took $("$PY" -c "print('%.1f s' % ($t1 - $t0))")"
if [ "$rc" -eq 0 ]; then ok; else bad "tty: the job exited $rc: $(tail -c 400 "$WORK/tty.out")"; fi
if "$PY" - "$WORK/tty.out" "$NKEYS" <<'PYEOF'; then ok; else bad "tty: the progress line lacks a field (above)"; fi
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read()
n = sys.argv[2]
draws = [d for d in re.split(r"[\r\n]", text) if d.startswith("presign: elapsed")]
running = [d for d in draws if re.search(
    r"^presign: elapsed \d+\.\ds  \d+ objects  0 errors  \d+\.\d\d M URLs/s  [\d.]+ MB  \d+%  ETA \d+s\x1b\[K$", d)]
final = [d for d in draws if re.search(r"^presign: elapsed \d+\.\ds  %s objects  0 errors  .*URLs/s" % n, d)]
if not running or not final:
    print("    running draws with percent and ETA: %d, final draws: %d, sample: %r" % (len(running), len(final), draws[:3]))
    sys.exit(1)
PYEOF
timeout 120 script -qefc "$job --quiet" /dev/null </dev/null >"$WORK/tty-quiet.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "tty --quiet: the job exited $rc"; fi
if grep -qE 'elapsed|URLs/s|ETA' "$WORK/tty-quiet.out"; then bad "tty --quiet: a progress line was drawn: $(head -c 300 "$WORK/tty-quiet.out")"; else ok; fi

echo "== a retry in the status line, the error on a line of its own =="
timeout 60 script -qefc "'$PRESIGN' ls s3://bucket/pre/ --endpoint $CLOSED ${fast_retries[*]}" /dev/null \
  </dev/null >"$WORK/tty-retry.out" 2>&1
rc=$?
if [ "$rc" -eq 5 ]; then ok; else bad "tty retry: exit $rc, want 5: $(cat "$WORK/tty-retry.out")"; fi
if "$PY" - "$WORK/tty-retry.out" <<'PYEOF'; then ok; else bad "tty retry: the status line or the error is wrong (above)"; fi
import sys
text = open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read()
for want in ("\rpresign: retrying page 1 (1/3): connection refused\x1b[K",
             "\rpresign: retrying page 1 (2/3): connection refused\x1b[K"):
    if want not in text:
        print("    missing %r in %r" % (want, text)); sys.exit(1)
if "\npresign: listing s3://bucket" not in text or "; retry " in text:
    print("    the error does not start a line, or log lines were printed on a terminal: %r" % text)
    sys.exit(1)
PYEOF

finish
