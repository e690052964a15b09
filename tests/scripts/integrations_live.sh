#!/usr/bin/env bash
# Stored integrations end to end (ctest live.integrations): `presign sign --integration NAME`,
# `presign ls --integration NAME` and `presign integrations check NAME` against emulators that
# verify signatures, all on 127.0.0.1:
#   - s3rver (S3, SigV4): an aws-access-key integration signs URLs whose bytes curl fetches
#     back; check says ok; a wrong secret says failing with S3's reason (exit 3);
#   - Azurite (Blob, SAS and Shared Key): azure-account-key and azure-connection-string
#     integrations sign URLs curl fetches back; check ok; a wrong key failing (exit 3);
#   - the fake GCS JSON API (tests/support/fake_gcs_server.*, its token endpoint verifies the
#     RS256 assertion): a gcp-key-file integration lists and signs; check ok; a key file with a
#     wrong private key failing (exit 3).
# Also: "last used" is stamped by sign and ls (integrations list --json) and not by check; a
# URI or a conflicting option with --integration is a usage error (2); an unknown integration
# is exit 3; no secret appears in any output, error or the store file.
# usage: integrations_live.sh PRESIGN FAKE_GCS_SERVER SERVICE_ACCOUNT.json
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
SA_KEY=${3:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_GCS_SERVER KEY"
need_exe "$FAKE" "fake_gcs_server binary" "build target fake_gcs_server"
[ -f "$SA_KEY" ] || fail_setup "service-account key '$SA_KEY' is missing"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd openssl "the wrong GCS key"
need_cmd timeout "coreutils"
need_exe "$PY" python3
[ -f "$TOOLS/node_modules/@20minutes/s3rver/package.json" ] || fail_setup "s3rver is not installed under $TOOLS (run scripts/install-deps.sh)"
[ -f "$TOOLS/node_modules/azurite/package.json" ] || fail_setup "azurite is not installed under $TOOLS (run scripts/install-deps.sh)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-integ-live.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing from the caller's credentials or targets leaks in.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
  AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 GOOGLE_APPLICATION_CREDENTIALS \
  GCS_HMAC_ACCESS_ID GCS_HMAC_SECRET GOOGLE_OAUTH_ACCESS_TOKEN AZURE_STORAGE_CONNECTION_STRING \
  AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT PRESIGN_MASTER_KEY PRESIGN_MASTER_KEY_FILE \
  PRESIGN_TEST_NOW XDG_DATA_HOME
mkdir -p "$WORK/home"
export HOME="$WORK/home" PRESIGN_ACTOR=integrations-live
export PRESIGN_STORE="$WORK/store/presign.db"

OUT="$WORK/out"
ERR="$WORK/err"
run() { "$PRESIGN" "$@" >"$OUT" 2>"$ERR"; rc=$?; }
expect() {  # expect RC WHAT [PATTERN in stdout or stderr]
  local want=$1 what=$2 pattern=${3:-}
  if [ "$rc" -ne "$want" ]; then
    bad "$what: exit $rc, want $want (stderr: $(head -c 600 "$ERR"))"
    return 1
  fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$OUT" "$ERR"; then
    bad "$what: no '$pattern' in the output (stdout: $(head -c 300 "$OUT"); stderr: $(head -c 600 "$ERR"))"
    return 1
  fi
  ok
}
SECRETS=()
ALL_OUTPUT="$WORK/all-output"
: >"$ALL_OUTPUT"
keep() { cat "$OUT" "$ERR" >>"$ALL_OUTPUT"; }
# fetch_compare WHAT URL FILE: curl GETs the URL; the body must be FILE's bytes.
fetch_compare() {
  if curl -sS --max-time 10 -o "$WORK/fetched" "$2" 2>"$WORK/curl.err" && cmp -s "$WORK/fetched" "$3"; then
    ok
  else
    bad "$1: GET of the signed URL did not return the object's bytes: $(head -c 300 "$WORK/fetched") $(cat "$WORK/curl.err")"
  fi
}
# url_of KEY NDJSON: the url field of the record of KEY.
url_of() {
  "$PY" -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["key"] == sys.argv[1]: print(r["url"])' "$1" "$2"
}
# status_of NAME FIELD: a field of the integration in `integrations list --json`.
field_of() {
  "$PRESIGN" integrations list --json 2>/dev/null | "$PY" -c 'import json, sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        v = i[sys.argv[2]]
        print("null" if v is None else v)' "$1" "$2"
}

# --- the store does not exist yet: read-only commands must not create it -------------------
run integrations list
expect 3 "integrations list without a store" "no store at $PRESIGN_STORE"
run sign --integration nothing
expect 3 "sign --integration without a store" "no store at"
if [ ! -e "$PRESIGN_STORE" ]; then ok; else bad "a read-only command created the store"; fi

# === S3: s3rver ===============================================================================
S3_BUCKET=integ-bucket
NODE_OPTIONS=--openssl-legacy-provider timeout 280 node "$ROOT/scripts/emulators/s3rver.js" \
  "$WORK/s3data" 0 "$S3_BUCKET" >"$WORK/s3rver.log" 2>&1 &
PIDS+=($!)
S3_PORT=""
for _ in $(seq 300); do
  S3_PORT=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$WORK/s3rver.log" | head -n 1)
  [ -n "$S3_PORT" ] && break
  sleep 0.1
done
[ -n "$S3_PORT" ] || fail_setup "s3rver did not start: $(tail -c 1000 "$WORK/s3rver.log")"
S3_EP=http://127.0.0.1:$S3_PORT
for _ in $(seq 100); do curl -s -o /dev/null --max-time 2 "$S3_EP/" && break; sleep 0.2; done
echo "== S3 (s3rver on $S3_EP) =="
# Objects are put with presigned PUT URLs (s3rver verifies them), with the emulator's keys in
# the environment of that command only.
head -c 3000 /dev/urandom >"$WORK/obj-a"
printf 'second object\n' >"$WORK/obj-b"
for k in "data/a.bin:obj-a" "data/b.txt:obj-b" "other/c.txt:obj-b"; do
  key=${k%%:*} file=${k#*:}
  put=$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "$PRESIGN" sign "s3://$S3_BUCKET" \
    --keys-from - --endpoint "$S3_EP" --method PUT --format urls <<<"$key") ||
    fail_setup "signing a PUT for $key failed"
  curl -sS --fail --max-time 10 -T "$WORK/$file" "$put" >/dev/null || fail_setup "PUT of $key failed"
done
# (s3rver's secret is also its access key id, which every URL names: the wrong secret below
# stands for the secrets in the leak checks.)
printf 'S3RVER\n' >"$WORK/s3-secret"
run integrations add --name s3-good --provider aws --bucket "$S3_BUCKET" --endpoint "$S3_EP" \
  --access-key-id S3RVER --secret-access-key - <"$WORK/s3-secret"
expect 0 "integrations add s3-good"
printf 'not-the-secret-XYZZY\n' >"$WORK/s3-wrong"
SECRETS+=("not-the-secret-XYZZY")
run integrations add --name s3-wrong --provider aws --bucket "$S3_BUCKET" --endpoint "$S3_EP" \
  --access-key-id S3RVER --secret-access-key - <"$WORK/s3-wrong"
expect 0 "integrations add s3-wrong"

if [ "$(field_of s3-good last_used)" = null ]; then ok; else bad "a new integration has a last use"; fi
run sign --integration s3-good data/ --output "$WORK/s3.ndjson"
expect 0 "sign --integration s3-good data/" && keep
n=$(wc -l <"$WORK/s3.ndjson")
if [ "$n" -eq 2 ]; then ok; else bad "sign --integration s3-good data/: $n records, want 2 (data/a.bin, data/b.txt)"; fi
fetch_compare "s3 data/a.bin" "$(url_of data/a.bin "$WORK/s3.ndjson")" "$WORK/obj-a"
fetch_compare "s3 data/b.txt" "$(url_of data/b.txt "$WORK/s3.ndjson")" "$WORK/obj-b"
used=$(field_of s3-good last_used)
if [ "$used" != null ] && [ -n "$used" ]; then ok; else bad "sign did not stamp last used of s3-good ($used)"; fi
run sign --integration s3-good --keys-from - --format urls <<<"other/c.txt"
expect 0 "sign --integration s3-good --keys-from -" && keep
fetch_compare "s3 other/c.txt (--keys-from)" "$(cat "$OUT")" "$WORK/obj-b"
run ls --integration s3-good
expect 0 "ls --integration s3-good" && keep
if [ "$(cat "$OUT")" = "$(printf 'data/a.bin\ndata/b.txt\nother/c.txt')" ]; then ok; else bad "ls --integration s3-good: $(head -c 300 "$OUT")"; fi

run integrations check s3-good
expect 0 "check s3-good" "integration 's3-good': ok" && keep
if [ "$(field_of s3-good status)" = ok ]; then ok; else bad "check s3-good did not record ok"; fi
run integrations check s3-wrong
expect 3 "check s3-wrong" "integration 's3-wrong': failing: .*SignatureDoesNotMatch" && keep
if [ "$(field_of s3-wrong status)" = failing ]; then ok; else bad "check s3-wrong did not record failing"; fi
msg=$(field_of s3-wrong status_message)
case "$msg" in *SignatureDoesNotMatch*) ok ;; *) bad "s3-wrong's status message lacks the reason: $msg" ;; esac
if [ "$(field_of s3-wrong last_used)" = null ]; then ok; else bad "check stamped last used"; fi
run sign --integration s3-wrong data/ --output "$WORK/s3-wrong.ndjson"
expect 3 "sign --integration s3-wrong (refused by the service)" && keep
if [ ! -e "$WORK/s3-wrong.ndjson" ]; then ok; else bad "a refused job left its output"; fi
if [ "$(field_of s3-wrong last_used)" = null ]; then ok; else bad "a job refused before it started stamped last used"; fi

echo "== usage errors with --integration =="
run sign --integration s3-good "s3://$S3_BUCKET/data/"
expect 2 "a URI with --integration" "is a URI, but --integration names the bucket"
run ls --integration s3-good "s3://$S3_BUCKET"
expect 2 "ls: a URI with --integration" "is a URI"
for opt in "--endpoint $S3_EP" "--region eu-west-1" "--profile dev" "--credentials k.json" \
  "--access-token t" "--impersonate-service-account a@b.c"; do
  # shellcheck disable=SC2086
  run sign --integration s3-good $opt
  expect 2 "sign --integration with $opt" "${opt%% *} cannot be given with --integration"
done
run sign --integration no-such-one
expect 3 "an unknown integration" "no integration named 'no-such-one'"
run integrations check no-such-one
expect 3 "check of an unknown integration" "no integration named 'no-such-one'"
run sign "s3://$S3_BUCKET" --store "$PRESIGN_STORE" --keys-from /dev/null
expect 2 "--store without --integration" "--store applies with --integration only"
run sign
expect 2 "sign with neither a URI nor --integration" "needs a URI"

# === Azure: Azurite ===========================================================================
ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONTAINER=integ-container
mkdir -p "$WORK/azurite"
timeout 280 node "$TOOLS/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 \
  --blobPort 0 --location "$WORK/azurite" >"$WORK/azurite.log" 2>&1 &
PIDS+=($!)
AZ_PORT=""
for _ in $(seq 300); do
  AZ_PORT=$(sed -n 's#^.*successfully listens on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$WORK/azurite.log" | head -n 1)
  [ -n "$AZ_PORT" ] && break
  sleep 0.1
done
[ -n "$AZ_PORT" ] || fail_setup "Azurite did not start: $(tail -c 1000 "$WORK/azurite.log")"
AZ_EP=http://127.0.0.1:$AZ_PORT/$ACCOUNT
echo "== Azure (Azurite on $AZ_EP) =="
CONN="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=$AZ_EP;"
"$PY" - "$CONN" "$CONTAINER" "$WORK" >"$WORK/upload.log" 2>&1 <<'PYEOF' || fail_setup "upload to Azurite failed: $(tail -c 1000 "$WORK/upload.log")"
import sys
from azure.storage.blob import BlobServiceClient
conn, container, work = sys.argv[1:4]
svc = BlobServiceClient.from_connection_string(conn)
svc.create_container(container)
cc = svc.get_container_client(container)
cc.upload_blob("img/one.bin", open(work + "/obj-a", "rb").read())
cc.upload_blob("img/two.txt", open(work + "/obj-b", "rb").read())
PYEOF
SECRETS+=("$AZ_KEY")
printf '%s\n' "$AZ_KEY" >"$WORK/az-key"
run integrations add --name az-key --provider azure --bucket "$CONTAINER" --endpoint "$AZ_EP" \
  --account-name "$ACCOUNT" --account-key - <"$WORK/az-key"
expect 0 "integrations add az-key"
printf '%s\n' "$CONN" >"$WORK/az-conn"
run integrations add --name az-conn --provider azure --bucket "$CONTAINER" --connection-string - <"$WORK/az-conn"
expect 0 "integrations add az-conn (the connection string's blob endpoint)"
WRONG_AZ=$(printf 'wrong-key-%.0s' 1 2 3 4 | base64 -w0)
SECRETS+=("$WRONG_AZ")
printf '%s\n' "$WRONG_AZ" >"$WORK/az-wrong"
run integrations add --name az-wrong --provider azure --bucket "$CONTAINER" --endpoint "$AZ_EP" \
  --account-name "$ACCOUNT" --account-key - <"$WORK/az-wrong"
expect 0 "integrations add az-wrong"
for name in az-key az-conn; do
  run sign --integration "$name" img/ --output "$WORK/$name.ndjson"
  expect 0 "sign --integration $name img/" && keep
  n=$(wc -l <"$WORK/$name.ndjson")
  if [ "$n" -eq 2 ]; then ok; else bad "sign --integration $name: $n records, want 2"; fi
  fetch_compare "$name img/one.bin" "$(url_of img/one.bin "$WORK/$name.ndjson")" "$WORK/obj-a"
  fetch_compare "$name img/two.txt" "$(url_of img/two.txt "$WORK/$name.ndjson")" "$WORK/obj-b"
  used=$(field_of "$name" last_used)
  if [ "$used" != null ] && [ -n "$used" ]; then ok; else bad "sign did not stamp last used of $name"; fi
  run integrations check "$name"
  expect 0 "check $name" "integration '$name': ok" && keep
done
run integrations check az-wrong
expect 3 "check az-wrong" "integration 'az-wrong': failing: .*AuthorizationFailure|integration 'az-wrong': failing: .*40[13]" && keep
if [ "$(field_of az-wrong status)" = failing ]; then ok; else bad "check az-wrong did not record failing"; fi

# === GCS: the fake JSON API ===================================================================
echo "== GCS (fake_gcs_server) =="
GCS_BUCKET=integ-gcs
printf 'pics/a.jpg\npics/b.jpg\nzzz/outside.txt\n' >"$WORK/names.txt"
timeout 280 "$FAKE" --names "$WORK/names.txt" --key "$SA_KEY" --bucket "$GCS_BUCKET" \
  >"$WORK/gcs.out" 2>"$WORK/gcs.err" &
PIDS+=($!)
GCS_EP=""
for _ in $(seq 100); do
  GCS_EP=$(sed -n 's#^fake_gcs_server listening on \(http://127.0.0.1:[0-9]*\) .*#\1#p' "$WORK/gcs.out")
  [ -n "$GCS_EP" ] && break
  sleep 0.1
done
[ -n "$GCS_EP" ] || fail_setup "fake_gcs_server did not start: $(cat "$WORK/gcs.err")"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["token_uri"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$SA_KEY" "$WORK/gcs-key.json" "$GCS_EP/token" ||
  fail_setup "rewriting the key's token_uri failed"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/wrong.pem" 2>/dev/null ||
  fail_setup "openssl genpkey failed"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["private_key"] = open(sys.argv[3]).read()
json.dump(d, open(sys.argv[2], "w"))' "$WORK/gcs-key.json" "$WORK/gcs-wrong.json" "$WORK/wrong.pem" ||
  fail_setup "writing the wrong key file failed"
SECRETS+=("$(sed -n 2p "$WORK/wrong.pem")")
SECRETS+=("$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[1])' "$SA_KEY")")
run integrations add --name gcs-key --provider gcp --bucket "$GCS_BUCKET" --endpoint "$GCS_EP" \
  --key-file - <"$WORK/gcs-key.json"
expect 0 "integrations add gcs-key"
run integrations add --name gcs-wrong --provider gcp --bucket "$GCS_BUCKET" --endpoint "$GCS_EP" \
  --key-file "$WORK/gcs-wrong.json"
expect 0 "integrations add gcs-wrong"
run ls --integration gcs-key pics/
expect 0 "ls --integration gcs-key pics/" && keep
if [ "$(cat "$OUT")" = "$(printf 'pics/a.jpg\npics/b.jpg')" ]; then ok; else bad "ls --integration gcs-key: $(head -c 300 "$OUT")"; fi
used=$(field_of gcs-key last_used)
if [ "$used" != null ] && [ -n "$used" ]; then ok; else bad "ls did not stamp last used of gcs-key"; fi
run sign --integration gcs-key pics/ --signing-time 2024-01-01T00:00:00Z --output "$WORK/gcs.ndjson"
expect 0 "sign --integration gcs-key pics/" && keep
# The same URLs as the key file itself signs on the command line.
run sign "gs://$GCS_BUCKET/pics/" --endpoint "$GCS_EP" --credentials "$WORK/gcs-key.json" \
  --signing-time 2024-01-01T00:00:00Z --output "$WORK/gcs-cli.ndjson"
expect 0 "sign gs:// with --credentials (reference)"
if [ -s "$WORK/gcs.ndjson" ] && cmp -s "$WORK/gcs.ndjson" "$WORK/gcs-cli.ndjson"; then ok; else bad "sign --integration gcs-key differs from sign --credentials with the same key"; fi
run integrations check gcs-key
expect 0 "check gcs-key" "integration 'gcs-key': ok" && keep
run integrations check gcs-wrong
expect 3 "check gcs-wrong" "integration 'gcs-wrong': failing: " && keep
if [ "$(field_of gcs-wrong status)" = failing ]; then ok; else bad "check gcs-wrong did not record failing"; fi

# === no secret anywhere =======================================================================
run integrations list --json
keep
for s in "${SECRETS[@]}"; do
  [ -n "$s" ] || continue
  if grep -qF -- "$s" "$ALL_OUTPUT"; then bad "a secret appears in the output"; else ok; fi
  if grep -qaF -- "$s" "$PRESIGN_STORE" "$PRESIGN_STORE-wal" 2>/dev/null; then bad "a secret appears in the store file"; else ok; fi
done
finish
