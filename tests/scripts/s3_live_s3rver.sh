#!/usr/bin/env bash
# Live check against @20minutes/s3rver 5.0.0, an S3 emulator that verifies SigV4 presigned
# query signatures (ctest label "live").
# usage: s3_live_s3rver.sh PATH/TO/presign
#
# Starts the emulator on 127.0.0.1 (kernel-chosen port, temp data dir, one bucket), uploads
# objects with hostile keys by anonymous curl PUT (percent-encoded paths), presigns them with
# `presign sign --endpoint`, and checks: every GET -> 200 with the uploaded bytes; a URL with
# one changed signature character -> 403 SignatureDoesNotMatch; a URL whose key (path),
# X-Amz-Expires or X-Amz-Credential (access key, region, date) was changed -> 403; an expired
# URL -> 403; a presigned PUT, a presigned HEAD (HEAD -> 200, GET with it -> 403) and a
# signed response-content-disposition. Every wait is bounded; the server
# is stopped by its PID on exit. A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
S3RVER_PKG=$TOOLS/node_modules/@20minutes/s3rver
RUNNER=$ROOT/scripts/emulators/s3rver.js
BUCKET=live-bucket

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd timeout "coreutils"
need_exe "$PY" python3
[ -d "$TOOLS/node_modules" ] || fail_setup "npm tools dir $TOOLS/node_modules is missing (run scripts/install-deps.sh)"
[ -f "$S3RVER_PKG/package.json" ] || fail_setup "@20minutes/s3rver is not installed under $TOOLS (run scripts/install-deps.sh)"
ver=$(node -e 'console.log(require(process.argv[1]).version)' "$S3RVER_PKG/package.json" 2>/dev/null)
[ "$ver" = "5.0.0" ] || fail_setup "@20minutes/s3rver is version '$ver', expected 5.0.0"
[ -f "$RUNNER" ] || fail_setup "emulator runner $RUNNER is missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-live.XXXXXX") || fail_setup "mktemp failed"
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

# --- start the emulator (port 0: the kernel picks a free one; the runner prints it) ---------
# Under `timeout`, so it cannot outlive this test even if the test is killed with SIGKILL
# (the trap then never runs); TERM to the timeout PID is passed on to node.
NODE_OPTIONS=--openssl-legacy-provider timeout 280 node "$RUNNER" "$WORK/data" 0 "$BUCKET" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 300); do  # at most ~30 s
  PORT=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$WORK/server.log" | head -n 1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || fail_setup "s3rver did not start within 30 s: $(tail -c 2000 "$WORK/server.log")"
BASE=http://127.0.0.1:$PORT
answered=0
for _ in $(seq 100); do  # at most ~20 s
  if curl -s -o /dev/null --max-time 2 "$BASE/"; then answered=1; break; fi
  sleep 0.2
done
[ "$answered" = 1 ] || fail_setup "s3rver on $BASE does not answer"
echo "s3_live_s3rver: @20minutes/s3rver $ver on $BASE (pid $SERVER_PID), bucket $BUCKET"

# --- keys, their percent-encoded paths and bodies (written by python: exact bytes) ----------
"$PY" - "$WORK" <<'PYEOF' || fail_setup "could not write the key list"
import os, sys, urllib.parse
work = sys.argv[1]
long_key = "long/" + "/".join(("seg%02d-" % i) + "x\u00e9+ ~%" * 12 for i in range(12))
long_key = long_key.encode()[:1024].decode("utf-8", "ignore")
keys = [
    "plain.txt",
    "sp ace/file name.txt",
    "  leading and trailing spaces  ",
    "a+b.txt",
    "plus+ +space",
    "100%.txt",
    "%2F-not-a-slash %41",
    "uni/\u00e9t\u00e9/\u65e5\u672c/\U0001F600.txt",
    "nfd-cafe\u0301",
    "nfc-caf\u00e9",
    "tilde~x~",
    "a!b'(c)*.txt",
    "k=v&x=y",
    "q?mark#hash@at:colon",
    "dir//double//slash",
    "semi;comma,dollar$[brackets]",
    "folder/",
    "tab\there cr\rx ctl\x01\x1f",
    "back\\slash \"dq\" <lt> >gt",
    # Dot segments are signed literally; curl --path-as-is sends them literally. (The
    # emulator's file store resolves them, so no other key here may alias these.)
    "dots/./x",
    "dots/../y",
    long_key,
]
assert len(long_key.encode()) >= 1000, len(long_key.encode())
with open(os.path.join(work, "keys.txt"), "wb") as f:
    f.write(b"".join(k.encode() + b"\n" for k in keys))
with open(os.path.join(work, "paths.txt"), "w") as f:
    for k in keys:
        f.write(urllib.parse.quote(k, safe="/~") + "\n")
os.makedirs(os.path.join(work, "bodies"))
for i, k in enumerate(keys):
    with open(os.path.join(work, "bodies", str(i)), "wb") as f:
        f.write(b"object %d\n" % i + k.encode() + b"\n" + os.urandom(64) + bytes(range(256)))
PYEOF
mapfile -t PATHS <"$WORK/paths.txt"
NKEYS=${#PATHS[@]}

# --- upload (anonymous PUT; s3rver allows it) ----------------------------------------------
for i in "${!PATHS[@]}"; do
  code=$(curl -s --path-as-is --max-time 20 -o "$WORK/put.$i.out" -w '%{http_code}' -X PUT \
    --data-binary @"$WORK/bodies/$i" "$BASE/$BUCKET/${PATHS[$i]}")
  if [ "$code" = 200 ]; then ok; else bad "upload #$i /$BUCKET/${PATHS[$i]:0:80} -> $code $(head -c 300 "$WORK/put.$i.out")"; fi
done

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials

# --- presign every key, GET every URL: 200 and the same bytes ------------------------------
if "$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/keys.txt" --endpoint "$BASE" \
  --region us-east-1 --format urls --output "$WORK/urls.txt" --quiet 2>"$WORK/sign.err"; then
  ok
else
  bad "presign sign exited $?: $(cat "$WORK/sign.err")"
fi
mapfile -t URLS <"$WORK/urls.txt" 2>/dev/null
if [ "${#URLS[@]}" -eq "$NKEYS" ]; then ok; else bad "presign wrote ${#URLS[@]} URLs for $NKEYS keys"; fi
for i in "${!URLS[@]}"; do
  code=$(curl -s --path-as-is --max-time 20 -o "$WORK/get.$i" -w '%{http_code}' "${URLS[$i]}")
  if [ "$code" != 200 ]; then
    bad "GET #$i ${URLS[$i]:0:160} -> $code $(head -c 400 "$WORK/get.$i")"
  elif ! cmp -s "$WORK/get.$i" "$WORK/bodies/$i"; then
    bad "GET #$i ${URLS[$i]:0:160}: body differs from the uploaded one"
  else
    ok
  fi
done

# --- one changed signature character -> 403 ------------------------------------------------
tamper() {  # flips the last hex digit of X-Amz-Signature
  "$PY" -c '
import re, sys
u = sys.argv[1]
m = re.search(r"X-Amz-Signature=([0-9a-f]{64})", u)
s = m.group(1); c = "0" if s[-1] != "0" else "1"
print(u[:m.start(1)] + s[:-1] + c + u[m.end(1):])' "$1"
}
for i in 0 7 $((NKEYS - 1)); do
  [ -n "${URLS[$i]:-}" ] || { bad "no URL #$i to tamper with"; continue; }
  t=$(tamper "${URLS[$i]}")
  code=$(curl -s --path-as-is --max-time 20 -o "$WORK/tamper.$i" -w '%{http_code}' "$t")
  if [ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$WORK/tamper.$i"; then ok
  else bad "tampered URL #$i -> $code (want 403 SignatureDoesNotMatch): $(head -c 300 "$WORK/tamper.$i")"; fi
done

printf 'plain.txt\n' >"$WORK/one.txt"
# --- the other signed parts changed: key (path), X-Amz-Expires, X-Amz-Credential -> 403 ------
# Each edit leaves a well-formed URL for an object that exists, so only the signature check
# can refuse it. URL #0 is plain.txt; a+b.txt (#3) exists too.
edit() {  # URL PYTHON-REGEX REPLACEMENT: prints the URL with the first match replaced
  "$PY" -c '
import re, sys
u, n = re.subn(sys.argv[2], sys.argv[3], sys.argv[1], count=1)
print(u if n == 1 else "no-match")' "$1" "$2" "$3"
}
if [ -n "${URLS[0]:-}" ]; then
  while IFS='|' read -r what regex repl; do
    t=$(edit "${URLS[0]}" "$regex" "$repl")
    if [ "$t" = no-match ] || [ "$t" = "${URLS[0]}" ]; then bad "$what: the URL has no part to change ($regex)"; continue; fi
    code=$(curl -s --path-as-is --max-time 20 -o "$WORK/edit.out" -w '%{http_code}' "$t")
    if [ "$code" = 403 ] && grep -Eq 'SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied' "$WORK/edit.out"; then ok
    else bad "$what changed -> $code (want 403): ${t:0:200} $(head -c 300 "$WORK/edit.out")"; fi
  done <<'EOF'
key (path)|/plain\.txt\?|/a%2Bb.txt?
X-Amz-Expires|X-Amz-Expires=3600&|X-Amz-Expires=3601&
X-Amz-Expires longer|X-Amz-Expires=3600&|X-Amz-Expires=604800&
X-Amz-Credential access key|X-Amz-Credential=S3RVER%2F|X-Amz-Credential=S3RVEX%2F
X-Amz-Credential region|%2Fus-east-1%2Fs3%2F|%2Fus-west-2%2Fs3%2F
X-Amz-Credential date|(X-Amz-Credential=S3RVER%2F)[0-9]{8}|\g<1>20000101
EOF
  # The same object with the original URL still works (so the 403s above are the edits).
  code=$(curl -s --path-as-is --max-time 20 -o /dev/null -w '%{http_code}' "${URLS[0]}")
  if [ "$code" = 200 ]; then ok; else bad "URL #0 unedited -> $code (want 200)"; fi
else
  bad "no URL #0 to edit"
fi

# --- --method HEAD: HEAD with the URL -> 200 and the object's length; GET with it -> 403 ----
head_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/one.txt" --endpoint "$BASE" --region us-east-1 \
  --method HEAD --format urls --quiet 2>"$WORK/head.err")
code=$(curl -s --max-time 20 -I -o "$WORK/head.headers" -w '%{http_code}' "$head_url")
if [ "$code" = 200 ] && tr -d '\r' <"$WORK/head.headers" | grep -qix "content-length: $(stat -c %s "$WORK/bodies/0")"; then ok
else bad "HEAD with a --method HEAD URL -> $code (want 200, content-length of plain.txt): $(cat "$WORK/head.err") $(head -c 300 "$WORK/head.headers")"; fi
code=$(curl -s --max-time 20 -o "$WORK/head-get.out" -w '%{http_code}' "$head_url")
if [ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$WORK/head-get.out"; then ok
else bad "GET with a --method HEAD URL -> $code (want 403 SignatureDoesNotMatch): $(head -c 300 "$WORK/head-get.out")"; fi

# --- expiry: signed an hour ago for 1 s -> 403; signed 10 s ago for an hour -> 200 ---------
past=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
recent=$(date -u -d '-10 seconds' +%Y-%m-%dT%H:%M:%SZ)
exp_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/one.txt" --endpoint "$BASE" --region us-east-1 \
  --signing-time "$past" --expires 1 --format urls --quiet 2>"$WORK/exp.err")
code=$(curl -s --max-time 20 -o "$WORK/exp.out" -w '%{http_code}' "$exp_url")
if [ "$code" = 403 ] && grep -qi expired "$WORK/exp.out"; then ok
else bad "expired URL (signed $past, --expires 1) -> $code (want 403 expired): $(head -c 300 "$WORK/exp.out") $(cat "$WORK/exp.err")"; fi
live_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/one.txt" --endpoint "$BASE" --region us-east-1 \
  --signing-time "$recent" --expires 3600 --format urls --quiet 2>"$WORK/live.err")
code=$(curl -s --max-time 20 -o "$WORK/live.out" -w '%{http_code}' "$live_url")
if [ "$code" = 200 ]; then ok; else bad "URL signed 10 s ago for 1 h -> $code (want 200): $(head -c 300 "$WORK/live.out")"; fi

# --- presigned PUT of a hostile key, then a presigned GET of it ---------------------------
put_key='put target/é+%~!(x).bin'
printf '%s\n' "$put_key" >"$WORK/put.txt"
head -c 4096 /dev/urandom >"$WORK/put.body"
put_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/put.txt" --endpoint "$BASE" --region us-east-1 \
  --method PUT --format urls --quiet 2>"$WORK/putsign.err")
code=$(curl -s --path-as-is --max-time 20 -o "$WORK/putres.out" -w '%{http_code}' -X PUT \
  --data-binary @"$WORK/put.body" "$put_url")
if [ "$code" = 200 ]; then ok; else bad "presigned PUT -> $code: $(head -c 300 "$WORK/putres.out") $(cat "$WORK/putsign.err")"; fi
get_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/put.txt" --endpoint "$BASE" --region us-east-1 \
  --format urls --quiet 2>/dev/null)
code=$(curl -s --path-as-is --max-time 20 -o "$WORK/putget.out" -w '%{http_code}' "$get_url")
if [ "$code" = 200 ] && cmp -s "$WORK/putget.out" "$WORK/put.body"; then ok
else bad "GET after presigned PUT -> $code or body differs"; fi

# --- signed response-content-disposition is accepted and echoed ----------------------------
disp='attachment; filename="report 1.txt"'
rcd_url=$("$PRESIGN" sign "s3://$BUCKET" --keys-from "$WORK/one.txt" --endpoint "$BASE" --region us-east-1 \
  --response-content-disposition "$disp" --format urls --quiet 2>/dev/null)
code=$(curl -s --max-time 20 -D "$WORK/rcd.headers" -o "$WORK/rcd.out" -w '%{http_code}' "$rcd_url")
if [ "$code" = 200 ] && tr -d '\r' <"$WORK/rcd.headers" | grep -qiF "content-disposition: $disp"; then ok
else bad "response-content-disposition URL -> $code, headers: $(tr -d '\r' <"$WORK/rcd.headers" | grep -i disposition)"; fi

kill -0 "$SERVER_PID" 2>/dev/null || bad "s3rver died during the test: $(tail -c 1000 "$WORK/server.log")"
echo "s3_live_s3rver: $NKEYS hostile keys uploaded, presigned and fetched from @20minutes/s3rver $ver"
finish
