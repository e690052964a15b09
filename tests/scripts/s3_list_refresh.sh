#!/usr/bin/env bash
# Temporary credentials refreshed during a long S3 listing (ctest label "cli"; auth's
# RefreshingCredentials behind the S3 lister's per-request keys), end to end on 127.0.0.1.
#
# tests/support/fake_aws_creds_server.py is both STS (AssumeRoleWithWebIdentity, reached
# through AWS_ENDPOINT_URL_STS) and the bucket: it issues a new key on every call, each really
# ending LIFE seconds after issue, and refuses a list request signed with an ended key (403
# ExpiredToken) or one whose SigV4 signature does not verify. The listing (12 pages, PAGE s
# each) outlives the first key several times over, so it completes only if presign refreshes.
# The Expiration the fake announces is the real end plus 897 s: presign's refresh windows are
# botocore's (advisory 15 min, mandatory 10 min before the end), so the advisory refresh falls
# 2 s before the real end and the mandatory one (+597 s) likewise, without a test-only knob.
#   ls / sign of a listing   exit 0, every object, more than one key used, no refusal
#   a mandatory refresh that STS answers with 500 or garbage   exit 3, the message names
#                            the source (AssumeRoleWithWebIdentity) and the failure, no output
#   STS failing from its first answer (500 or garbage)   exit 3, the source named, no output
#   credentials that ended before the start (credential_process)   exit 3, no output
# Without the refresh (the binary before it), the first case fails with ExpiredToken.
# usage: s3_list_refresh.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKE=$HERE/../support/fake_aws_creds_server.py
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "the fake servers run on Debian's python3"
need_cmd curl
PRESIGN=$(abs_path "$PRESIGN")
OBJECTS=2400 PAGE_SIZE=200 PAGE=0.4 LIFE=3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-refresh.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/home"
printf 'web-identity-token-of-the-pod' >"$WORK/token"

# start NAME ARGS...: a fake server under `timeout` (it cannot outlive the test); sets PORT.
start() {
  local name=$1
  shift
  timeout 120 "$PY" "$FAKE" --objects "$OBJECTS" --page-delay "$PAGE" "$@" >"$WORK/$name.port" \
    2>"$WORK/$name.log" &
  PIDS+=($!)
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$WORK/$name.port")
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  [ -n "$PORT" ] || fail_setup "the fake server $name did not start: $(cat "$WORK/$name.log")"
}
# presign_with PORT ARGS...: presign in an environment of only the web identity settings.
presign_with() {
  local port=$1
  shift
  env -i PATH="$PATH" HOME="$WORK/home" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 \
    AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/lister \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" "$PRESIGN" "$@"
}
stat_of() {  # stat_of PORT FIELD: a field of the fake's /stats (lists: their length)
  curl -s --max-time 5 "http://127.0.0.1:$1/stats" | "$PY" -c 'import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print(len(v) if isinstance(v, list) else v)' "$2"
}
no_secret() {  # no_secret FILE CASE: no issued secret or token (sec-/tok- and 32 hex digits)
  if grep -qE '(sec|tok)-[0-9a-f]{32}' "$1"; then bad "$2: a secret appears in $1"; else ok; fi
}

# --- the listing outlives its first credentials: ls, then sign --------------------------
start ok --rotate --life "$LIFE" --announce-later 897
OK_PORT=$PORT
t0=$(date +%s.%N)
presign_with "$OK_PORT" ls s3://refresh-bucket --endpoint "http://127.0.0.1:$OK_PORT" \
  --page-size "$PAGE_SIZE" --quiet --output "$WORK/ls.out" 2>"$WORK/ls.err"
rc=$?
t1=$(date +%s.%N)
[ "$rc" = 0 ] && ok || bad "ls: exit $rc, want 0: $(head -c 2000 "$WORK/ls.err")"
n=$(wc -l <"$WORK/ls.out" 2>/dev/null || echo 0)
[ "$n" = "$OBJECTS" ] && ok || bad "ls: $n keys listed, want $OBJECTS"
keys=$(stat_of "$OK_PORT" listed_with)
[ "${keys:-0}" -ge 2 ] && ok || bad "ls: the listing used ${keys:-0} key(s): it was never refreshed"
[ "$(stat_of "$OK_PORT" refused)" = 0 ] && ok || bad "ls: the fake refused $(stat_of "$OK_PORT" refused) request(s)"
secs=$("$PY" -c "print(round($t1 - $t0, 1))")
"$PY" -c "import sys; sys.exit(0 if $t1 - $t0 > $LIFE + 1 else 1)" && ok ||
  bad "ls took ${secs}s: not longer than the first credentials' $LIFE s, so it proves nothing"
echo "s3_list_refresh: ls of $OBJECTS objects took ${secs}s with $keys keys (each really lasting ${LIFE}s)"

before=$(stat_of "$OK_PORT" listed_with)
presign_with "$OK_PORT" sign s3://refresh-bucket --endpoint "http://127.0.0.1:$OK_PORT" \
  --page-size "$PAGE_SIZE" --expires 10m --quiet --format urls --output "$WORK/sign.out" \
  2>"$WORK/sign.err"
rc=$?
[ "$rc" = 0 ] && ok || bad "sign: exit $rc, want 0: $(head -c 2000 "$WORK/sign.err")"
n=$(grep -c 'X-Amz-Signature=' "$WORK/sign.out" 2>/dev/null || echo 0)
[ "$n" = "$OBJECTS" ] && ok || bad "sign: $n URLs, want $OBJECTS"
after=$(stat_of "$OK_PORT" listed_with)
[ $((after - before)) -ge 2 ] && ok || bad "sign: the listing used $((after - before)) key(s)"
no_secret "$WORK/ls.err" ls
no_secret "$WORK/sign.err" sign

# --- a refresh that fails when it is mandatory: exit 3, the source named, no output ------
# Announced 590 s after the real end, the first key is inside the mandatory window (600 s)
# from its first use on: with 597 a request in the key's first second was only in the advisory
# window, whose failing refresh (retried with backoff) could outlast the key's real 3 s.
# One fake per run: each allows one STS answer (the first key) and fails every later one.
for mode in 500 garbage; do
  for cmd in ls sign; do
    start "fail-$mode-$cmd" --rotate --life "$LIFE" --announce-later 590 --sts-fail-after 1 \
      --sts-fail-mode "$mode"
    name=$cmd-$mode
    extra=()
    [ "$cmd" = sign ] && extra=(--expires 5m --format urls)
    presign_with "$PORT" "$cmd" s3://refresh-bucket --endpoint "http://127.0.0.1:$PORT" \
      --page-size "$PAGE_SIZE" --quiet --output "$WORK/$name.out" "${extra[@]}" 2>"$WORK/$name.err"
    rc=$?
    [ "$rc" = 3 ] && ok || bad "$name: exit $rc, want 3: $(head -c 2000 "$WORK/$name.err")"
    grep -q 'could not be refreshed' "$WORK/$name.err" &&
      grep -qF 'AssumeRoleWithWebIdentity (arn:aws:iam::123456789012:role/lister)' "$WORK/$name.err" &&
      ok || bad "$name: the message does not name the source and the failed refresh: $(cat "$WORK/$name.err")"
    # Neither the output nor its temporary (.NAME.XXXXXX.part) is left behind.
    ls -A "$WORK" | grep -qF "$name.out" && bad "$name: an output file was left: $(ls -A "$WORK")" || ok
    no_secret "$WORK/$name.err" "$name"
  done
done

# --- STS failing from its first answer: no credentials at all, exit 3 (not 5: the bucket was
# never asked), the source named, no output --------------------------------------------------
for mode in 500 garbage; do
  for cmd in ls sign; do
    start "first-$mode-$cmd" --rotate --life "$LIFE" --sts-fail-after 0 --sts-fail-mode "$mode"
    name=first-$cmd-$mode
    extra=()
    [ "$cmd" = sign ] && extra=(--expires 5m --format urls)
    presign_with "$PORT" "$cmd" s3://refresh-bucket --endpoint "http://127.0.0.1:$PORT" \
      --page-size "$PAGE_SIZE" --quiet --output "$WORK/$name.out" "${extra[@]}" 2>"$WORK/$name.err"
    rc=$?
    [ "$rc" = 3 ] && ok || bad "$name: exit $rc, want 3: $(head -c 2000 "$WORK/$name.err")"
    grep -qF 'STS AssumeRoleWithWebIdentity' "$WORK/$name.err" && ok ||
      bad "$name: the message does not name the source: $(cat "$WORK/$name.err")"
    ls -A "$WORK" | grep -qF "$name.out" && bad "$name: an output file was left: $(ls -A "$WORK")" || ok
  done
done

# --- credentials that ended before the start: exit 3 before any request ------------------
{
  echo 'import datetime, json'
  echo 'e = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)'
  echo "print(json.dumps({'Version': 1, 'AccessKeyId': 'ASIAENDED', 'SecretAccessKey': 'ended-secret-0123',"
  echo "                  'SessionToken': 'ended-token-0123', 'Expiration': e.strftime('%Y-%m-%dT%H:%M:%SZ')}))"
} >"$WORK/ended.py"
mkdir -p "$WORK/home/.aws"
printf '[profile ended]\ncredential_process = %s %s\n' "$PY" "$WORK/ended.py" >"$WORK/home/.aws/config"
for cmd in ls sign; do
  env -i PATH="$PATH" HOME="$WORK/home" AWS_EC2_METADATA_DISABLED=true "$PRESIGN" "$cmd" \
    s3://refresh-bucket --endpoint "http://127.0.0.1:$OK_PORT" --region us-east-1 \
    --profile ended --quiet --output "$WORK/ended-$cmd.out" 2>"$WORK/ended-$cmd.err"
  rc=$?
  [ "$rc" = 3 ] && ok || bad "ended $cmd: exit $rc, want 3: $(cat "$WORK/ended-$cmd.err")"
  grep -q 'credential_process.*expired at' "$WORK/ended-$cmd.err" && ok ||
    bad "ended $cmd: the message does not name the source and its end: $(cat "$WORK/ended-$cmd.err")"
  ls -A "$WORK" | grep -qF "ended-$cmd.out" && bad "ended $cmd: an output file was written" || ok
  grep -qE 'ended-(secret|token)' "$WORK/ended-$cmd.err" && bad "ended $cmd: a secret appears" || ok
done

finish
