#!/usr/bin/env bash
# kill -9 at 20+ random points of a 1,000,000-object job (PRESIGN_CRASH_OBJECTS overrides the
# size: a local soak runs it larger, scripts/sanitize.sh smaller under ASan, where each run is
# several times slower), each followed by --resume (every
# third round killed twice: once more while resuming): every final file must be byte-identical
# to a clean run, the checkpoint must be gone, and no partial file may be left. Rounds go on
# until at least KILLS kills landed mid-run (a kill after the job ended does not count).
# A resume that finds work in its checkpoint must say so ("resuming from ...: N objects already
# written") and sign fewer objects than the job holds (its --summary's objects_this_run).
# The work directory is on /dev/shm when there is one: kill -9 semantics are the same, and
# 20+ rounds of 800 MB stay fast.
# usage: crash_resume.sh PRESIGN [KILLS]
set -euo pipefail
PRESIGN=$1
KILLS=${2:-20}
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/presign-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=AKIDCRASHTEST AWS_SECRET_ACCESS_KEY=crash-secret
OBJECTS=${PRESIGN_CRASH_OBJECTS:-1000000}
seq -f 'crash/objects/%010.0f.bin' 1 "$OBJECTS" > "$work/keys.txt"
common=(sign s3://crash-bucket --keys-from "$work/keys.txt" --signing-time 2024-01-01T00:00:00Z
        --expires 7d --threads 2 --format ndjson --quiet)

"$PRESIGN" "${common[@]}" --output "$work/clean.ndjson"
want=$(sha256sum < "$work/clean.ndjson")
size=$(stat -c %s "$work/clean.ndjson")
# How long a clean checkpointed run takes, to spread the kills over it.
t0=$(date +%s%N)
"$PRESIGN" "${common[@]}" --output "$work/timed.ndjson" --checkpoint "$work/timed.ck"
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$dur_ms" -gt 50 ] || dur_ms=50
echo "clean run: $size bytes, checkpointed run ${dur_ms} ms"

pass=0 fail=0 killed=0 round=0 resumed_work=0
while [ "$killed" -lt "$KILLS" ] && [ "$round" -lt $((KILLS * 2)) ]; do
  round=$((round + 1))
  out="$work/out-$round.ndjson" ck="$work/out-$round.ck"
  kills=1; [ $((round % 3)) -eq 0 ] && kills=2
  for k in $(seq 1 $kills); do
    "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume &
    pid=$!
    sleep "$(awk -v r=$RANDOM -v d=$dur_ms 'BEGIN{printf "%.3f", (r/32768.0)*d/1000.0*0.95}')"
    kill -9 "$pid" 2>/dev/null || true
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] && killed=$((killed + 1))   # died of SIGKILL, i.e. mid-run
  done
  # Did a kill leave a checkpoint with work in it? Then the resume must skip that work.
  had_ck=0; [ -e "$ck" ] && had_ck=1
  "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume --summary "$work/sum.json" 2>"$work/resume.err"
  got=$(sha256sum < "$out")
  skipped=1
  if [ "$had_ck" -eq 1 ] && grep -Eq 'resuming from .*: [1-9][0-9]* objects already written' "$work/resume.err"; then
    # The resumed run signed only what was left: fewer objects than the job holds.
    /usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["resumed"] and s["objects"] == int(sys.argv[2]) and s["objects_this_run"] < s["objects"] else 1)' \
      "$work/sum.json" "$OBJECTS" || skipped=0
    resumed_work=$((resumed_work + 1))
  fi
  if [ "$got" = "$want" ] && [ ! -e "$ck" ] && ! ls "$work"/.out-"$round".ndjson.presign-part >/dev/null 2>&1 \
     && [ "$(stat -c %a "$out")" = 600 ] && [ "$skipped" -eq 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "round $round: final file differs from the clean run (or checkpoint/partial left, or the resume redid finished work)" >&2
  fi
  rm -f "$out"
done
echo "crash_resume: $killed kill -9 landed mid-run over $round rounds; $resumed_work resumes skipped work already written"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$killed" -ge "$KILLS" ] && [ "$resumed_work" -ge 1 ]
