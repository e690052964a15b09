#!/usr/bin/env bash
# kill -9 while listing gs:// (ctest label "crash"): `presign sign gs://…` without --keys-from
# lists 12,000 names from the fake GCS server (tests/support/fake_gcs_main.cpp: OAuth2 token
# endpoint that verifies the JWT, opaque page tokens holding + / =, a few 429/503) 40 a page,
# signs them with the service-account key (RSA), with --checkpoint --resume, and is killed at
# random points, sometimes twice in a row; each round is finished by rerunning the same
# command. The final file must be byte-identical to an uninterrupted run, mode 0600, with no
# checkpoint or partial file left: the checkpoint's page token is a GCS pageToken here, not an
# S3 continuation token (s3_list_crash.sh covers S3). A resume must also skip the work done:
# the names the server served to the finishing run (its counters, read with SIGUSR1 before
# and after) are at most the names the checkpoint had not yet recorded plus 3 pages, and at
# least one round resumes a checkpoint with objects in it.
# usage: gcs_list_crash.sh PATH/TO/presign PATH/TO/fake_gcs_server SERVICE_ACCOUNT.json [KILLS]
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
KEY=${3:-}
KILLS=${4:-6}
PY=/usr/bin/python3
fail_setup() {  # its own: no "N passed, N failed" line
  echo "gcs_list_crash: FAIL: $*" >&2
  exit 1
}
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_GCS_SERVER KEY [KILLS]"
need_exe "$FAKE" "fake_gcs_server binary" "build target fake_gcs_server"
[ -f "$KEY" ] || fail_setup "service-account key '$KEY' is missing"
need_exe "$PY" python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
need_cmd timeout "coreutils"
need_cmd sha256sum "coreutils"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-gcscrash.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
unset GOOGLE_APPLICATION_CREDENTIALS GOOGLE_OAUTH_ACCESS_TOKEN GCS_HMAC_ACCESS_ID GCS_HMAC_SECRET

"$PY" - "$WORK/names.txt" <<'PYEOF' || fail_setup "writing the names failed"
import sys
names = ["crash/%05d sp+ace%%é#?&.txt" % i for i in range(12000)] + ["other/%03d" % i for i in range(50)]
open(sys.argv[1], "wb").write(b"".join(n.encode() + b"\n" for n in names))
PYEOF

timeout 1100 "$FAKE" --names "$WORK/names.txt" --key "$KEY" --bucket crash-bucket --seed 4 \
  --fault too-many-requests=0.03 --fault unavailable=0.03 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
ENDPOINT=""
for _ in $(seq 100); do
  ENDPOINT=$(sed -n 's#^fake_gcs_server listening on \(http://127.0.0.1:[0-9]*\).*#\1#p' "$WORK/server.out")
  [ -n "$ENDPOINT" ] && break
  sleep 0.1
done
[ -n "$ENDPOINT" ] || fail_setup "fake_gcs_server did not start: $(cat "$WORK/server.err")"
# The key file with its token_uri pointing at the fake's token endpoint.
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["token_uri"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$KEY" "$WORK/key.json" "$ENDPOINT/token" || fail_setup "rewriting the key file failed"

# served: sets SERVED to the names the server has served so far (its SIGUSR1 snapshot line).
served() {
  local n0 n
  n0=$(grep -c '^snapshot ' "$WORK/server.out")
  # SERVER_PID is timeout(1), which does not pass SIGUSR1 on: signal the server itself.
  kill -USR1 $(ps -o pid= --ppid "$SERVER_PID") 2>/dev/null
  for _ in $(seq 200); do
    n=$(grep -c '^snapshot ' "$WORK/server.out")
    [ "$n" -gt "$n0" ] && break
    sleep 0.01
  done
  [ "$n" -gt "$n0" ] || fail_setup "fake_gcs_server printed no counters on SIGUSR1"
  SERVED=$(grep '^snapshot ' "$WORK/server.out" | tail -n 1 | sed 's/.* names_served=\([0-9]*\).*/\1/')
}

common=(sign gs://crash-bucket/crash/ --credentials "$WORK/key.json" --endpoint "$ENDPOINT" --page-size 40
        --retry-base-delay 1ms --signing-time 2024-01-01T00:00:00Z --expires 7d --threads 2
        --format ndjson --quiet)

served; s0=$SERVED
timeout 300 "$PRESIGN" "${common[@]}" --output "$WORK/clean.ndjson" 2>"$WORK/clean.err" ||
  fail_setup "the clean run failed: $(head -c 400 "$WORK/clean.err")"
served; fresh=$((SERVED - s0))
want=$(sha256sum <"$WORK/clean.ndjson")
lines=$(wc -l <"$WORK/clean.ndjson")
[ "$lines" -eq 12000 ] || fail_setup "the clean run wrote $lines records, want 12000"
[ "$fresh" -eq 12000 ] || fail_setup "the server counted $fresh names served to a fresh run, want 12000"
t0=$(date +%s%N)
timeout 300 "$PRESIGN" "${common[@]}" --output "$WORK/timed.ndjson" --checkpoint "$WORK/timed.ck" \
  || fail_setup "the checkpointed run failed"
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$dur_ms" -gt 50 ] || dur_ms=50
cmp -s "$WORK/clean.ndjson" "$WORK/timed.ndjson" || fail_setup "a checkpointed run differs from a plain one"
echo "clean run: $lines records; checkpointed run ${dur_ms} ms"

pass=0 fail=0 killed=0 round=0 continued=0
while [ "$killed" -lt "$KILLS" ] && [ "$round" -lt $((KILLS * 3)) ]; do
  round=$((round + 1))
  out="$WORK/out-$round.ndjson" ck="$WORK/out-$round.ck"
  kills=1; [ $((round % 3)) -eq 0 ] && kills=2
  for _ in $(seq 1 $kills); do
    "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume 2>/dev/null &
    pid=$!
    sleep "$(awk -v r=$RANDOM -v d=$dur_ms 'BEGIN{printf "%.3f", (0.05 + 0.9 * r/32768.0)*d/1000.0}')"
    kill -9 "$pid" 2>/dev/null
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] && killed=$((killed + 1))
  done
  done_objects=$("$PY" "$HERE/checkpoint_objects.py" "$ck")
  served; s0=$SERVED
  timeout 300 "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume 2>"$WORK/resume.err"
  rc=$?
  served; resumed=$((SERVED - s0))
  if [ "$resumed" -le $((12000 - done_objects + 120)) ]; then pass=$((pass + 1))
  else fail=$((fail + 1)); echo "round $round: the resume fetched $resumed names, but the checkpoint had $done_objects of 12000" >&2; fi
  [ "$done_objects" -gt 0 ] && [ "$resumed" -lt "$fresh" ] && continued=$((continued + 1))
  got=$(sha256sum <"$out" 2>/dev/null)
  if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ ! -e "$ck" ] && [ "$(stat -c %a "$out")" = 600 ] &&
     ! ls "$WORK"/.out-"$round".ndjson.presign-part >/dev/null 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "round $round: exit $rc; final file differs from the clean run (or checkpoint/partial left): $(head -c 400 "$WORK/resume.err")" >&2
  fi
  rm -f "$out"
done
kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
echo "gcs_list_crash: $killed kill -9 landed mid-run over $round rounds; faults: $(grep -E '^fault\.|^tokens_issued ' "$WORK/server.out" | tr '\n' ' ')"
echo "gcs_list_crash: $continued resumes fetched less than a fresh run"
[ "$continued" -ge 1 ] || { fail=$((fail + 1)); echo "no resume continued a checkpoint with objects in it" >&2; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$killed" -ge "$KILLS" ]
