#!/usr/bin/env bash
# Fault storm through the whole program (ctest label "live"): `presign sign s3://…` and
# `presign ls` list 100,000 keys from the fake S3 server (tests/support/fake_s3_main.cpp, SigV4
# verified) while it injects 503 SlowDown, resets in the middle of the headers and of the
# body, and, in a second round, every other transient fault it knows. Checks: exit 0, every key
# exactly once and in order (0 lost, 0 duplicated), the server really injected >= 300 SlowDown
# and >= 20 resets; then that refused credentials end the listing at once (exit 3, no output
# file, the secret in no message).
# usage: s3_list_storm.sh PATH/TO/presign PATH/TO/fake_s3_server
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_S3_FAULTS"
need_exe "$FAKE" "fake_s3_server binary" "build target fake_s3_server"
need_exe "$PY" python3
need_cmd timeout "coreutils"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-storm.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
stop_server() {  # stop_server: SIGTERM, wait; the counters land in $WORK/server.out
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

NKEYS=100000
SECRET='stormSecret/Value+0123456789abcdefXYZ'
export FAKE_S3_ACCESS_KEY_ID=AKIDSTORMTEST FAKE_S3_SECRET_ACCESS_KEY="$SECRET"
export AWS_ACCESS_KEY_ID=AKIDSTORMTEST AWS_SECRET_ACCESS_KEY="$SECRET"
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials

# start_server ARGS...: starts the fake (under timeout, so it cannot outlive the test) and sets
# ENDPOINT once it listens.
start_server() {
  timeout 600 "$FAKE" --keys "$NKEYS" --verify-sigv4 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  ENDPOINT=""
  for _ in $(seq 100); do
    ENDPOINT=$(sed -n 's#^fake_s3_server listening on \(http://127.0.0.1:[0-9]*\)/bucket .*#\1#p' "$WORK/server.out")
    [ -n "$ENDPOINT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail_setup "fake_s3_server did not start: $(cat "$WORK/server.err")"
}
counter() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$WORK/server.out"; }

# The keys the fake serves: obj/ + zero-padded index, in byte order.
"$PY" -c "
import sys
sys.stdout.write(''.join('obj/%010d\n' % i for i in range($NKEYS)))" >"$WORK/want.txt"

# check_keys NAME FILE FORMAT: the keys of FILE (tsv, ndjson or keys) must be want.txt exactly.
check_keys() {
  if "$PY" - "$WORK/want.txt" "$2" "$3" <<'PYEOF'; then ok; else bad "$1: keys differ from the served ones (above)"; fi
import json, sys
want = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
data = open(sys.argv[2], "rb").read()
fmt = sys.argv[3]
lines = data.split(b"\n")
if lines[-1] != b"":
    print("    no final newline"); sys.exit(1)
lines = lines[:-1]
if fmt == "tsv":
    got = [l.split(b"\t")[0] for l in lines]
elif fmt == "ndjson":
    got = [json.loads(l)["key"].encode() for l in lines]
else:
    got = lines
lost = len(set(want) - set(got))
dups = len(got) - len(set(got))
if got != want:
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("    %d keys for %d: %d lost, %d duplicated, first difference at #%d: %r vs %r"
          % (len(got), len(want), lost, dups, first, got[first:first + 1], want[first:first + 1]))
    sys.exit(1)
print("    %d keys, each once, in order (0 lost, 0 duplicated)" % len(got))
PYEOF
}

common=(--endpoint PLACEHOLDER --region us-east-1 --retry-base-delay 1ms --quiet)
with_endpoint() { common[1]=$ENDPOINT; }

echo "== storm 1: SlowDown and resets while signing $NKEYS keys (250 a page) =="
start_server --seed 7 --fault slowdown=0.45 --fault reset-headers=0.05 --fault reset-body=0.05
with_endpoint
timeout 300 "$PRESIGN" sign s3://bucket/obj/ "${common[@]}" --page-size 250 --signing-time 2024-01-01T00:00:00Z \
  --format tsv --threads 2 --output "$WORK/storm1.tsv" 2>"$WORK/storm1.err"
rc=$?
stop_server
if [ "$rc" -eq 0 ]; then ok; else bad "storm 1: presign sign exited $rc: $(head -c 600 "$WORK/storm1.err")"; fi
check_keys "storm 1" "$WORK/storm1.tsv" tsv
slow=$(counter fault.slowdown); rh=$(counter fault.reset-headers); rb=$(counter fault.reset-body)
echo "  injected: slowdown=$slow reset-headers=$rh reset-body=$rb requests=$(counter requests)"
if [ "${slow:-0}" -ge 300 ]; then ok; else bad "storm 1: only ${slow:-0} SlowDown injected (want >= 300)"; fi
if [ $(( ${rh:-0} + ${rb:-0} )) -ge 20 ]; then ok; else bad "storm 1: only $(( ${rh:-0} + ${rb:-0} )) resets injected (want >= 20)"; fi
if [ "$(counter auth_failures)" = 0 ]; then ok; else bad "storm 1: the server refused $(counter auth_failures) signatures"; fi

echo "== storm 2: presign ls under every transient fault (1000 a page) =="
start_server --seed 11 --fault slowdown=0.2 --fault reset-headers=0.1 --fault reset-body=0.1 \
  --fault internal-error=0.05 --fault bad-gateway=0.05 --fault gateway-timeout=0.05 \
  --fault truncated-body=0.05 --fault malformed-xml=0.05 --fault silent-close=0.05 \
  --fault request-timeout-400=0.05 --fault empty-page=0.05 --fault chunked=0.05
with_endpoint
timeout 300 "$PRESIGN" ls s3://bucket/obj/ "${common[@]}" --output "$WORK/storm2.keys" 2>"$WORK/storm2.err"
rc=$?
stop_server
if [ "$rc" -eq 0 ]; then ok; else bad "storm 2: presign ls exited $rc: $(head -c 600 "$WORK/storm2.err")"; fi
check_keys "storm 2" "$WORK/storm2.keys" keys
echo "  injected: $(grep -E '^(faults_total|requests) ' "$WORK/server.out" | tr '\n' ' ')"
if [ "$(counter faults_total)" -ge 50 ]; then ok; else bad "storm 2: only $(counter faults_total) faults injected (want >= 50)"; fi

echo "== storm 3: presign ls --format ndjson, SlowDown only =="
start_server --seed 3 --fault slowdown=0.5
with_endpoint
timeout 300 "$PRESIGN" ls s3://bucket/obj/ "${common[@]}" --page-size 1000 --format ndjson \
  --output "$WORK/storm3.ndjson" 2>"$WORK/storm3.err"
rc=$?
stop_server
if [ "$rc" -eq 0 ]; then ok; else bad "storm 3: presign ls --format ndjson exited $rc: $(head -c 600 "$WORK/storm3.err")"; fi
check_keys "storm 3" "$WORK/storm3.ndjson" ndjson
if "$PY" - "$WORK/storm3.ndjson" <<'PYEOF'; then ok; else bad "storm 3: ndjson records lack size/last_modified (above)"; fi
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    r = json.loads(line)
    if set(r) != {"key", "size", "last_modified"} or not isinstance(r["size"], int) or not r["last_modified"]:
        print("    record %d: %r" % (n, r)); sys.exit(1)
PYEOF

echo "== refused credentials: exit 3 at once, no output, no secret =="
start_server --seed 5
with_endpoint
mkdir -p "$WORK/refused"
t0=$SECONDS
AWS_SECRET_ACCESS_KEY="wrong-$SECRET" timeout 120 "$PRESIGN" sign s3://bucket/obj/ --endpoint "$ENDPOINT" \
  --region us-east-1 --quiet --retry-base-delay 1s --output "$WORK/refused/out.ndjson" 2>"$WORK/refused.err"
rc=$?
stop_server
if [ "$rc" -eq 3 ]; then ok; else bad "refused credentials: exit $rc, want 3: $(head -c 400 "$WORK/refused.err")"; fi
if [ $((SECONDS - t0)) -lt 10 ]; then ok; else bad "refused credentials took $((SECONDS - t0)) s (a 403 must not be retried)"; fi
if grep -q 'SignatureDoesNotMatch' "$WORK/refused.err"; then ok; else bad "refused credentials: message lacks the service's code: $(cat "$WORK/refused.err")"; fi
if grep -qF -- "${SECRET:6:16}" "$WORK/refused.err"; then bad "refused credentials: the secret appears in the message"; else ok; fi
if [ -z "$(ls -A "$WORK/refused")" ]; then ok; else bad "refused credentials left files: $(ls -A "$WORK/refused")"; fi

echo "s3_list_storm: $NKEYS keys listed through 503 SlowDown, resets and other faults"
finish
