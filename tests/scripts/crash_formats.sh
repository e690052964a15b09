#!/usr/bin/env bash
# kill -9 and --resume in the formats with framing (ctest label "crash"): labelbox (one JSON
# array: "[", separators, "]"), csv (a header line) and --compress zstd (one frame a batch),
# where crash_resume.sh covers plain NDJSON. For each variant a key-file job is killed at
# random points (every third round twice: once more while resuming), then finished by
# rerunning the same command: the final file must be byte-identical to an uninterrupted run
# (for zstd the compressed bytes themselves, and the decompressed ones to the plain run), mode
# 0600, with no checkpoint or partial file left. Each variant needs KILLS kills that landed
# mid-run, and at least one round whose resume continued a checkpoint with objects in it (the
# first round kills once the checkpoint holds objects; the others at random points).
# The work directory is on /dev/shm when there is one.
# usage: crash_formats.sh PATH/TO/presign [KILLS]
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
KILLS=${2:-4}
fail_setup() {  # its own: no "N passed, N failed" line
  echo "crash_formats: FAIL: $*" >&2
  exit 1
}
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN [KILLS]"
need_cmd sha256sum "coreutils"
need_cmd zstd "the command-line tool"
PY=/usr/bin/python3
need_exe "$PY" python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$base/presign-crashfmt.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
export AWS_ACCESS_KEY_ID=AKIDCRASHFORMATS AWS_SECRET_ACCESS_KEY=crash-formats-secret
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials

# Keys with bytes that each format escapes: quotes and commas (csv), backslashes (JSON).
OBJECTS=${PRESIGN_CRASH_FORMATS_OBJECTS:-200000}
seq -f 'fmt/"q",c\%09.0f.bin' 1 "$OBJECTS" >"$WORK/keys.txt"

# The objects a checkpoint records (its newest valid slot; 0 without one).
ck_objects() { "$PY" "$HERE/checkpoint_objects.py" "$1"; }

pass=0 fail=0
# run_variant NAME ARGS...: the crash rounds for one set of format options.
run_variant() {
  local name=$1
  shift
  local common=(sign s3://crash-bucket --keys-from "$WORK/keys.txt" --signing-time 2024-01-01T00:00:00Z
                --expires 7d --threads 2 --quiet "$@")
  "$PRESIGN" "${common[@]}" --output "$WORK/$name.clean" 2>"$WORK/$name.err" ||
    fail_setup "$name: the clean run failed: $(head -c 400 "$WORK/$name.err")"
  local want
  want=$(sha256sum <"$WORK/$name.clean")
  local t0 dur_ms
  t0=$(date +%s%N)
  "$PRESIGN" "${common[@]}" --output "$WORK/$name.timed" --checkpoint "$WORK/$name.timed.ck" ||
    fail_setup "$name: the checkpointed run failed"
  dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$dur_ms" -gt 50 ] || dur_ms=50
  cmp -s "$WORK/$name.clean" "$WORK/$name.timed" || fail_setup "$name: a checkpointed run differs from a plain one"
  local killed=0 round=0 continued=0
  while [ "$killed" -lt "$KILLS" ] && [ "$round" -lt $((KILLS * 3)) ]; do
    round=$((round + 1))
    local out="$WORK/$name-$round.out" ck="$WORK/$name-$round.ck"
    local kills=1
    [ $((round % 3)) -eq 0 ] && kills=2
    for _ in $(seq 1 $kills); do
      "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume 2>/dev/null &
      local pid=$!
      if [ "$round" -eq 1 ]; then
        # The first kill lands once the checkpoint holds objects (whatever the machine's
        # speed, e.g. under a sanitizer): at least one resume continues a checkpoint.
        for _ in $(seq 1 600); do
          [ "$(ck_objects "$ck")" -gt 0 ] && break
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.02
        done
      else
        sleep "$(awk -v r=$RANDOM -v d=$dur_ms 'BEGIN{printf "%.3f", (0.05 + 0.9 * r/32768.0)*d/1000.0}')"
      fi
      kill -9 "$pid" 2>/dev/null
      local rc=0
      wait "$pid" 2>/dev/null || rc=$?
      [ "$rc" -eq 137 ] && killed=$((killed + 1))
    done
    [ "$(ck_objects "$ck")" -gt 0 ] && continued=$((continued + 1))
    "$PRESIGN" "${common[@]}" --output "$out" --checkpoint "$ck" --resume 2>"$WORK/resume.err"
    local rc=$?
    local got
    got=$(sha256sum <"$out" 2>/dev/null)
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ ! -e "$ck" ] && [ ! -e "$ck.new" ] &&
       [ "$(stat -c %a "$out")" = 600 ] && ! ls "$WORK"/."$name-$round".out.presign-part >/dev/null 2>&1; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "$name round $round: exit $rc; final file differs from the clean run (or checkpoint/partial left): $(head -c 400 "$WORK/resume.err")" >&2
    fi
    rm -f "$out"
  done
  echo "$name: $killed kill -9 landed mid-run over $round rounds, $continued resumed a non-empty checkpoint (checkpointed run ${dur_ms} ms)"
  if [ "$killed" -ge "$KILLS" ] && [ "$continued" -ge 1 ]; then pass=$((pass + 1))
  else fail=$((fail + 1)); echo "$name: only $killed kills mid-run (want $KILLS) and $continued non-empty checkpoints (want 1)" >&2; fi
}

run_variant labelbox --format labelbox
run_variant csv --format csv
run_variant ndjson-zstd --format ndjson --compress zstd
run_variant labelbox-zstd --format labelbox --compress zstd:3

# The compressed outputs decompress to the uncompressed ones.
"$PRESIGN" sign s3://crash-bucket --keys-from "$WORK/keys.txt" --signing-time 2024-01-01T00:00:00Z \
  --expires 7d --threads 2 --quiet --format ndjson --output "$WORK/ndjson.clean" || fail_setup "the plain ndjson run failed"
for v in ndjson-zstd:ndjson labelbox-zstd:labelbox; do
  if zstd -dq -c "$WORK/${v%%:*}.clean" 2>/dev/null | cmp -s - "$WORK/${v##*:}.clean"; then pass=$((pass + 1))
  else fail=$((fail + 1)); echo "${v%%:*}: does not decompress to the ${v##*:} output" >&2; fi
done
# The JSON array and the CSV header are there once, whole.
if head -c 1 "$WORK/labelbox.clean" | grep -q '\[' && [ "$(tail -c 2 "$WORK/labelbox.clean" | head -c 1)" = "]" ] &&
   [ "$(head -n 1 "$WORK/csv.clean" | tr -d '\r')" = "url,external_id" ] &&
   [ "$(grep -c '^url,external_id' "$WORK/csv.clean")" -eq 1 ] &&
   [ "$(wc -l <"$WORK/csv.clean")" -eq $((OBJECTS + 1)) ]; then pass=$((pass + 1))
else fail=$((fail + 1)); echo "labelbox/csv framing of the clean runs is not as expected" >&2; fi
finish
