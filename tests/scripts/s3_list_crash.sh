#!/usr/bin/env bash
# kill -9 while listing (ctest label "crash"): `presign sign s3://…` without --keys-from lists
# 30,000 keys from the fake S3 server (tests/support/fake_s3_main.cpp; 3 ms a page, 100 keys a
# page, a few 503s) with --checkpoint --resume and is killed at random points, sometimes
# twice in a row; each round is then finished by rerunning the same command. The final file
# must be byte-identical to an uninterrupted run, mode 0600, with no checkpoint or partial
# file left. A resume with other listing parameters (--start-after) must be refused.
# A resume must also skip the work done: the keys the server served to the finishing run
# (its counters, read with SIGUSR1 before and after) are at most the keys the checkpoint
# had not yet recorded plus 3 pages (the page resumed inside, a prefetch, one in flight
# from the killed run), and at least one round resumes a checkpoint with objects in it.
# Rounds go on until at least KILLS kills landed mid-run.
# usage: s3_list_crash.sh PATH/TO/presign PATH/TO/fake_s3_server [KILLS]
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
KILLS=${3:-8}
fail_setup() {  # its own: no "N passed, N failed" line
  echo "s3_list_crash: FAIL: $*" >&2
  exit 1
}
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_S3_FAULTS [KILLS]"
need_exe "$FAKE" "fake_s3_server binary" "build target fake_s3_server"
need_cmd timeout "coreutils"
need_cmd sha256sum "coreutils"
PY=/usr/bin/python3
need_exe "$PY" python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-listcrash.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

export AWS_ACCESS_KEY_ID=AKIDLISTCRASH AWS_SECRET_ACCESS_KEY=list-crash-secret
export FAKE_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID FAKE_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials

timeout 1100 "$FAKE" --keys 30000 --latency-ms 3 --threads 2 --seed 9 --fault slowdown=0.03 \
  --key-suffix ' +&<é' --verify-sigv4 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
ENDPOINT=""
for _ in $(seq 100); do
  ENDPOINT=$(sed -n 's#^fake_s3_server listening on \(http://127.0.0.1:[0-9]*\)/bucket .*#\1#p' "$WORK/server.out")
  [ -n "$ENDPOINT" ] && break
  sleep 0.1
done
[ -n "$ENDPOINT" ] || fail_setup "fake_s3_server did not start: $(cat "$WORK/server.err")"

# served: sets SERVED to the keys the server has served so far (its SIGUSR1 snapshot line).
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
  [ "$n" -gt "$n0" ] || fail_setup "fake_s3_server printed no counters on SIGUSR1"
  SERVED=$(grep '^snapshot ' "$WORK/server.out" | tail -n 1 | sed 's/.* keys_served=\([0-9]*\).*/\1/')
}

common=(sign s3://bucket/obj/ --endpoint "$ENDPOINT" --region us-east-1 --page-size 100
        --retry-base-delay 1ms --signing-time 2024-01-01T00:00:00Z --expires 7d --threads 2
        --format ndjson --quiet)

served; s0=$SERVED
timeout 120 "$PRESIGN" "${common[@]}" --output "$WORK/clean.ndjson" || fail_setup "the clean run failed"
served; fresh=$((SERVED - s0))
want=$(sha256sum <"$WORK/clean.ndjson")
lines=$(wc -l <"$WORK/clean.ndjson")
[ "$lines" -eq 30000 ] || fail_setup "the clean run wrote $lines records, want 30000"
[ "$fresh" -eq 30000 ] || fail_setup "the server counted $fresh keys served to a fresh run, want 30000"
t0=$(date +%s%N)
timeout 120 "$PRESIGN" "${common[@]}" --output "$WORK/timed.ndjson" --checkpoint "$WORK/timed.ck" \
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
    "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume &
    pid=$!
    sleep "$(awk -v r=$RANDOM -v d=$dur_ms 'BEGIN{printf "%.3f", (r/32768.0)*d/1000.0*0.95}')"
    kill -9 "$pid" 2>/dev/null
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] && killed=$((killed + 1))
  done
  if [ "$round" -eq 1 ] && [ -e "$ck" ]; then
    # The same checkpoint with another listing must be refused, not resumed.
    "$PRESIGN" "${common[@]}" --start-after obj/0000000005 --output "$out" --checkpoint "$ck" --resume \
      2>"$WORK/other.err"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q 'other parameters' "$WORK/other.err"; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "resume with another --start-after: exit $rc: $(cat "$WORK/other.err")" >&2; fi
  fi
  done_objects=$("$PY" "$HERE/checkpoint_objects.py" "$ck")
  served; s0=$SERVED
  timeout 120 "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume 2>"$WORK/resume.err"
  rc=$?
  served; resumed=$((SERVED - s0))
  if [ "$resumed" -le $((30000 - done_objects + 300)) ]; then pass=$((pass + 1))
  else fail=$((fail + 1)); echo "round $round: the resume fetched $resumed keys, but the checkpoint had $done_objects of 30000" >&2; fi
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
echo "s3_list_crash: $killed kill -9 landed mid-listing over $round rounds; $continued resumes fetched less than a fresh run"
[ "$continued" -ge 1 ] || { fail=$((fail + 1)); echo "no resume continued a checkpoint with objects in it" >&2; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$killed" -ge "$KILLS" ]
