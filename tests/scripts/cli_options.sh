#!/usr/bin/env bash
# Documented options of `presign sign` and `presign bench` that no other test runs (ctest
# label "cli"); everything local, no network:
# - --checkpoint without --output (or with --output -) is refused: exit 2, a clear message;
# - a key over 1,024 bytes in csv, tsv, urls and labelbox: left out of the file, reported on
#   stderr, exit 1, the other keys written in order;
# - --resume with other options than the checkpointed job (--expires, --format, --method,
#   --compress, --signing-time) is refused with exit 2, leaving checkpoint and partial output
#   untouched; the same options then finish the job byte-identically to an uninterrupted run;
# - the checkpoint lock: while one process runs a job (its keys from a FIFO, so it is held
#   before its first record; then stopped mid-run with SIGSTOP), a second one on the same
#   checkpoint is refused with a clear message (exit 2), and the first completes with the
#   right output; also when the first publishes its checkpoint while the second is between
#   finding none and creating its own (forced with strace's syscall delay);
# - presign bench --format F --output FILE|null --threads auto --json: the JSON report, and
#   the file holds every synthetic object in format F.
# usage: cli_options.sh PATH/TO/presign
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN"
need_exe "$PY" python3
need_cmd mkfifo "coreutils"
need_cmd strace "scripts/install-deps.sh installs it"
PRESIGN=$(abs_path "$PRESIGN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-cliopt.XXXXXX") || fail_setup "mktemp failed"
BG_PID=""
cleanup() {
  [ -n "$BG_PID" ] && kill -9 "$BG_PID" 2>/dev/null && kill -CONT "$BG_PID" 2>/dev/null
  exec 7>&- 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$WORK" || fail_setup "cannot cd to $WORK"
export AWS_ACCESS_KEY_ID=AKIDCLIOPTIONS AWS_SECRET_ACCESS_KEY=cli-options-secret
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials
TS=2024-01-01T00:00:00Z
printf 'a.txt\nb.txt\n' >keys.txt

echo "== --checkpoint needs --output =="
for out in none dash; do
  d="$WORK/ck-$out"
  mkdir -p "$d"
  args=(sign s3://b --keys-from keys.txt --checkpoint "$d/job.ck")
  [ "$out" = dash ] && args+=(--output -)
  "$PRESIGN" "${args[@]}" >"$d/stdout" 2>"$d/stderr"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- '--checkpoint needs --output' "$d/stderr" && [ ! -s "$d/stdout" ] &&
     [ -z "$(ls -A "$d" | grep -v '^std')" ]; then ok
  else bad "--checkpoint without --output ($out): exit $rc, want 2 and a message, nothing written: $(head -c 300 "$d/stderr")"; fi
done

echo "== a key over 1,024 bytes: left out, reported, exit 1 =="
"$PY" -c '
import sys
keys = ["first", "x" * 1025, "mid,dle", "\u00e9" * 513, "last"]
sys.stdout.buffer.write(b"".join(k.encode() + b"\n" for k in keys))' >long.txt
for f in csv tsv urls labelbox; do
  d="$WORK/long-$f"
  mkdir -p "$d"
  "$PRESIGN" sign s3://b --keys-from long.txt --signing-time "$TS" --format "$f" --threads 2 \
    --output "$d/out.$f" 2>"$d/err"
  rc=$?
  if [ "$rc" -eq 1 ]; then ok; else bad "--format $f with an over-long key: exit $rc, want 1: $(head -c 300 "$d/err")"; fi
  # The two over-long keys are reported (the 1,025 x's by name or by size), the others are not.
  if [ "$(grep -c '1024' "$d/err")" -ge 1 ] && [ "$(grep -c 'first\|mid,dle\|last' "$d/err")" -eq 0 ] &&
     grep -q '2 of 5' "$d/err"; then ok
  else bad "--format $f: stderr does not report the 2 over-long keys (and only them): $(head -c 600 "$d/err")"; fi
  if "$PY" - "$f" "$d/out.$f" <<'PYEOF'; then ok; else bad "--format $f: the file is not the 3 short keys in order (above)"; fi
import csv, io, json, sys
fmt, path = sys.argv[1], sys.argv[2]
text = open(path, "rb").read().decode("utf-8")
want = ["first", "mid,dle", "last"]
if fmt == "csv":
    rows = list(csv.reader(io.StringIO(text, newline="")))
    got, urls = [r[1] for r in rows[1:]], [r[0] for r in rows[1:]]
    ok = rows[0] == ["url", "external_id"]
elif fmt == "tsv":
    rows = [l.split("\t") for l in text.split("\n")[:-1]]
    got, urls = [r[0] for r in rows], [r[1] for r in rows]
    ok = text.endswith("\n")
elif fmt == "urls":
    urls = text.split("\n")[:-1]
    got = [u.split("?")[0].rsplit("/", 1)[1].replace("%2C", ",") for u in urls]
    ok = text.endswith("\n")
else:
    arr = json.loads(text)
    got, urls = [r["global_key"] for r in arr], [r["row_data"] for r in arr]
    ok = True
ok = ok and got == want and all(u.startswith("https://s3.amazonaws.com/b/") for u in urls)
if not ok:
    print("    %s: keys %r" % (fmt, got))
sys.exit(0 if ok else 1)
PYEOF
done

echo "== --resume with other options is refused =="
seq -f 'resume/%09.0f.bin' 1 400000 >many.txt
base=(sign s3://b --keys-from many.txt --threads 2 --quiet)
job=(--signing-time "$TS" --expires 7d --format ndjson)
"$PRESIGN" "${base[@]}" "${job[@]}" --output "$WORK/clean.ndjson" || fail_setup "the clean run failed"
# Kill a checkpointed run once its checkpoint holds objects.
"$PRESIGN" "${base[@]}" "${job[@]}" --output "$WORK/res.ndjson" --checkpoint "$WORK/res.ck" 2>/dev/null &
BG_PID=$!
for _ in $(seq 1000); do
  [ "$("$PY" "$HERE/checkpoint_objects.py" "$WORK/res.ck")" -gt 0 ] && break
  kill -0 "$BG_PID" 2>/dev/null || break
done
kill -9 "$BG_PID" 2>/dev/null
rc=0; wait "$BG_PID" 2>/dev/null || rc=$?
BG_PID=""
part=$WORK/.res.ndjson.presign-part
if [ "$rc" -eq 137 ] && [ -e "$WORK/res.ck" ] && [ -e "$part" ]; then
  ck_sum=$(sha256sum <"$WORK/res.ck")
  part_sum=$(sha256sum <"$part")
  i=0
  for change in "--expires 3600" "--format csv" "--method PUT" "--compress zstd" "--signing-time 2024-01-02T00:00:00Z"; do
    i=$((i + 1))
    other=("${job[@]}")
    case "$change" in
      --expires*) other[3]=3600 ;;
      --format*) other[5]=csv ;;
      --signing-time*) other[1]=2024-01-02T00:00:00Z ;;
      *) other+=($change) ;;  # two words on purpose
    esac
    "$PRESIGN" "${base[@]}" "${other[@]}" --output "$WORK/res.ndjson" --checkpoint "$WORK/res.ck" --resume \
      >"$WORK/other-$i.out" 2>"$WORK/other-$i.err"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -Eq 'other parameters|signing-time differs' "$WORK/other-$i.err" &&
       [ "$(sha256sum <"$WORK/res.ck")" = "$ck_sum" ] && [ "$(sha256sum <"$part")" = "$part_sum" ] &&
       [ ! -e "$WORK/res.ndjson" ]; then ok
    else bad "--resume with $change: exit $rc (want 2, checkpoint and partial output untouched): $(head -c 300 "$WORK/other-$i.err")"; fi
  done
  "$PRESIGN" "${base[@]}" "${job[@]}" --output "$WORK/res.ndjson" --checkpoint "$WORK/res.ck" --resume 2>"$WORK/res.err"
  rc=$?
  if [ "$rc" -eq 0 ] && cmp -s "$WORK/res.ndjson" "$WORK/clean.ndjson" && [ ! -e "$WORK/res.ck" ]; then ok
  else bad "--resume with the same options after the refusals: exit $rc or the file differs: $(head -c 300 "$WORK/res.err")"; fi
else
  bad "could not kill a checkpointed run mid-run (exit $rc, checkpoint present: $([ -e "$WORK/res.ck" ] && echo yes || echo no))"
fi

echo "== a second process on a running job's checkpoint is refused =="
# second_is_refused WHEN KEYS: runs a second process on lock.ck with and without --resume,
# each must end within 5 s with exit 2 and a clear message.
second_is_refused() {
  local when=$1 keys=$2 resume second rc
  for resume in "" --resume; do
    # shellcheck disable=SC2086 # an empty $resume is no argument
    "$PRESIGN" sign s3://b --keys-from "$keys" --signing-time "$TS" --threads 2 --quiet \
      --output "$WORK/lock.ndjson" --checkpoint "$WORK/lock.ck" $resume >"$WORK/second.out" 2>"$WORK/second.err" </dev/null &
    second=$!
    for _ in $(seq 500); do kill -0 "$second" 2>/dev/null || break; sleep 0.01; done
    if kill -0 "$second" 2>/dev/null; then
      kill -9 "$second" 2>/dev/null; wait "$second" 2>/dev/null
      bad "$when ${resume:-(no --resume)}: the second process was still running after 5 s"
      continue
    fi
    rc=0; wait "$second" || rc=$?
    if [ "$rc" -eq 2 ] && grep -Eq 'another presign process is running the job of checkpoint|records an unfinished job' "$WORK/second.err" &&
       [ ! -s "$WORK/second.out" ]; then ok
    else bad "$when ${resume:-(no --resume)}: second process exit $rc, want 2 and a clear message: $(head -c 300 "$WORK/second.err")"; fi
    # With --resume the checkpoint's job matches, so what refuses it is the lock.
    if [ -n "$resume" ]; then
      if grep -q 'another presign process is running the job of checkpoint' "$WORK/second.err"; then ok
      else bad "$when --resume: the refusal does not name the running job: $(head -c 300 "$WORK/second.err")"; fi
    fi
  done
}
seq -f 'lock/%09.0f.bin' 1 400000 >lock-keys.txt
"$PRESIGN" sign s3://b --keys-from lock-keys.txt --signing-time "$TS" --threads 2 --quiet \
  --output "$WORK/lock-clean.ndjson" || fail_setup "the clean lock run failed"
# 1. Before the first object: the first process reads its keys from a FIFO that stays empty,
#    so it holds its checkpoint (an empty job so far) until the keys are written.
mkfifo "$WORK/keys.fifo" || fail_setup "mkfifo failed"
rm -f "$WORK/lock.ck" "$WORK/lock.ndjson"
"$PRESIGN" sign s3://b --keys-from "$WORK/keys.fifo" --signing-time "$TS" --threads 2 --quiet \
  --output "$WORK/lock.ndjson" --checkpoint "$WORK/lock.ck" 2>"$WORK/first.err" &
BG_PID=$!
exec 7>"$WORK/keys.fifo"  # returns once the first process opened the FIFO
for _ in $(seq 1000); do [ -e "$WORK/lock.ck" ] || [ -e "$WORK/lock.ck.new" ] && break; sleep 0.01; done
if [ -e "$WORK/lock.ck" ] || [ -e "$WORK/lock.ck.new" ]; then
  second_is_refused before-first-object "$WORK/keys.fifo"
else
  bad "before-first-object: the first process did not start its checkpoint within 10 s"
fi
cat lock-keys.txt >&7
exec 7>&-
rc=0; wait "$BG_PID" || rc=$?
BG_PID=""
if [ "$rc" -eq 0 ] && cmp -s "$WORK/lock.ndjson" "$WORK/lock-clean.ndjson" && [ ! -e "$WORK/lock.ck" ] &&
   [ ! -e "$WORK/lock.ck.new" ]; then ok
else bad "before-first-object: the first process exit $rc, or its output differs from a clean run: $(head -c 300 "$WORK/first.err")"; fi
# 2. Mid-run: the first process is stopped (SIGSTOP) once its checkpoint holds objects.
rm -f "$WORK/lock.ck" "$WORK/lock.ndjson"
"$PRESIGN" sign s3://b --keys-from lock-keys.txt --signing-time "$TS" --threads 2 --quiet \
  --output "$WORK/lock.ndjson" --checkpoint "$WORK/lock.ck" 2>"$WORK/first.err" &
BG_PID=$!
for _ in $(seq 1000); do
  [ "$("$PY" "$HERE/checkpoint_objects.py" "$WORK/lock.ck")" -gt 0 ] && break
  kill -0 "$BG_PID" 2>/dev/null || break
done
kill -STOP "$BG_PID" 2>/dev/null
if [ -e "$WORK/lock.ck" ]; then
  second_is_refused mid-run lock-keys.txt
else
  bad "mid-run: the first process ended before it could be stopped mid-run"
fi
kill -CONT "$BG_PID" 2>/dev/null
rc=0; wait "$BG_PID" || rc=$?
BG_PID=""
if [ "$rc" -eq 0 ] && cmp -s "$WORK/lock.ndjson" "$WORK/lock-clean.ndjson" && [ ! -e "$WORK/lock.ck" ] &&
   [ ! -e "$WORK/lock.ck.new" ]; then ok
else bad "mid-run: the first process exit $rc, or its output differs from a clean run: $(head -c 300 "$WORK/first.err")"; fi

# 3. The race at the start: the second process found no checkpoint, and the first one
#    published its checkpoint before the second created its own. strace delays the second
#    one's open of lock.ck.new while the first starts, publishes and is stopped mid-run; the
#    race was forced when that open returned after the first's checkpoint was seen (strace
#    -ttt -T times), else the round is tried again with more time (3 rounds at most). The
#    second must be refused, and the first must complete untouched.
forced=0
for timing in "0.5 2" "1.5 4" "3 7"; do
  lead=${timing% *} delay=${timing#* }
  rm -f "$WORK/lock.ck" "$WORK/lock.ck.new" "$WORK/lock.ndjson" "$WORK/strace.log"
  # (LeakSanitizer cannot run under ptrace: off for this one process in sanitizer builds.)
  ASAN_OPTIONS=detect_leaks=0 strace -f -ttt -T -o "$WORK/strace.log" -P "$WORK/lock.ck.new" -e trace=openat \
    -e inject=openat:delay_enter=$((delay * 1000000)) \
    "$PRESIGN" sign s3://b --keys-from lock-keys.txt --signing-time "$TS" --threads 2 --quiet \
    --output "$WORK/lock.ndjson" --checkpoint "$WORK/lock.ck" --resume >"$WORK/second.out" 2>"$WORK/second.err" &
  second=$!
  sleep "$lead"
  "$PRESIGN" sign s3://b --keys-from lock-keys.txt --signing-time "$TS" --threads 2 --quiet \
    --output "$WORK/lock.ndjson" --checkpoint "$WORK/lock.ck" 2>"$WORK/first.err" &
  BG_PID=$!
  for _ in $(seq 1000); do
    [ "$("$PY" "$HERE/checkpoint_objects.py" "$WORK/lock.ck")" -gt 0 ] && break
    kill -0 "$BG_PID" 2>/dev/null || break
  done
  kill -STOP "$BG_PID" 2>/dev/null
  published=$(date +%s.%N)
  rc2=0; wait "$second" || rc2=$?
  kill -CONT "$BG_PID" 2>/dev/null
  rc1=0; wait "$BG_PID" || rc1=$?
  BG_PID=""
  # The second's open of lock.ck.new: "PID START openat(...lock.ck.new...) = FD (DELAYED) <SECONDS>".
  returned=$(awk '/openat\(.*lock\.ck\.new/ { d = $NF; gsub(/[<>]/, "", d); printf "%.6f\n", $2 + d; exit }' "$WORK/strace.log")
  if [ -n "$returned" ] && awk -v r="$returned" -v p="$published" 'BEGIN { exit !(r > p) }'; then
    forced=1
    break
  fi
  echo "  note: the race was not forced with the first started after ${lead}s and a ${delay}s delay; again with more time"
done
if [ "$forced" -ne 1 ]; then
  bad "race: could not force the second process to open lock.ck.new after the first published its checkpoint: $(head -c 300 "$WORK/strace.log")"
else
  if [ "$rc2" -eq 2 ] && grep -q 'another presign process is running the job of checkpoint' "$WORK/second.err" &&
     [ ! -s "$WORK/second.out" ]; then ok
  else bad "race: the second process exit $rc2, want 2 (the checkpoint is locked): $(head -c 300 "$WORK/second.err")"; fi
  if [ "$rc1" -eq 0 ] && cmp -s "$WORK/lock.ndjson" "$WORK/lock-clean.ndjson" && [ ! -e "$WORK/lock.ck" ] &&
     [ ! -e "$WORK/lock.ck.new" ]; then ok
  else bad "race: the first process exit $rc1, or its output differs from a clean run, or a checkpoint is left: $(head -c 300 "$WORK/first.err")"; fi
fi

echo "== presign bench --format --output --threads auto =="
cores=$("$PY" -c 'import os; print(os.cpu_count() or 1)')
for f in ndjson labelbox csv tsv urls; do
  "$PRESIGN" bench --objects 5000 --format "$f" --output "$WORK/bench.$f" --threads auto --json \
    >"$WORK/bench-$f.json" 2>"$WORK/bench-$f.err"
  rc=$?
  if [ "$rc" -eq 0 ] && "$PY" - "$f" "$WORK/bench-$f.json" "$WORK/bench.$f" "$cores" <<'PYEOF'; then ok
import csv, io, json, sys
fmt, report, out, cores = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r = json.load(open(report))
want_threads, t = [], 1
while t < cores:
    want_threads.append(t); t *= 2
want_threads.append(cores)
errs = []
if (r["provider"], r["objects"], r["format"]) != ("s3", 5000, fmt):
    errs.append("header %r" % {k: r[k] for k in ("provider", "objects", "format")})
if [x["threads"] for x in r["runs"]] != want_threads:
    errs.append("threads %r, want %r" % ([x["threads"] for x in r["runs"]], want_threads))
if any(x["urls_per_second"] <= 0 or x["peak_rss_bytes"] <= 0 or not 0 < x["p50_ns"] <= x["p99_ns"] <= x["p999_ns"]
       for x in r["runs"]):
    errs.append("a run without a rate, RSS or ordered latencies: %r" % r["runs"])
if r["recommended_threads"] not in want_threads:
    errs.append("recommended_threads %r" % r["recommended_threads"])
text = open(out, "rb").read().decode("utf-8")
if fmt == "ndjson":
    n = len([json.loads(l)["url"] for l in text.split("\n")[:-1]])
elif fmt == "labelbox":
    n = len([x["row_data"] for x in json.loads(text)])
elif fmt == "csv":
    rows = list(csv.reader(io.StringIO(text, newline="")))
    n = len(rows) - 1 if rows[0] == ["url", "external_id"] else -1
else:
    n = len([l for l in text.split("\n")[:-1] if "X-Amz-Signature=" in l])
if n != 5000:
    errs.append("the output file holds %d objects, want 5000" % n)
for e in errs:
    print("    bench --format %s: %s" % (fmt, e))
sys.exit(1 if errs else 0)
PYEOF
  else bad "bench --format $f --output FILE: exit $rc or the report/file is wrong: $(head -c 300 "$WORK/bench-$f.err")"; fi
done
if [ "$(stat -c %a "$WORK/bench.csv")" = 600 ] && [ -z "$(ls -A "$WORK" | grep 'presign-part')" ]; then ok
else bad "bench output: mode $(stat -c %a "$WORK/bench.csv"), or a partial file left"; fi
mkdir -p "$WORK/null" && cd "$WORK/null" || fail_setup "cannot cd"
"$PRESIGN" bench --objects 5000 --format csv --output null --threads auto --json >"$WORK/bench-null.json" 2>"$WORK/bench-null.err"
rc=$?
if [ "$rc" -eq 0 ] && "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if r["objects"] == 5000 and r["runs"] else 1)' "$WORK/bench-null.json" &&
   [ -z "$(ls -A "$WORK/null")" ]; then ok
else bad "bench --output null: exit $rc, a bad report or a file written: $(ls -A "$WORK/null") $(head -c 300 "$WORK/bench-null.err")"; fi
cd "$WORK" || fail_setup "cannot cd"

echo "cli_options: --checkpoint/--output, over-long keys per format, --resume with other options, checkpoint lock, bench"
finish
