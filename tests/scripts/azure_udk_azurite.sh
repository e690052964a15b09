#!/usr/bin/env bash
# Live check of user delegation SAS with Entra ID credentials, against Azurite 3.37.0 in its
# OAuth mode over HTTPS (ctest label "live").
# usage: azure_udk_azurite.sh PATH/TO/presign
#
# Makes a self-signed certificate for 127.0.0.1 with openssl (trusted through SSL_CERT_FILE,
# which OpenSSL's default verify paths honour), starts Azurite (--oauth basic --cert --key) and
# the fake Entra ID token endpoint (tests/support/fake_entra_server.py, reached through
# AZURE_AUTHORITY_HOST), uploads blobs with Debian's azure-storage-blob (shared key), then
# with only AZURE_CLIENT_ID/TENANT_ID/CLIENT_SECRET + AZURE_AUTHORITY_HOST set:
#   presign sign --keys-from → user delegation SAS URLs (skoid...) whose GETs answer 200 with
#   the bytes; a tampered sig, skoid or ske → 403;
#   presign sign with a listing (Bearer token) → every blob, each URL 200; with 300 s tokens
#   and one-blob pages the token is refreshed during the listing;
#   workload identity (AZURE_FEDERATED_TOKEN_FILE) and IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)
#   sign too;
#   --expires 8d: the key ends after 7 days → refused (exit 3) unless --allow-shorter-expiry;
#   a wrong secret (401 from the fake), a garbage token answer, an unreachable endpoint → exit
#   3, a message naming the source, no secret, no output file;
#   AZURE_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true signs service SAS URLs that
#   Azurite accepts (its endpoint given with --endpoint: the test's Azurite is not on port
#   10000), and without --endpoint they name http://127.0.0.1:10000/devstoreaccount1.
# Every wait is bounded; servers run under `timeout` and are stopped by PID on exit.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
AZURITE=$TOOLS/node_modules/azurite
ACCOUNT=devstoreaccount1
# Azurite's published well-known key (not a secret).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONTAINER=udk-container
SECRET='client-secret-NEVER-SHOWN'

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd openssl
need_cmd timeout "coreutils"
need_exe "$PY" python3
"$PY" -c 'from azure.storage.blob import BlobServiceClient' 2>/dev/null ||
  fail_setup "python module azure.storage.blob is missing for $PY (apt-get install python3-azure-storage)"
[ -f "$AZURITE/package.json" ] || fail_setup "azurite is not installed under $TOOLS/node_modules (run scripts/install-deps.sh)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-azudk.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- certificate for 127.0.0.1 -----------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>"$WORK/openssl.err" ||
  fail_setup "openssl could not make the certificate: $(cat "$WORK/openssl.err")"
CERT=$WORK/cert.pem

# --- Azurite over https with OAuth -------------------------------------------------------
mkdir -p "$WORK/azurite"
timeout 280 node "$AZURITE/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort 0 \
  --location "$WORK/azurite" --oauth basic --cert "$CERT" --key "$WORK/key.pem" \
  --debug "$WORK/azurite-debug.log" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
PORT=""
for _ in $(seq 300); do
  PORT=$(sed -n 's#^.*successfully listens on https://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$WORK/server.log" | head -n 1)
  [ -n "$PORT" ] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || fail_setup "Azurite did not start within 30 s: $(tail -c 2000 "$WORK/server.log")"
ENDPOINT=https://127.0.0.1:$PORT/$ACCOUNT

# --- fake Entra ID -----------------------------------------------------------------------
start_entra() {  # start_entra OUTVAR args...: starts a fake, sets OUTVAR to its base URL
  local var=$1 log="$WORK/entra-$1.out"
  shift
  timeout 280 "$PY" "$ROOT/tests/support/fake_entra_server.py" "$@" >"$log" 2>&1 &
  PIDS+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail_setup "the fake Entra server did not start: $(cat "$log")"
  printf -v "$var" 'http://127.0.0.1:%s' "$port"
}
start_entra ENTRA --secret "$SECRET" --assertion "federated.jwt.token" --log "$WORK/entra.log"
start_entra SHORT --secret "$SECRET" --lifetime 300 --log "$WORK/short.log"
start_entra GARBAGE --secret "$SECRET" --garbage
echo "azure_udk_azurite: Azurite on $ENDPOINT, fake Entra ID on $ENTRA"

# --- upload with the SDK (shared key over https) -------------------------------------------
CONN="DefaultEndpointsProtocol=https;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$ENDPOINT;"
"$PY" - "$WORK" "$CONN" "$CONTAINER" "$CERT" >"$WORK/upload.log" 2>&1 <<'PYEOF' || fail_setup "upload failed: $(tail -c 2000 "$WORK/upload.log")"
import os, sys
from azure.storage.blob import BlobServiceClient
work, conn, container, cert = sys.argv[1:5]
names = ["plain.txt", "sp ace/\u00e9+plus.txt", "a!b'(c)*~.txt", "q?x=1#frag", "uni/\u65e5\u672c/\U0001F600.txt",
         "100%=&.txt", "dir/sub/deep.bin"]
svc = BlobServiceClient.from_connection_string(conn, connection_verify=cert)
svc.create_container(container)
cc = svc.get_container_client(container)
os.makedirs(os.path.join(work, "bodies"))
for i, n in enumerate(names):
    body = b"udk blob %d\n" % i + n.encode()
    cc.upload_blob(n, body, overwrite=True)
    open(os.path.join(work, "bodies", str(i)), "wb").write(body)
open(os.path.join(work, "names.txt"), "wb").write(b"".join(n.encode() + b"\n" for n in names))
print("uploaded %d blobs" % len(names))
PYEOF
cat "$WORK/upload.log"
NAMES=$(wc -l <"$WORK/names.txt")

ENTRA_ENV=(env -i "PATH=$PATH" HOME=/nonexistent "SSL_CERT_FILE=$CERT"
  AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
  AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47 AZURE_CLIENT_ID=presign-test-app)
TS=$(date -u +%Y-%m-%dT%H:%M:%SZ)

get() {  # get URL OUT → prints the status
  curl -s --cacert "$CERT" -o "$2" -w '%{http_code}' --max-time 10 "$1"
}

check_urls() {  # check_urls LABEL FILE: every line a URL of names.txt's blob of that line
  local label=$1 file=$2 i=0 n
  [ "$(wc -l <"$file")" -eq "$NAMES" ] || { bad "$label: $(wc -l <"$file") URLs for $NAMES names"; return; }
  while IFS= read -r url; do
    case "$url" in *"&skoid="*"&sktid="*"&skt="*"&ske="*"&sks=b&skv="*"&sig="*) ;; *) bad "$label: not a user delegation SAS: $url"; i=$((i + 1)); continue ;; esac
    n=$(get "$url" "$WORK/got")
    if [ "$n" = 200 ] && cmp -s "$WORK/got" "$WORK/bodies/$i"; then ok; else bad "$label: GET $url -> $n $(head -c 300 "$WORK/got")"; fi
    i=$((i + 1))
  done <"$file"
}

# --- 1. client secret, --keys-from ---------------------------------------------------------
"${ENTRA_ENV[@]}" AZURE_CLIENT_SECRET="$SECRET" AZURE_AUTHORITY_HOST="$ENTRA" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --format urls --expires 2h --output "$WORK/secret.txt" 2>"$WORK/secret.err" ||
  bad "client secret: exit $? $(cat "$WORK/secret.err")"
check_urls "client secret" "$WORK/secret.txt"
grep -q "^POST /72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token client_id,client_secret,grant_type,scope$" "$WORK/entra.log" &&
  ok || bad "no client-secret token request in the fake's log: $(cat "$WORK/entra.log")"

# Tampering: any signed field changed → 403.
url=$(head -n 1 "$WORK/secret.txt")
for t in "s/&sig=A/\&sig=B/;t;s/&sig=./\&sig=A/" "s/&skoid=1/\&skoid=2/" "s/&ske=\([0-9]*\)-/\&ske=2099-/" "s/&sp=r/\&sp=rw/"; do
  tampered=$(printf '%s' "$url" | sed "$t")
  [ "$tampered" != "$url" ] || { bad "tamper '$t' changed nothing"; continue; }
  n=$(get "$tampered" "$WORK/got")
  [ "$n" = 403 ] && ok || bad "tampered ($t) -> $n, want 403"
done

# --- 2. listing with the Bearer token, refreshed -----------------------------------------
"${ENTRA_ENV[@]}" AZURE_CLIENT_SECRET="$SECRET" AZURE_AUTHORITY_HOST="$SHORT" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --page-size 1 \
  --format ndjson --output "$WORK/listed.ndjson" 2>"$WORK/listed.err" ||
  bad "listing: exit $? $(cat "$WORK/listed.err")"
listed=$(wc -l <"$WORK/listed.ndjson" 2>/dev/null || echo 0)
[ "$listed" -eq "$NAMES" ] && ok || bad "listing gave $listed records for $NAMES blobs: $(cat "$WORK/listed.err")"
"$PY" -c '
import json, sys
for line in open(sys.argv[1]): print(json.loads(line)["url"])' "$WORK/listed.ndjson" >"$WORK/listed.urls" 2>/dev/null
while IFS= read -r url; do
  n=$(get "$url" "$WORK/got")
  [ "$n" = 200 ] && ok || bad "listed URL $url -> $n"
done <"$WORK/listed.urls"
tokens=$(grep -c "oauth2/v2.0/token" "$WORK/short.log")
# One token for the key and the first page, then a fresh one for every later page (300 s
# tokens are within the 300 s refresh margin at once).
[ "$tokens" -ge 3 ] && ok || bad "the 300 s token was not refreshed during the listing ($tokens token requests)"

# --- 3. workload identity and IMDS --------------------------------------------------------
printf 'federated.jwt.token\n' >"$WORK/federated.jwt"
"${ENTRA_ENV[@]}" AZURE_FEDERATED_TOKEN_FILE="$WORK/federated.jwt" AZURE_AUTHORITY_HOST="$ENTRA" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --format urls --output "$WORK/wi.txt" 2>"$WORK/wi.err" || bad "workload identity: exit $? $(cat "$WORK/wi.err")"
check_urls "workload identity" "$WORK/wi.txt"
env -i "PATH=$PATH" HOME=/nonexistent "SSL_CERT_FILE=$CERT" AZURE_POD_IDENTITY_AUTHORITY_HOST="$ENTRA" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --format urls --output "$WORK/imds.txt" 2>"$WORK/imds.err" || bad "IMDS: exit $? $(cat "$WORK/imds.err")"
check_urls "managed identity (IMDS)" "$WORK/imds.txt"

# --- 4. lifetime: the key lives at most 7 days --------------------------------------------
"${ENTRA_ENV[@]}" AZURE_CLIENT_SECRET="$SECRET" AZURE_AUTHORITY_HOST="$ENTRA" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --expires 8d --output "$WORK/long.txt" 2>"$WORK/long.err"
rc=$?
[ "$rc" = 3 ] && grep -q "user delegation key" "$WORK/long.err" && [ ! -e "$WORK/long.txt" ] && ok ||
  bad "--expires 8d: exit $rc, want 3 naming the user delegation key: $(cat "$WORK/long.err")"
"${ENTRA_ENV[@]}" AZURE_CLIENT_SECRET="$SECRET" AZURE_AUTHORITY_HOST="$ENTRA" \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --expires 8d --allow-shorter-expiry --format ndjson --output "$WORK/long.ndjson" 2>"$WORK/long2.err" ||
  bad "--allow-shorter-expiry: exit $? $(cat "$WORK/long2.err")"
grep -q "warning: the URLs stop working at" "$WORK/long2.err" && ok || bad "no lifetime warning: $(cat "$WORK/long2.err")"

# --- 5. Entra errors: exit 3, the source named, no secret, no output file ------------------
for c in "wrong secret|$ENTRA|wrong-$SECRET|HTTP 401, error invalid_client" \
         "garbage answer|$GARBAGE|$SECRET|not a JSON object" \
         "unreachable|http://127.0.0.1:9|$SECRET|could not get an Entra ID token"; do
  IFS='|' read -r what host secret says <<<"$c"
  rm -f "$WORK/err.txt"
  "${ENTRA_ENV[@]}" AZURE_CLIENT_SECRET="$secret" AZURE_AUTHORITY_HOST="$host" \
    "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
    --output "$WORK/err.txt" 2>"$WORK/err.err"
  rc=$?
  if [ "$rc" = 3 ] && grep -q "$says" "$WORK/err.err" && grep -q "client secret" "$WORK/err.err" &&
     ! grep -q "NEVER-SHOWN" "$WORK/err.err" && [ ! -e "$WORK/err.txt" ]; then ok
  else bad "$what: exit $rc (want 3), stderr: $(cat "$WORK/err.err")"; fi
done

# --- 6. UseDevelopmentStorage=true ---------------------------------------------------------
env -i "PATH=$PATH" HOME=/nonexistent AZURE_STORAGE_CONNECTION_STRING='UseDevelopmentStorage=true' \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --endpoint "$ENDPOINT" --keys-from "$WORK/names.txt" \
  --format urls --output "$WORK/dev.txt" 2>"$WORK/dev.err" || bad "UseDevelopmentStorage: exit $? $(cat "$WORK/dev.err")"
i=0
while IFS= read -r url; do
  n=$(get "$url" "$WORK/got")
  [ "$n" = 200 ] && cmp -s "$WORK/got" "$WORK/bodies/$i" && ok || bad "UseDevelopmentStorage URL $url -> $n"
  i=$((i + 1))
done <"$WORK/dev.txt"
[ "$i" -eq "$NAMES" ] || bad "UseDevelopmentStorage: $i URLs for $NAMES names"
out=$(printf 'x.txt\n' | env -i "PATH=$PATH" HOME=/nonexistent AZURE_STORAGE_CONNECTION_STRING='UseDevelopmentStorage=true' \
  "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --keys-from - --format urls 2>&1)
case "$out" in http://127.0.0.1:10000/devstoreaccount1/$CONTAINER/x.txt\?*) ok ;; *) bad "UseDevelopmentStorage default endpoint: $out" ;; esac

finish
