#!/usr/bin/env bash
# The URL itself tells the truth (ctest label "live"): session credentials from a profile's
# credential_process that end LIFE seconds from now, with the keys @20minutes/s3rver accepts
# (S3RVER/S3RVER; it verifies the presigned SigV4 signature and X-Amz-Expires, and ignores
# the session token). `presign sign --expires 7d --allow-shorter-expiry` must sign the URL
# with X-Amz-Expires cut to the credentials' end (X-Amz-Date + X-Amz-Expires = the record's
# expires_at = the credentials' Expiration). The emulator then answers the URL 200 now and
# 403 once that instant has passed. (Signed for 7 days as asked, the URL would still answer
# 200 after the credentials died: the lie of boto3 #2392 that this test catches.)
# usage: s3_live_lifetime.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
RUNNER=$ROOT/scripts/emulators/s3rver.js
BUCKET=live-bucket
LIFE=6

need_exe "$PRESIGN" "presign binary"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd timeout "coreutils"
need_exe "$PY" python3
[ -f "$TOOLS/node_modules/@20minutes/s3rver/package.json" ] ||
  fail_setup "@20minutes/s3rver is not installed under $TOOLS (run scripts/install-deps.sh)"
[ -f "$RUNNER" ] || fail_setup "emulator runner $RUNNER is missing"
PRESIGN=$(abs_path "$PRESIGN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-live-lifetime.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The emulator on a kernel-chosen port, under `timeout` so it cannot outlive the test.
NODE_OPTIONS=--openssl-legacy-provider timeout 120 node "$RUNNER" "$WORK/data" 0 "$BUCKET" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 300); do
  PORT=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$WORK/server.log" | head -n 1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || fail_setup "s3rver did not start within 30 s: $(tail -c 2000 "$WORK/server.log")"
BASE=http://127.0.0.1:$PORT
printf 'short-lived object\n' >"$WORK/body"
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/body" \
  "$BASE/$BUCKET/plain.txt")
[ "$code" = 200 ] || fail_setup "upload to s3rver answered $code"
printf 'plain.txt\n' >"$WORK/keys.txt"

# The credential_process helper: S3RVER keys ending LIFE s from now; the instant in expiry.txt.
mkdir -p "$WORK/home/.aws"
{
  echo 'import datetime, json'
  echo 'now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)'
  echo "e = (now + datetime.timedelta(seconds=$LIFE)).strftime('%Y-%m-%dT%H:%M:%SZ')"
  echo "open('$WORK/expiry.txt', 'w').write(e)"
  echo "print(json.dumps({'Version': 1, 'AccessKeyId': 'S3RVER', 'SecretAccessKey': 'S3RVER',"
  echo "                  'SessionToken': 'short-session-token', 'Expiration': e}))"
} >"$WORK/helper.py"
printf '[profile short]\ncredential_process = %s %s\n' "$PY" "$WORK/helper.py" \
  >"$WORK/home/.aws/config"

env -i PATH="$PATH" HOME="$WORK/home" AWS_EC2_METADATA_DISABLED=true "$PRESIGN" sign \
  "s3://$BUCKET" --keys-from "$WORK/keys.txt" --endpoint "$BASE" --region us-east-1 \
  --profile short --expires 7d --allow-shorter-expiry --quiet --output "$WORK/out.ndjson" \
  2>"$WORK/sign.err"
rc=$?
[ "$rc" = 0 ] && ok || bad "sign: exit $rc: $(cat "$WORK/sign.err")"
expiry=$(cat "$WORK/expiry.txt" 2>/dev/null)
# url, expires_at, and X-Amz-Date + X-Amz-Expires as RFC 3339, tab-separated
read -r url expires_at url_end < <("$PY" -c '
import calendar, json, sys, time, urllib.parse
r = json.loads(open(sys.argv[1]).readline())
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r["url"]).query))
start = calendar.timegm(time.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + int(q["X-Amz-Expires"])))
print(r["url"], r["expires_at"], end)' "$WORK/out.ndjson" 2>/dev/null)
[ -n "${url:-}" ] || fail_setup "no record was written: $(cat "$WORK/sign.err")"
[ "$expires_at" = "$expiry" ] && ok || bad "the record's expires_at is $expires_at, want $expiry"
[ "$url_end" = "$expiry" ] && ok ||
  bad "X-Amz-Date + X-Amz-Expires is $url_end, want the credentials' end $expiry: $url"

code=$(curl -s --max-time 10 -o "$WORK/get1" -w '%{http_code}' "$url")
if [ "$code" = 200 ] && cmp -s "$WORK/get1" "$WORK/body"; then ok
else bad "GET before the credentials' end -> $code (want 200): $(head -c 300 "$WORK/get1")"; fi

# Past the end (s3rver compares X-Amz-Date + X-Amz-Expires with its clock, whole seconds).
end_s=$(date -u -d "$expiry" +%s)
while [ "$(date -u +%s)" -le $((end_s + 1)) ]; do sleep 0.2; done
code=$(curl -s --max-time 10 -o "$WORK/get2" -w '%{http_code}' "$url")
if [ "$code" = 403 ] && grep -qi expired "$WORK/get2"; then ok
else bad "GET after the credentials' end ($expiry) -> $code (want 403 expired): $(head -c 300 "$WORK/get2")"; fi

kill -0 "$SERVER_PID" 2>/dev/null || bad "s3rver died during the test"
finish
