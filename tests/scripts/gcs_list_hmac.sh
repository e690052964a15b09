#!/usr/bin/env bash
# gs:// listing with an HMAC key (ctest label "live"): Cloud Storage's XML API answers
# ListObjectsV2 and takes AWS4-HMAC-SHA256 header auth made with the HMAC key in region
# "auto". The fake S3 server (tests/support/fake_s3_main.cpp) stands in for it, checking every
# signature for region "auto" (so a request signed for any other region is refused), while
# injecting SlowDown and resets. Checks: `presign ls gs://…` and `presign sign gs://…` list
# every key once and in order, the URLs are GOOG4-HMAC-SHA256 URLs of the listed keys, and a
# wrong secret ends at once with exit 3, a message naming Cloud Storage and no secret.
# usage: gcs_list_hmac.sh PATH/TO/presign PATH/TO/fake_s3_server
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_S3_SERVER"
need_exe "$FAKE" "fake_s3_server binary" "build target fake_s3_server"
need_exe "$PY" python3
need_cmd timeout "coreutils"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-gcshmac.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

NKEYS=20000
BUCKET=hmac-bucket
ACCESS_ID=GOOG1EHMACLISTINGTESTID0123456789
SECRET='hmacSecret/Value+0123456789abcdefXYZ0123'
export FAKE_S3_ACCESS_KEY_ID=$ACCESS_ID FAKE_S3_SECRET_ACCESS_KEY="$SECRET"
export GCS_HMAC_ACCESS_ID=$ACCESS_ID GCS_HMAC_SECRET="$SECRET"
unset GOOGLE_APPLICATION_CREDENTIALS GOOGLE_OAUTH_ACCESS_TOKEN

start_server() {
  timeout 300 "$FAKE" --keys "$NKEYS" --bucket "$BUCKET" --region auto --verify-sigv4 "$@" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  ENDPOINT=""
  for _ in $(seq 100); do
    ENDPOINT=$(sed -n "s#^fake_s3_server listening on \(http://127.0.0.1:[0-9]*\)/$BUCKET .*#\1#p" "$WORK/server.out")
    [ -n "$ENDPOINT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail_setup "fake_s3_server did not start: $(cat "$WORK/server.err")"
}
counter() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$WORK/server.out"; }

"$PY" -c "
import sys
sys.stdout.write(''.join('obj/%010d\n' % i for i in range($NKEYS)))" >"$WORK/want.txt"

echo "== presign ls gs:// with an HMAC key, through SlowDown and resets =="
start_server --seed 21 --fault slowdown=0.3 --fault reset-body=0.1
timeout 200 "$PRESIGN" ls "gs://$BUCKET/obj/" --endpoint "$ENDPOINT" --page-size 900 \
  --retry-base-delay 1ms --output "$WORK/ls.keys" 2>"$WORK/ls.err"
rc=$?
stop_server
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls exited $rc: $(head -c 600 "$WORK/ls.err")"; fi
if cmp -s "$WORK/want.txt" "$WORK/ls.keys"; then ok; else
  bad "presign ls: $(wc -l <"$WORK/ls.keys") keys, not the $NKEYS served, in order"; fi
if [ "$(counter auth_failures)" = 0 ]; then ok; else bad "the server refused $(counter auth_failures) signatures (region auto?)"; fi
if [ "$(counter fault.slowdown)" -ge 5 ]; then ok; else bad "only $(counter fault.slowdown) SlowDown injected"; fi

echo "== presign sign gs:// lists and signs every key with GOOG4-HMAC-SHA256 =="
start_server --seed 22
timeout 200 "$PRESIGN" sign "gs://$BUCKET/obj/" --endpoint "$ENDPOINT" --quiet \
  --signing-time 2024-01-01T00:00:00Z --format tsv --output "$WORK/sign.tsv" 2>"$WORK/sign.err"
rc=$?
stop_server
if [ "$rc" -eq 0 ]; then ok; else bad "presign sign exited $rc: $(head -c 600 "$WORK/sign.err")"; fi
if "$PY" - "$WORK/want.txt" "$WORK/sign.tsv" "$ENDPOINT/$BUCKET/" "$ACCESS_ID" <<'PYEOF'; then ok; else bad "signed URLs (above)"; fi
import sys, urllib.parse
want = open(sys.argv[1]).read().split("\n")[:-1]
rows = [l.split("\t") for l in open(sys.argv[2]).read().split("\n")[:-1]]
base, access_id = sys.argv[3], sys.argv[4]
if [r[0] for r in rows] != want:
    print("    %d rows, keys differ from the %d served" % (len(rows), len(want))); sys.exit(1)
for key, url in rows:
    path, _, query = url.partition("?")
    q = dict(urllib.parse.parse_qsl(query))
    if (path != base + key or q.get("X-Goog-Algorithm") != "GOOG4-HMAC-SHA256"
            or not q.get("X-Goog-Credential", "").startswith(access_id + "/20240101/auto/storage/goog4_request")
            or len(q.get("X-Goog-Signature", "")) != 64):
        print("    bad URL for %r: %s" % (key, url)); sys.exit(1)
print("    %d URLs, one per listed key, GOOG4-HMAC-SHA256" % len(rows))
PYEOF

echo "== a wrong HMAC secret: exit 3 at once, Cloud Storage named, no secret =="
start_server --seed 23
mkdir -p "$WORK/refused"
t0=$SECONDS
GCS_HMAC_SECRET="wrong-$SECRET" timeout 120 "$PRESIGN" sign "gs://$BUCKET/obj/" --endpoint "$ENDPOINT" \
  --quiet --output "$WORK/refused/out.ndjson" 2>"$WORK/refused.err"
rc=$?
stop_server
if [ "$rc" -eq 3 ]; then ok; else bad "wrong secret: exit $rc, want 3: $(head -c 400 "$WORK/refused.err")"; fi
if [ $((SECONDS - t0)) -lt 10 ]; then ok; else bad "wrong secret took $((SECONDS - t0)) s (a 403 must not be retried)"; fi
if grep -q 'Cloud Storage refused the credentials' "$WORK/refused.err" && grep -q "gs://$BUCKET" "$WORK/refused.err"; then ok; else
  bad "wrong secret: message does not name Cloud Storage and the gs:// URI: $(cat "$WORK/refused.err")"; fi
if grep -qF -- "${SECRET:6:16}" "$WORK/refused.err"; then bad "wrong secret: the secret appears in the message"; else ok; fi
if [ -z "$(ls -A "$WORK/refused")" ]; then ok; else bad "wrong secret left files: $(ls -A "$WORK/refused")"; fi

echo "gcs_list_hmac: $NKEYS keys listed from the XML API with an HMAC key"
finish
