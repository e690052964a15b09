#!/usr/bin/env bash
# kill -9 at 20+ random points of a 2,000,000-object job, each followed by --resume (every
# third round killed twice: once more while resuming): every final file must be byte-identical
# to a clean run, the checkpoint must be gone, and no partial file may be left. Rounds go on
# until at least KILLS kills landed mid-run (a kill after the job ended does not count).
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
seq -f 'crash/objects/%010g.bin' 1 2000000 > "$work/keys.txt"
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

pass=0 fail=0 killed=0 round=0
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
  "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume
  got=$(sha256sum < "$out")
  if [ "$got" = "$want" ] && [ ! -e "$ck" ] && ! ls "$work"/.out-"$round".ndjson.presign-part >/dev/null 2>&1 \
     && [ "$(stat -c %a "$out")" = 600 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "round $round: final file differs from the clean run (or checkpoint/partial left)" >&2
  fi
  rm -f "$out"
done
echo "crash_resume: $killed kill -9 landed mid-run over $round rounds"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$killed" -ge "$KILLS" ]
