#!/usr/bin/env bash
# Stored integrations whose credentials come from a token service (ctest live.integrations_creds):
# `presign sign|ls --integration NAME` and `presign integrations check NAME` for the three kinds
# that call one, all on 127.0.0.1:
#   - aws-role: STS AssumeRole of the role, with the external id, signed with the environment's
#     keys, at the fake STS (tests/support/fake_aws_creds_server.py, AWS_ENDPOINT_URL_STS),
#     which also verifies presigned GETs and signed listings with the keys it issued. The URLs
#     name the issued key id and carry its session token, and the fake answers their GETs (so
#     they are signed with the issued secret); the external id reached STS (the fake requires
#     it); the integration's region is used, not AWS_REGION; a role STS refuses, a missing
#     external id, no source credentials: exit 3 naming the role; check ok / failing.
#   - gcp-impersonate: the keyless GCS chain (ADC user credentials) signing as the account
#     through IAM signBlob and listing with generateAccessToken tokens, against fake_gcs_server:
#     URLs byte-identical to `presign sign --impersonate-service-account` in the same setup
#     (and to the key file's own); an account IAM refuses: exit 3 with IAM's message.
#   - azure-service-principal: the Entra ID client-secret flow (tests/support/
#     fake_entra_server.py, AZURE_AUTHORITY_HOST) then a user delegation key from Azurite
#     (OAuth mode, HTTPS): the URLs fetch the blobs; the environment's own AZURE_* variables are
#     not used instead of the integration's; a wrong client secret: exit 3, a clear message;
#     check ok / failing.
# No secret (source keys, issued secrets, refresh tokens, client secrets, access tokens)
# appears in any output or error, nor in the store file.
# usage: integrations_creds.sh PRESIGN FAKE_GCS_SERVER SERVICE_ACCOUNT.json
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE_GCS=${2:-}
SA_KEY=${3:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
AZURITE=$TOOLS/node_modules/azurite
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_GCS_SERVER KEY"
need_exe "$FAKE_GCS" "fake_gcs_server binary" "build target fake_gcs_server"
[ -f "$SA_KEY" ] || fail_setup "service-account key '$SA_KEY' is missing"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd openssl "the certificate of Azurite's HTTPS"
need_cmd timeout "coreutils"
need_exe "$PY" python3
"$PY" -c 'from azure.storage.blob import BlobServiceClient' 2>/dev/null ||
  fail_setup "python module azure.storage.blob is missing for $PY (apt-get install python3-azure-storage)"
[ -f "$AZURITE/package.json" ] || fail_setup "azurite is not installed under $TOOLS (run scripts/install-deps.sh)"
PRESIGN=$(abs_path "$PRESIGN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-integ-creds.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    # A server still running under its `timeout` (Azurite can take long to stop on a loaded
    # machine) is killed with it: killing `timeout` alone would leave the server running.
    pkill -9 -P "$p" 2>/dev/null
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing from the caller's credentials or targets leaks in; each command below gets its own.
for v in $(env | sed -n 's/^\(\(AWS\|AZURE\|GCS\|GOOGLE\|CLOUDSDK\|GCE\|IDENTITY\|MSI\)_[A-Z0-9_]*\)=.*/\1/p'); do
  unset "$v"
done
unset PRESIGN_MASTER_KEY PRESIGN_MASTER_KEY_FILE PRESIGN_TEST_NOW XDG_DATA_HOME
export AWS_EC2_METADATA_DISABLED=true AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
mkdir -p "$WORK/home"
export HOME="$WORK/home" PRESIGN_ACTOR=integrations-creds
export PRESIGN_STORE="$WORK/store/presign.db"

OUT="$WORK/out"
ERR="$WORK/err"
ALL_OUTPUT="$WORK/all-output"
: >"$ALL_OUTPUT"
# run [VAR=VALUE...] -- ARGS...: presign with those variables; stdout, stderr kept for the
# leak checks.
run() {
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  env "${vars[@]}" "$PRESIGN" "$@" >"$OUT" 2>"$ERR"
  rc=$?
  cat "$OUT" "$ERR" >>"$ALL_OUTPUT"
}
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
lines() {  # lines FILE: its number of lines, 0 when it does not exist
  if [ -f "$1" ]; then grep -c '' <"$1"; else echo 0; fi
}
no_output_file() {  # no_output_file WHAT FILE
  if [ ! -e "$2" ]; then ok; else bad "$1: a refused job left its output $2"; fi
}
field_of() {  # field_of NAME FIELD: a field of the integration in `integrations list --json`
  "$PRESIGN" integrations list --json 2>/dev/null | "$PY" -c 'import json, sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        v = i[sys.argv[2]]
        print("null" if v is None else v)' "$1" "$2"
}
SECRETS=()

# === aws-role: the fake STS =====================================================================
echo "== aws-role (fake STS) =="
EXT_ID='ext-id-0f3a9'
timeout 580 "$PY" "$ROOT/tests/support/fake_aws_creds_server.py" --objects 3 \
  --require-external-id "$EXT_ID" >"$WORK/sts.port" 2>"$WORK/sts.log" &
PIDS+=($!)
STS_PORT=""
for _ in $(seq 300); do
  STS_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$WORK/sts.port")
  [ -n "$STS_PORT" ] && break
  sleep 0.1
done
[ -n "$STS_PORT" ] || fail_setup "the fake STS did not start: $(cat "$WORK/sts.log")"
STS=http://127.0.0.1:$STS_PORT
SOURCE_SECRET='source-secret/+='  # the fake's STATIC_KEYS['AKIDSOURCE']
SECRETS+=("$SOURCE_SECRET")
# The environment's AWS chain (the source keys) and STS; AWS_REGION and AWS_ENDPOINT_URL name
# another target, which the integration's own must win over.
AWS_ENV=(AWS_ACCESS_KEY_ID=AKIDSOURCE "AWS_SECRET_ACCESS_KEY=$SOURCE_SECRET"
  "AWS_ENDPOINT_URL_STS=$STS" AWS_REGION=us-west-2 AWS_ENDPOINT_URL=http://127.0.0.1:9)
stats() {  # stats PYTHON-EXPR: evaluated over the fake's /stats as `s`
  curl -s --max-time 5 "$STS/stats" | "$PY" -c 'import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1"
}
ROLE=arn:aws:iam::123456789012:role/presign-signer
run -- integrations add --name role-ok --provider aws --bucket role-bucket --region eu-west-1 \
  --endpoint "$STS" --role-arn "$ROLE" --external-id "$EXT_ID"
expect 0 "integrations add role-ok"
run -- integrations add --name role-noext --provider aws --bucket role-bucket --region eu-west-1 \
  --endpoint "$STS" --role-arn "$ROLE"
expect 0 "integrations add role-noext"
DENIED_ROLE=arn:aws:iam::123456789012:role/denied-auditor
run -- integrations add --name role-denied --provider aws --bucket role-bucket --region eu-west-1 \
  --endpoint "$STS" --role-arn "$DENIED_ROLE" --external-id "$EXT_ID"
expect 0 "integrations add role-denied"
run -- integrations show role-ok
if grep -q "$EXT_ID" "$OUT" && grep -q "$ROLE" "$OUT"; then ok; else bad "show role-ok: no role or external id: $(cat "$OUT")"; fi

printf 'photos/a.jpg\nsp ace+plus/é.txt\n' >"$WORK/role-keys.txt"
run "${AWS_ENV[@]}" -- sign --integration role-ok --keys-from "$WORK/role-keys.txt" --format urls \
  --output "$WORK/role.urls"
expect 0 "sign --integration role-ok --keys-from"
# One AssumeRole, of the role, with the external id; the key it issued signs every URL.
if [ "$(stats 'len(s["assumed"])')" = 1 ] && [ "$(stats 's["assumed"][0]["role"]')" = "$ROLE" ] &&
  [ "$(stats 's["assumed"][0]["external_id"]')" = "$EXT_ID" ]; then ok; else
  bad "sign role-ok: the fake's AssumeRole calls: $(stats 's["assumed"]')"
fi
ISSUED=$(stats 's["assumed"][0]["key_id"]')
n=0
while IFS= read -r url; do
  n=$((n + 1))
  case "$url" in
    "$STS/role-bucket/"*"X-Amz-Credential=$ISSUED%2F"*"%2Feu-west-1%2Fs3%2Faws4_request&"*"&X-Amz-Security-Token=tok-"*) ok ;;
    *) bad "role-ok URL: not signed with the issued key $ISSUED in eu-west-1 with its token: $url" ;;
  esac
  key=$(sed -n "${n}p" "$WORK/role-keys.txt")
  got=$(curl -s --max-time 10 "$url")
  if [ "$got" = "object $key" ]; then ok; else bad "role-ok URL of $key: the fake answered: $got"; fi
done <"$WORK/role.urls"
if [ "$n" -eq 2 ] && [ "$(stats 's["presigned_ok"]')" = 2 ]; then ok; else
  bad "role-ok: $n URLs, $(stats 's["presigned_ok"]') verified by the fake, want 2"
fi
# A URL signed with another secret is refused by the same check (the check is real).
tampered=$(head -n 1 "$WORK/role.urls" | sed 's/X-Amz-Signature=\(.\)/X-Amz-Signature=0\1/')
got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$tampered")
if [ "$got" = 403 ]; then ok; else bad "a tampered role-ok URL: HTTP $got, want 403"; fi
REFUSED=$(stats 's["refused"]')

# A listing: ls and sign list with the issued key (the fake verifies each list request; it
# ignores prefixes, so the whole bucket is listed).
run "${AWS_ENV[@]}" -- ls --integration role-ok
expect 0 "ls --integration role-ok"
if [ "$(cat "$OUT")" = "$(printf 'obj-00000\nobj-00001\nobj-00002')" ]; then ok; else bad "ls --integration role-ok: $(head -c 300 "$OUT")"; fi
run "${AWS_ENV[@]}" -- sign --integration role-ok --format urls --output "$WORK/role-listed.urls"
expect 0 "sign --integration role-ok (a listing)"
while IFS= read -r url; do
  got=$(curl -s --max-time 10 "$url")
  case "$got" in "object obj-0000"[0-2]) ok ;; *) bad "role-ok listed URL: the fake answered: $got" ;; esac
done <"$WORK/role-listed.urls"
if [ "$(lines "$WORK/role-listed.urls")" -eq 3 ]; then ok; else bad "sign role-ok listing: $(lines "$WORK/role-listed.urls") URLs, want 3"; fi
if [ "$(stats 's["refused"]')" = "$REFUSED" ] && [ "$(stats 'set(a["external_id"] for a in s["assumed"]) == {"'"$EXT_ID"'"}')" = True ]; then ok; else
  bad "role-ok: refused=$(stats 's["refused"]') assumed=$(stats 's["assumed"]')"
fi
# The listings went with the issued keys only.
if [ "$(stats 'set(s["listed_with"]) <= set(a["key_id"] for a in s["assumed"]) and len(s["listed_with"]) >= 1')" = True ]; then ok; else
  bad "role-ok: listed with $(stats 's["listed_with"]'), not the issued keys"
fi
run "${AWS_ENV[@]}" -- integrations check role-ok
expect 0 "check role-ok" "integration 'role-ok': ok"

# Any source of the environment's chain: container credentials (temporary, so AssumeRole must
# carry their session token, which the fake requires of an issued key).
n_assumed=$(stats 'len(s["assumed"])')
run "AWS_CONTAINER_CREDENTIALS_FULL_URI=$STS/container/task" AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token \
  "AWS_ENDPOINT_URL_STS=$STS" -- sign --integration role-ok --keys-from "$WORK/role-keys.txt" --format urls
expect 0 "sign --integration role-ok with container credentials as the source"
CHAINED=$(stats 's["assumed"][-1]["key_id"]')
if [ "$(stats 'len(s["assumed"])')" = $((n_assumed + 1)) ] && [ "$CHAINED" != "$ISSUED" ] &&
  grep -q "X-Amz-Credential=$CHAINED%2F" "$OUT"; then ok; else
  bad "role-ok with container credentials: not signed with the key assumed from them ($CHAINED): $(head -n 1 "$OUT")"
fi

# Refusals: exit 3, the role named, STS's reason, no output file.
for c in "role-denied|$DENIED_ROLE|AccessDenied" "role-noext|$ROLE|the external id does not match"; do
  IFS='|' read -r name role says <<<"$c"
  run "${AWS_ENV[@]}" -- sign --integration "$name" --keys-from "$WORK/role-keys.txt" --output "$WORK/r.urls"
  expect 3 "sign --integration $name" "integration '$name' \(role $role\): STS AssumeRole .*$says"
  no_output_file "sign --integration $name" "$WORK/r.urls"
  run "${AWS_ENV[@]}" -- ls --integration "$name"
  expect 3 "ls --integration $name" "role $role.*$says"
  run "${AWS_ENV[@]}" -- integrations check "$name"
  expect 3 "check $name" "integration '$name': failing: .*$says"
  if [ "$(field_of "$name" status)" = failing ]; then ok; else bad "check $name did not record failing"; fi
done
# No source credentials in the environment; wrong source keys (STS refuses their signature).
run "AWS_ENDPOINT_URL_STS=$STS" -- sign --integration role-ok --keys-from "$WORK/role-keys.txt"
expect 3 "role-ok without source credentials" "integration 'role-ok' \(role $ROLE\): the source credentials: no AWS credentials found"
run AWS_ACCESS_KEY_ID=AKIDSOURCE AWS_SECRET_ACCESS_KEY=wrong-source-SECRET "AWS_ENDPOINT_URL_STS=$STS" \
  -- sign --integration role-ok --keys-from "$WORK/role-keys.txt"
expect 3 "role-ok with wrong source keys" "role $ROLE.*SignatureDoesNotMatch"
SECRETS+=(wrong-source-SECRET)
used=$(field_of role-ok last_used)
if [ "$used" != null ] && [ -n "$used" ]; then ok; else bad "sign/ls did not stamp last used of role-ok"; fi
if [ "$(field_of role-denied last_used)" = null ]; then ok; else bad "a job refused by STS stamped last used of role-denied"; fi

# A listing that outlives the assumed keys: a second fake issues keys that really end 3 s after
# issue (announced 897 s later, so presign's advisory refresh falls just before the real end);
# 12 pages of 0.4 s need several keys, each assumed again with the external id.
timeout 580 "$PY" "$ROOT/tests/support/fake_aws_creds_server.py" --objects 1200 --page-delay 0.4 \
  --rotate --life 3 --announce-later 897 --require-external-id "$EXT_ID" >"$WORK/sts2.port" 2>"$WORK/sts2.log" &
PIDS+=($!)
STS2_PORT=""
for _ in $(seq 300); do
  STS2_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$WORK/sts2.port")
  [ -n "$STS2_PORT" ] && break
  sleep 0.1
done
[ -n "$STS2_PORT" ] || fail_setup "the second fake STS did not start: $(cat "$WORK/sts2.log")"
STS2=http://127.0.0.1:$STS2_PORT
run -- integrations add --name role-long --provider aws --bucket long-bucket --endpoint "$STS2" \
  --role-arn "$ROLE" --external-id "$EXT_ID"
expect 0 "integrations add role-long"
run AWS_ACCESS_KEY_ID=AKIDSOURCE "AWS_SECRET_ACCESS_KEY=$SOURCE_SECRET" "AWS_ENDPOINT_URL_STS=$STS2" \
  -- ls --integration role-long --page-size 100 --quiet
expect 0 "ls --integration role-long (12 pages, keys living 3 s)"
if [ "$(lines "$OUT")" -eq 1200 ]; then ok; else bad "ls --integration role-long: $(lines "$OUT") keys, want 1200"; fi
stats2=$(curl -s --max-time 5 "$STS2/stats" | "$PY" -c 'import json, sys
s = json.load(sys.stdin)
issued = [a["key_id"] for a in s["assumed"]]
print(len(s["listed_with"]) > 1, set(s["listed_with"]) <= set(issued), s["refused"],
      set(a["external_id"] for a in s["assumed"]) == {sys.argv[1]})' "$EXT_ID")
if [ "$stats2" = "True True 0 True" ]; then ok; else
  bad "role-long: refreshed keys (several used, all issued, none refused, all with the external id): $stats2"
fi

# === gcp-impersonate: fake_gcs_server (metadata/OAuth, IAM signBlob, generateAccessToken) ======
echo "== gcp-impersonate (fake_gcs_server) =="
EMAIL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_email"])' "$SA_KEY")
REFRESH='1//refresh-token-SECRET-for-integ'
GCP_CLIENT_SECRET='gcp-client-SECRET-value'
SECRETS+=("$REFRESH" "$GCP_CLIENT_SECRET")
SIGNING_TIME=2024-03-01T10:00:00Z
printf 'dir/a.txt\ndir/b c.txt\ndir/é+.bin\nelse/x\n' >"$WORK/gcs-names.txt"
timeout 580 "$FAKE_GCS" --names "$WORK/gcs-names.txt" --key "$SA_KEY" --bucket imp-bucket \
  --refresh-token "$REFRESH" >"$WORK/gcs.out" 2>"$WORK/gcs.err" &
GCS_PID=$!
PIDS+=("$GCS_PID")
GCS_EP=""
for _ in $(seq 300); do
  GCS_EP=$(sed -n 's#^fake_gcs_server listening on \(http://127.0.0.1:[0-9]*\) .*#\1#p' "$WORK/gcs.out")
  [ -n "$GCS_EP" ] && break
  sleep 0.1
done
[ -n "$GCS_EP" ] || fail_setup "fake_gcs_server did not start: $(cat "$WORK/gcs.err")"
"$PY" - "$WORK/adc.json" "$GCS_EP/token" "$REFRESH" "$GCP_CLIENT_SECRET" <<'PYEOF'
import json, sys
json.dump({"type": "authorized_user", "client_id": "cid.apps.example", "client_secret": sys.argv[4],
           "refresh_token": sys.argv[3], "token_uri": sys.argv[2]}, open(sys.argv[1], "w"))
PYEOF
# The caller's Google credentials (ADC user credentials) and IAM at the fake.
GCP_ENV=("GOOGLE_APPLICATION_CREDENTIALS=$WORK/adc.json"
  "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS=$GCS_EP/")
DENIED_SA=denied-sa@dummy-project-id.iam.gserviceaccount.com
run -- integrations add --name gcs-imp --provider gcp --bucket imp-bucket --endpoint "$GCS_EP" \
  --impersonate-service-account "$EMAIL"
expect 0 "integrations add gcs-imp"
run -- integrations add --name gcs-denied --provider gcp --bucket imp-bucket --endpoint "$GCS_EP" \
  --impersonate-service-account "$DENIED_SA"
expect 0 "integrations add gcs-denied"

printf 'dir/a.txt\nsp ace/é+plus.txt\n100%%=&?#.txt\n' >"$WORK/gcs-keys.txt"
common=(--keys-from "$WORK/gcs-keys.txt" --signing-time "$SIGNING_TIME" --expires 3600 --quiet)
run "${GCP_ENV[@]}" -- sign --integration gcs-imp "${common[@]}" --output "$WORK/imp-integ.txt"
expect 0 "sign --integration gcs-imp --keys-from"
run "${GCP_ENV[@]}" -- sign gs://imp-bucket --endpoint "$GCS_EP" --impersonate-service-account "$EMAIL" \
  "${common[@]}" --output "$WORK/imp-cli.txt"
expect 0 "sign --impersonate-service-account (the reference)"
run -- sign gs://imp-bucket --endpoint "$GCS_EP" --credentials "$SA_KEY" "${common[@]}" --output "$WORK/imp-key.txt"
expect 0 "sign --credentials KEY (the key's own signatures)"
if [ "$(lines "$WORK/imp-integ.txt")" -eq 3 ] && cmp -s "$WORK/imp-integ.txt" "$WORK/imp-cli.txt"; then ok; else
  bad "sign --integration gcs-imp: URLs differ from --impersonate-service-account's"
fi
if cmp -s "$WORK/imp-integ.txt" "$WORK/imp-key.txt"; then ok; else bad "sign --integration gcs-imp: URLs differ from the key file's"; fi
if grep -q "X-Goog-Credential=${EMAIL//@/%40}%2F" "$WORK/imp-integ.txt"; then ok; else bad "gcs-imp URLs do not name $EMAIL: $(head -n 1 "$WORK/imp-integ.txt")"; fi
# A listing (generateAccessToken tokens) then keyless signatures: the same as the CLI route.
run "${GCP_ENV[@]}" -- ls --integration gcs-imp dir/
expect 0 "ls --integration gcs-imp dir/"
if [ "$(cat "$OUT")" = "$(printf 'dir/a.txt\ndir/b c.txt\ndir/é+.bin')" ]; then ok; else bad "ls --integration gcs-imp dir/: $(head -c 300 "$OUT")"; fi
run "${GCP_ENV[@]}" -- sign --integration gcs-imp dir/ --signing-time "$SIGNING_TIME" --quiet --output "$WORK/imp-listed.txt"
expect 0 "sign --integration gcs-imp dir/"
run "${GCP_ENV[@]}" -- sign gs://imp-bucket/dir/ --endpoint "$GCS_EP" --impersonate-service-account "$EMAIL" \
  --signing-time "$SIGNING_TIME" --quiet --output "$WORK/imp-listed-cli.txt"
expect 0 "sign gs://imp-bucket/dir/ --impersonate-service-account (the reference)"
if [ "$(lines "$WORK/imp-listed.txt")" -eq 3 ] && cmp -s "$WORK/imp-listed.txt" "$WORK/imp-listed-cli.txt"; then ok; else
  bad "sign --integration gcs-imp dir/: URLs differ from --impersonate-service-account's"
fi
run "${GCP_ENV[@]}" -- integrations check gcs-imp
expect 0 "check gcs-imp" "integration 'gcs-imp': ok"
# An account IAM refuses: exit 3 with IAM's message, no output.
run "${GCP_ENV[@]}" -- sign --integration gcs-denied "${common[@]}" --output "$WORK/denied.txt"
expect 3 "sign --integration gcs-denied" "PERMISSION_DENIED: Permission 'iam.serviceAccounts.signBlob' denied"
if grep -q "$DENIED_SA" "$ERR"; then ok; else bad "sign --integration gcs-denied: the account is not named: $(head -c 600 "$ERR")"; fi
no_output_file "sign --integration gcs-denied" "$WORK/denied.txt"
run "${GCP_ENV[@]}" -- ls --integration gcs-denied dir/
expect 3 "ls --integration gcs-denied" "generateAccessToken refused to impersonate $DENIED_SA.*PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied"
run "${GCP_ENV[@]}" -- integrations check gcs-denied
expect 3 "check gcs-denied" "integration 'gcs-denied': failing: .*PERMISSION_DENIED"
# Without the caller's Google credentials: a clear error (exit 3), never another account's.
run "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS=$GCS_EP/" -- sign --integration gcs-imp "${common[@]}" --output "$WORK/nocreds.txt"
expect 3 "sign --integration gcs-imp without Google credentials"
no_output_file "gcs-imp without Google credentials" "$WORK/nocreds.txt"
kill "$GCS_PID" 2>/dev/null
wait "$GCS_PID" 2>/dev/null
counter() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$WORK/gcs.out"; }
# The listings of ls, sign (x2) and check: all with the account's tokens, never the caller's.
if [ "$(counter pages_as_caller)" = 0 ] && [ "$(counter pages_as_impersonated)" -ge 4 ]; then ok; else
  bad "gcs-imp listings: pages_as_impersonated=$(counter pages_as_impersonated) pages_as_caller=$(counter pages_as_caller)"
fi

# === azure-service-principal: fake Entra ID + Azurite (OAuth, HTTPS) ==========================
echo "== azure-service-principal (fake Entra ID, Azurite) =="
ACCOUNT=devstoreaccount1
# Azurite's published well-known key (not a secret); only the upload uses it.
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONTAINER=sp-container
SP_SECRET='sp-client-secret-NEVER-SHOWN'
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
SECRETS+=("$SP_SECRET")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>"$WORK/openssl.err" ||
  fail_setup "openssl could not make the certificate: $(cat "$WORK/openssl.err")"
CERT=$WORK/cert.pem
mkdir -p "$WORK/azurite"
timeout 580 node "$AZURITE/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort 0 \
  --location "$WORK/azurite" --oauth basic --cert "$CERT" --key "$WORK/key.pem" >"$WORK/azurite.log" 2>&1 &
PIDS+=($!)
AZ_PORT=""
for _ in $(seq 300); do
  AZ_PORT=$(sed -n 's#^.*successfully listens on https://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$WORK/azurite.log" | head -n 1)
  [ -n "$AZ_PORT" ] && break
  sleep 0.1
done
[ -n "$AZ_PORT" ] || fail_setup "Azurite did not start: $(tail -c 1000 "$WORK/azurite.log")"
AZ_EP=https://127.0.0.1:$AZ_PORT/$ACCOUNT
timeout 580 "$PY" "$ROOT/tests/support/fake_entra_server.py" --secret "$SP_SECRET" \
  --log "$WORK/entra.log" >"$WORK/entra.port" 2>&1 &
PIDS+=($!)
ENTRA_PORT=""
for _ in $(seq 300); do
  ENTRA_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$WORK/entra.port")
  [ -n "$ENTRA_PORT" ] && break
  sleep 0.1
done
[ -n "$ENTRA_PORT" ] || fail_setup "the fake Entra server did not start: $(cat "$WORK/entra.port")"
ENTRA=http://127.0.0.1:$ENTRA_PORT
CONN="DefaultEndpointsProtocol=https;AccountName=$ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=$AZ_EP;"
"$PY" - "$WORK" "$CONN" "$CONTAINER" "$CERT" >"$WORK/upload.log" 2>&1 <<'PYEOF' || fail_setup "upload to Azurite failed: $(tail -c 1000 "$WORK/upload.log")"
import os, sys
from azure.storage.blob import BlobServiceClient
work, conn, container, cert = sys.argv[1:5]
names = ["img/one.txt", "img/sp ace \u00e9+.bin", "other/x.txt"]
cc = BlobServiceClient.from_connection_string(conn, connection_verify=cert).get_container_client(container)
cc.create_container()
os.makedirs(os.path.join(work, "az-bodies"))
for i, n in enumerate(names):
    body = b"sp blob %d " % i + n.encode()
    cc.upload_blob(n, body)
    open(os.path.join(work, "az-bodies", n.replace("/", "_")), "wb").write(body)
open(os.path.join(work, "az-names.txt"), "wb").write(b"".join(n.encode() + b"\n" for n in names))
PYEOF
# The HTTPS trust and Entra's host; the environment's own service principal and account
# variables name others, which the integration's must win over.
AZ_ENV=("SSL_CERT_FILE=$CERT" "AZURE_AUTHORITY_HOST=$ENTRA" AZURE_TENANT_ID=env-tenant
  AZURE_CLIENT_ID=env-client AZURE_CLIENT_SECRET=env-client-SECRET
  "AZURE_STORAGE_CONNECTION_STRING=$CONN")
printf '%s\n' "$SP_SECRET" >"$WORK/sp-secret"
run -- integrations add --name az-sp --provider azure --bucket "$CONTAINER" --endpoint "$AZ_EP" \
  --tenant-id "$TENANT" --client-id presign-test-app --client-secret - <"$WORK/sp-secret"
expect 0 "integrations add az-sp"
printf 'wrong-%s\n' "$SP_SECRET" >"$WORK/sp-wrong"
run -- integrations add --name az-sp-wrong --provider azure --bucket "$CONTAINER" --endpoint "$AZ_EP" \
  --tenant-id "$TENANT" --client-id presign-test-app --client-secret - <"$WORK/sp-wrong"
expect 0 "integrations add az-sp-wrong"
# fetch_ok WHAT URL BLOB: a user delegation SAS whose GET answers 200 with BLOB's bytes.
fetch_ok() {
  case "$2" in *"&skoid="*"&sktid=$TENANT&"*"&sig="*) ;; *) bad "$1: not a user delegation SAS of tenant $TENANT: $2"; return ;; esac
  local code
  code=$(curl -s --cacert "$CERT" -o "$WORK/got" -w '%{http_code}' --max-time 10 "$2")
  if [ "$code" = 200 ] && cmp -s "$WORK/got" "$WORK/az-bodies/${3//\//_}"; then ok; else
    bad "$1: GET of $3 -> $code $(head -c 300 "$WORK/got")"
  fi
}
run "${AZ_ENV[@]}" -- sign --integration az-sp --keys-from "$WORK/az-names.txt" --format urls --output "$WORK/sp.urls"
expect 0 "sign --integration az-sp --keys-from"
i=0
while IFS= read -r name; do
  i=$((i + 1))
  fetch_ok "az-sp URL $i" "$(sed -n "${i}p" "$WORK/sp.urls")" "$name"
done <"$WORK/az-names.txt"
if grep -q "^POST /$TENANT/oauth2/v2.0/token client_id,client_secret,grant_type,scope$" "$WORK/entra.log" &&
  ! grep -q "env-tenant" "$WORK/entra.log"; then ok; else
  bad "az-sp: no client-secret token request of tenant $TENANT (or one of the environment's): $(cat "$WORK/entra.log")"
fi
# A listing with the Bearer token, then user delegation SASs.
run "${AZ_ENV[@]}" -- ls --integration az-sp img/
expect 0 "ls --integration az-sp img/"
if [ "$(cat "$OUT")" = "$(printf 'img/one.txt\nimg/sp ace é+.bin')" ]; then ok; else bad "ls --integration az-sp img/: $(head -c 300 "$OUT")"; fi
run "${AZ_ENV[@]}" -- sign --integration az-sp img/ --format ndjson --output "$WORK/sp.ndjson"
expect 0 "sign --integration az-sp img/"
if [ "$(lines "$WORK/sp.ndjson")" -eq 2 ]; then ok; else bad "sign --integration az-sp img/: $(lines "$WORK/sp.ndjson") records, want 2"; fi
while IFS=$'\t' read -r key url; do
  fetch_ok "az-sp listed $key" "$url" "$key"
done < <("$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l); print(r["key"] + "\t" + r["url"])' "$WORK/sp.ndjson")
# The environment route with the same service principal, under a fixed signing time: the
# same URLs.
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run "${AZ_ENV[@]}" -- sign --integration az-sp --keys-from "$WORK/az-names.txt" --signing-time "$T" --output "$WORK/sp-t.urls"
expect 0 "sign --integration az-sp --signing-time"
run "SSL_CERT_FILE=$CERT" "AZURE_AUTHORITY_HOST=$ENTRA" "AZURE_TENANT_ID=$TENANT" AZURE_CLIENT_ID=presign-test-app \
  "AZURE_CLIENT_SECRET=$SP_SECRET" -- sign "az://$ACCOUNT/$CONTAINER" --endpoint "$AZ_EP" \
  --keys-from "$WORK/az-names.txt" --signing-time "$T" --output "$WORK/sp-env.urls"
expect 0 "sign az:// with AZURE_TENANT_ID/CLIENT_ID/CLIENT_SECRET (the reference)"
if cmp -s "$WORK/sp-t.urls" "$WORK/sp-env.urls"; then ok; else bad "az-sp: URLs differ from the environment route's: $(diff "$WORK/sp-t.urls" "$WORK/sp-env.urls" | head -c 800)"; fi
run "${AZ_ENV[@]}" -- integrations check az-sp
expect 0 "check az-sp" "integration 'az-sp': ok"
if [ "$(field_of az-sp status)" = ok ]; then ok; else bad "check az-sp did not record ok"; fi
# A wrong client secret: exit 3, Entra's refusal and the source named, no output file.
run "${AZ_ENV[@]}" -- sign --integration az-sp-wrong --keys-from "$WORK/az-names.txt" --output "$WORK/sp-wrong.urls"
expect 3 "sign --integration az-sp-wrong" "client secret.*HTTP 401, error invalid_client|HTTP 401, error invalid_client.*client secret"
no_output_file "sign --integration az-sp-wrong" "$WORK/sp-wrong.urls"
run "${AZ_ENV[@]}" -- ls --integration az-sp-wrong
expect 3 "ls --integration az-sp-wrong" "invalid_client"
run "${AZ_ENV[@]}" -- integrations check az-sp-wrong
expect 3 "check az-sp-wrong" "integration 'az-sp-wrong': failing: .*invalid_client"
if [ "$(field_of az-sp-wrong status)" = failing ]; then ok; else bad "check az-sp-wrong did not record failing"; fi
SECRETS+=(env-client-SECRET)
for name in gcs-imp az-sp; do
  used=$(field_of "$name" last_used)
  if [ "$used" != null ] && [ -n "$used" ]; then ok; else bad "sign/ls did not stamp last used of $name"; fi
done
if [ "$(field_of az-sp-wrong last_used)" = null ]; then ok; else bad "a job refused by Entra ID stamped last used of az-sp-wrong"; fi

# === no secret anywhere =======================================================================
run -- integrations list --json
for s in "${SECRETS[@]}"; do
  [ -n "$s" ] || continue
  if grep -qF -- "$s" "$ALL_OUTPUT"; then bad "a secret appears in the output: ${s:0:6}..."; else ok; fi
  if grep -qaF -- "$s" "$PRESIGN_STORE" "$PRESIGN_STORE-wal" 2>/dev/null; then bad "a secret appears in the store file: ${s:0:6}..."; else ok; fi
done
# Issued AWS secrets, Google access tokens, Entra tokens (JWTs).
if grep -qE 'sec-[0-9a-f]{32}|ya29\.|eyJ0eXAi' "$ALL_OUTPUT"; then bad "an issued secret or access token appears in the output"; else ok; fi
finish
