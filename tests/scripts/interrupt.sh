#!/usr/bin/env bash
# SIGINT and SIGTERM mid-job (ctest label "crash"):
# - without --checkpoint: exit 130/143, "no output written", no output file and no temporary
#   (.part) file left;
# - with --checkpoint: exit 130/143, "progress saved", checkpoint and .presign-part kept; then
#   --resume finishes with output byte-identical to an uninterrupted run, and its summary shows
#   it resumed and signed fewer objects than the job holds;
# - while listing (a closed 127.0.0.1 port, retries backing off for minutes): `presign ls` and
#   `presign sign` stop within seconds with 130/143 and leave no file; sign's summary says
#   "interrupted"; and while a request waits for a server that never answers (the listing
#   thread is left running, detached: the exit does not wait for the request's timeout).
# usage: interrupt.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1
# Job control: background jobs keep SIGINT (a script's `cmd &` would start them with SIGINT
# ignored, which presign respects).
set -m
PRESIGN=${1:?usage: interrupt.sh PATH/TO/presign}
PY=/usr/bin/python3
# with_signals PROGRAM ARGS... &: runs PROGRAM with SIGINT and SIGTERM at their defaults, in
# the background job's own process (exec, so that $! is PROGRAM's pid). A signal the caller
# of this script ignores (a background job of a non-interactive shell gets SIGINT ignored)
# stays ignored across exec, and presign rightly respects that; the cases below are about a
# signal that reaches it. Only ever called with `&`: it replaces the shell it runs in.
with_signals() {
  exec "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds or SECONDS pass.
wait_until() {
  local limit=$(( $1 * 50 )) i; shift
  for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.02; done
  return 1
}
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/presign-interrupt.XXXXXX")
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=AKIDINTERRUPT AWS_SECRET_ACCESS_KEY=interrupt-secret
# PRESIGN_INTERRUPT_OBJECTS: the job's size (default 3,000,000; scripts/sanitize.sh runs
# 600,000 under TSan). Each signal lands once 20 MB (~100,000 URLs) are written.
OBJECTS=${PRESIGN_INTERRUPT_OBJECTS:-3000000}
seq -f 'int/objects/%09.0f.bin' 1 "$OBJECTS" > "$work/keys.txt"
common=(sign s3://int-bucket --keys-from "$work/keys.txt" --signing-time 2024-01-01T00:00:00Z
        --threads 1 --quiet --format urls)
want=$("$PRESIGN" "${common[@]}" | sha256sum)

# start_and_signal SIGNAL PARTGLOB ARGS...: runs presign ARGS in the background, waits until a
# file matching PARTGLOB (in $work/d) has 20 MB, sends SIGNAL; sets rc (and killed=1 if the
# signal landed mid-run).
start_and_signal() {
  local sig=$1 glob=$2; shift 2
  with_signals "$PRESIGN" "$@" 2>"$work/err" &
  local pid=$! f
  killed=0
  for _ in $(seq 1 2000); do
    for f in $work/d/$glob; do
      [ -f "$f" ] && [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 20000000 ] && { killed=1; break 2; }
    done
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  [ "$killed" -eq 1 ] && kill -s "$sig" "$pid"
  rc=0; wait "$pid" || rc=$?
}

for sig in INT TERM; do
  code=130; [ "$sig" = TERM ] && code=143
  rm -rf "$work/d"; mkdir "$work/d"
  echo "SIG$sig without a checkpoint: exit $code, no output and no partial file left"
  start_and_signal "$sig" '.out.txt.*.part' "${common[@]}" --output "$work/d/out.txt"
  if [ "$killed" -eq 1 ] && [ "$rc" -eq "$code" ] && [ -z "$(ls -A "$work/d")" ] \
      && grep -q "interrupted (SIG$sig); no output written" "$work/err"; then ok
  else bad "SIG$sig without checkpoint (signalled $killed, rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi

  rm -rf "$work/d"; mkdir "$work/d"
  echo "SIG$sig with a checkpoint: exit $code, progress kept; --resume completes byte-identically"
  ck=(--output "$work/d/out.txt" --checkpoint "$work/d/out.ck")
  start_and_signal "$sig" '.out.txt.presign-part' "${common[@]}" "${ck[@]}"
  if [ "$killed" -eq 1 ] && [ "$rc" -eq "$code" ] && [ -f "$work/d/out.ck" ] && [ -f "$work/d/.out.txt.presign-part" ] \
      && [ ! -e "$work/d/out.txt" ] && grep -q "interrupted (SIG$sig); progress saved in .*out.ck" "$work/err"; then
    rc=0; "$PRESIGN" "${common[@]}" "${ck[@]}" --resume --summary "$work/sum.json" 2>"$work/err" || rc=$?
    if [ "$rc" -eq 0 ] && [ "$(sha256sum < "$work/d/out.txt")" = "$want" ] && [ "$(ls -A "$work/d")" = out.txt ] \
        && "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["resumed"] and 0 < s["objects_this_run"] < s["objects"] == int(sys.argv[2]) else 1)' "$work/sum.json" "$OBJECTS"
    then ok; else bad "resume after SIG$sig (rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi
  else bad "SIG$sig with checkpoint (signalled $killed, rc $rc)"; cat "$work/err"; ls -la "$work/d"; fi
done
rm -rf "$work/d"; mkdir "$work/d"

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
listing=(--endpoint "http://127.0.0.1:$port" --addressing path --retry-max-attempts 100 --retry-base-delay 2m)
for cmd in ls sign; do
  for sig in INT TERM; do
    code=130; [ "$sig" = TERM ] && code=143
    echo "presign $cmd stuck in listing retries stops on SIG$sig with $code"
    extra=(); [ "$cmd" = sign ] && extra=(--summary "$work/list.json")
    with_signals "$PRESIGN" "$cmd" s3://int-bucket/p/ "${listing[@]}" --output "$work/d/list.txt" "${extra[@]}" 2>"$work/err" &
    pid=$!
    # Signal once the command reports its first retry (it is then backing off for minutes),
    # not after a fixed sleep: a slow start (a sanitizer, a loaded machine) would otherwise
    # be signalled before it handles signals gracefully.
    wait_until 60 grep -q '; retry 1/' "$work/err"
    t0=$(date +%s%N)
    kill -s "$sig" "$pid"
    rc=0; wait "$pid" || rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    sumok=1
    if [ "$cmd" = sign ]; then
      "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["status"] == "interrupted" and s["exit_code"] == int(sys.argv[2]) and s["error"]["kind"] == "cancelled" else 1)' \
        "$work/list.json" "$code" || sumok=0
    fi
    if [ "$rc" -eq "$code" ] && [ "$ms" -lt 3000 ] && [ -z "$(ls -A "$work/d")" ] && [ "$sumok" -eq 1 ] \
        && grep -q "interrupted (SIG$sig)" "$work/err"; then ok
    else bad "$cmd while listing, SIG$sig (rc $rc after $ms ms, summary ok $sumok)"; cat "$work/err"; fi
  done
done

# A request on the wire (a server that accepts and never answers): the listing thread cannot
# be stopped before the request's timeout, so the command leaves it running and exits.
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
    with open(sys.argv[1], "a") as f: f.write("accepted\n")
' "$work/mute.accepted" > "$work/mute.port" &
mute=$!
for _ in $(seq 1 100); do [ -s "$work/mute.port" ] && break; sleep 0.05; done
mport=$(cat "$work/mute.port")
for cmd in ls sign; do
  echo "presign $cmd waiting for an answer that never comes stops on SIGINT with 130"
  rm -f "$work/mute.accepted"
  with_signals "$PRESIGN" "$cmd" s3://int-bucket/p/ --endpoint "http://127.0.0.1:$mport" --addressing path \
    --output "$work/d/list.txt" 2>"$work/err" &
  pid=$!
  # Signal once the request is on the wire (the server accepted its connection).
  wait_until 60 test -s "$work/mute.accepted"
  t0=$(date +%s%N)
  kill -s INT "$pid"
  rc=0; wait "$pid" || rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ "$rc" -eq 130 ] && [ "$ms" -lt 3000 ] && [ -z "$(ls -A "$work/d")" ] && grep -q "interrupted (SIGINT)" "$work/err"; then ok
  else bad "$cmd in a request, SIGINT (rc $rc after $ms ms)"; cat "$work/err"; fi
done
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null

finish
