#!/usr/bin/env bash
# GCS keyless signing end to end (ctest cli.gcs_keyless): `presign sign gs://…` without a key,
# its signatures made by IAM signBlob, against fake_gcs_server (tests/support/fake_gcs_main.cpp:
# the GCE metadata server, the refresh-token grant and signBlob, which signs with the published
# dummy key). RSASSA-PKCS1-v1_5 is deterministic, so every keyless URL must equal, byte for
# byte, the URL the key file gives locally. Checks:
#   - via GCE_METADATA_HOST (the instance's default account, asked from the metadata server);
#   - via ADC user credentials (GOOGLE_APPLICATION_CREDENTIALS, and gcloud's ADC file under
#     CLOUDSDK_CONFIG) with --impersonate-service-account; and listing gs:// with those tokens;
#   - 503/429/garbage answers retried; a 7-day --expires accepted although the token lives 60 s;
#   - errors: user credentials without --impersonate-service-account, metadata server down,
#     a server that is no metadata server, signBlob 403, signBlob answering garbage every time:
#     exit 3, a clear message, no output file, and no token or secret in stderr;
#   - `ls` and `sign` of a listing with --impersonate-service-account list with the account's
#     tokens from IAM generateAccessToken (the fake's pages_as_impersonated), the URLs equal to
#     the key file's; an account IAM refuses to impersonate: exit 3, IAM's message, no output;
#   - `ls --access-token T --impersonate-service-account` lists with the account's tokens that
#     T (the caller's) gets from generateAccessToken;
#   - signBlob refused mid-job (403 after 40 calls): exit 3, one clear error, no output;
#   - --impersonate-service-account refused for s3:// and az://.
# usage: gcs_keyless.sh PRESIGN FAKE_GCS_SERVER SERVICE_ACCOUNT.json
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
KEY=${3:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE KEY"
need_exe "$FAKE" "fake_gcs_server binary" "build target fake_gcs_server"
[ -f "$KEY" ] || fail_setup "service-account key '$KEY' is missing"
need_cmd timeout "coreutils"
need_exe "$PY" python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-gcs-keyless.XXXXXX") || fail_setup "mktemp failed"
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

EMAIL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_email"])' "$KEY")
REFRESH='1//refresh-token-SECRET-for-tests'
CLIENT_SECRET='client-SECRET-value'
SIGNING_TIME=2019-02-01T09:00:00Z
unset GOOGLE_APPLICATION_CREDENTIALS GCS_HMAC_ACCESS_ID GCS_HMAC_SECRET GOOGLE_OAUTH_ACCESS_TOKEN \
  STORAGE_EMULATOR_HOST GCE_METADATA_HOST CLOUDSDK_CONFIG CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS
export HOME="$WORK/home"  # no gcloud ADC file of the caller's
mkdir -p "$HOME"

printf '%s\n' 'test-object' 'sp ace/é+plus.txt' "a!b'(c)*~_-.txt" '100%=&?#.txt' 'folder/' \
  '日本/😀.txt' >"$WORK/keys.txt"
for i in $(seq 1 300); do echo "many/object-$i"; done >>"$WORK/keys.txt"
printf '%s\n' 'dir/a' 'dir/b' 'dir/c' >"$WORK/names.txt"

start_server() {  # start_server ARGS...: sets ENDPOINT and HOSTPORT once the fake listens
  timeout 300 "$FAKE" --names "$WORK/names.txt" --key "$KEY" --bucket test-bucket \
    --refresh-token "$REFRESH" "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  ENDPOINT=""
  for _ in $(seq 100); do
    ENDPOINT=$(sed -n 's#^fake_gcs_server listening on \(http://127.0.0.1:[0-9]*\) .*#\1#p' "$WORK/server.out")
    [ -n "$ENDPOINT" ] && HOSTPORT=${ENDPOINT#http://} && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail_setup "fake_gcs_server did not start: $(cat "$WORK/server.err")"
}
counter() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$WORK/server.out"; }

common=(--keys-from "$WORK/keys.txt" --signing-time "$SIGNING_TIME" --expires 3600 --quiet)

# The reference: the key file, signed locally (no network).
"$PRESIGN" sign gs://test-bucket "${common[@]}" --credentials "$KEY" --output "$WORK/ref.txt" \
  2>"$WORK/ref.err" || fail_setup "the key-file run failed: $(cat "$WORK/ref.err")"
[ "$(wc -l <"$WORK/ref.txt")" -eq 306 ] || fail_setup "the key-file run wrote $(wc -l <"$WORK/ref.txt") URLs"

same_as_ref() {  # same_as_ref NAME FILE
  if cmp -s "$WORK/ref.txt" "$2"; then ok; else bad "$1: URLs differ from the key file's"; fi
}
no_secret() {  # no_secret NAME FILE: no token, refresh token or client secret in FILE
  if grep -q -e 'ya29\.' -e 'SECRET' "$2"; then bad "$1: a secret in stderr"; else ok; fi
}
expect_exit3() {  # expect_exit3 NAME PATTERN OUT ERR RC
  local name=$1 pattern=$2 out=$3 err=$4 rc=$5
  if [ "$rc" -eq 3 ]; then ok; else bad "$name: exit $rc, want 3: $(head -c 600 "$err")"; fi
  if grep -q -e "$pattern" "$err"; then ok; else bad "$name: no '$pattern' in: $(head -c 600 "$err")"; fi
  if [ ! -e "$out" ]; then ok; else bad "$name: an output file was left"; fi
  no_secret "$name" "$err"
}

echo "== metadata server (GCE_METADATA_HOST), the default account, 503/429/garbage retried =="
start_server --sign-faults 503,429,garbage --token-ttl 60
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/meta.txt" 2>"$WORK/meta.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "metadata: exit $rc: $(head -c 600 "$WORK/meta.err")"; fi
same_as_ref "metadata" "$WORK/meta.txt"
no_secret "metadata" "$WORK/meta.err"

echo "== a 7-day URL although the metadata token lives 60 s =="
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket --keys-from "$WORK/keys.txt" \
  --expires 7d --quiet --format ndjson --output "$WORK/week.ndjson" 2>"$WORK/week.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "7 days: exit $rc: $(head -c 600 "$WORK/week.err")"; fi
if grep -q 'X-Goog-Expires=604800' "$WORK/week.ndjson"; then ok; else bad "7 days: no X-Goog-Expires=604800"; fi

echo "== ADC user credentials with --impersonate-service-account =="
"$PY" - "$WORK/adc.json" "$ENDPOINT/token" "$REFRESH" "$CLIENT_SECRET" <<'PYEOF'
import json, sys
json.dump({"type": "authorized_user", "client_id": "cid.apps.example", "client_secret": sys.argv[4],
           "refresh_token": sys.argv[3], "token_uri": sys.argv[2]}, open(sys.argv[1], "w"))
PYEOF
GOOGLE_APPLICATION_CREDENTIALS="$WORK/adc.json" timeout 120 "$PRESIGN" sign gs://test-bucket \
  "${common[@]}" --impersonate-service-account "$EMAIL" --output "$WORK/adc.txt" 2>"$WORK/adc.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "ADC: exit $rc: $(head -c 600 "$WORK/adc.err")"; fi
same_as_ref "ADC" "$WORK/adc.txt"
no_secret "ADC" "$WORK/adc.err"
mkdir -p "$WORK/gcloud" && cp "$WORK/adc.json" "$WORK/gcloud/application_default_credentials.json"
CLOUDSDK_CONFIG="$WORK/gcloud" timeout 120 "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --impersonate-service-account "$EMAIL" --output "$WORK/adc2.txt" 2>"$WORK/adc2.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "gcloud ADC file: exit $rc: $(head -c 600 "$WORK/adc2.err")"; fi
same_as_ref "gcloud ADC file" "$WORK/adc2.txt"

echo "== listing gs:// with the user's tokens, then signing keyless =="
GOOGLE_APPLICATION_CREDENTIALS="$WORK/adc.json" timeout 120 "$PRESIGN" ls gs://test-bucket/dir/ \
  --endpoint "$ENDPOINT" --quiet --output "$WORK/ls.txt" 2>"$WORK/ls.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/ls.txt")" = "$(cat "$WORK/names.txt")" ]; then ok; else
  bad "ls with ADC: exit $rc: $(head -c 600 "$WORK/ls.err")"
fi
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket/dir/ --endpoint "$ENDPOINT" \
  --signing-time "$SIGNING_TIME" --quiet --output "$WORK/listed.txt" 2>"$WORK/listed.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$WORK/listed.txt")" -eq 3 ]; then ok; else
  bad "sign a listing keyless: exit $rc: $(head -c 600 "$WORK/listed.err")"
fi

echo "== errors: exit 3, a clear message, no output file =="
GOOGLE_APPLICATION_CREDENTIALS="$WORK/adc.json" "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/e1.txt" 2>"$WORK/e1.err"
expect_exit3 "user credentials alone" "impersonate-service-account" "$WORK/e1.txt" "$WORK/e1.err" $?
GCE_METADATA_HOST=$HOSTPORT "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --impersonate-service-account "denied-sa@dummy-project-id.iam.gserviceaccount.com" \
  --output "$WORK/e2.txt" 2>"$WORK/e2.err"
expect_exit3 "signBlob 403" "roles/iam.serviceAccountTokenCreator" "$WORK/e2.txt" "$WORK/e2.err" $?
stop_server

start_server --sign-faults garbage,garbage,garbage,garbage,garbage
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/e3.txt" 2>"$WORK/e3.err"
expect_exit3 "signBlob garbage" "unusable answer" "$WORK/e3.txt" "$WORK/e3.err" $?
stop_server

start_server --metadata-flavor no
GCE_METADATA_HOST=$HOSTPORT "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/e4.txt" 2>"$WORK/e4.err"
expect_exit3 "not a metadata server" "Metadata-Flavor" "$WORK/e4.txt" "$WORK/e4.err" $?
stop_server

# Metadata server down: the port the fake had, now closed.
GCE_METADATA_HOST=$HOSTPORT timeout 60 "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/e5.txt" 2>"$WORK/e5.err"
expect_exit3 "metadata server down" "metadata server at $HOSTPORT" "$WORK/e5.txt" "$WORK/e5.err" $?

echo "== listing as the impersonated account (IAM generateAccessToken), ls and sign =="
start_server
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
"$PY" - "$WORK/adc-imp.json" "$ENDPOINT/token" "$REFRESH" "$CLIENT_SECRET" <<'PYEOF'
import json, sys
json.dump({"type": "authorized_user", "client_id": "cid.apps.example", "client_secret": sys.argv[4],
           "refresh_token": sys.argv[3], "token_uri": sys.argv[2]}, open(sys.argv[1], "w"))
PYEOF
GOOGLE_APPLICATION_CREDENTIALS="$WORK/adc-imp.json" timeout 120 "$PRESIGN" ls gs://test-bucket/dir/ \
  --endpoint "$ENDPOINT" --impersonate-service-account "$EMAIL" --quiet --output "$WORK/ls-imp.txt" \
  2>"$WORK/ls-imp.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/ls-imp.txt")" = "$(cat "$WORK/names.txt")" ]; then ok; else
  bad "ls as the impersonated account: exit $rc: $(head -c 600 "$WORK/ls-imp.err")"
fi
no_secret "ls as the impersonated account" "$WORK/ls-imp.err"
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket/dir/ --endpoint "$ENDPOINT" \
  --impersonate-service-account "$EMAIL" --signing-time "$SIGNING_TIME" --expires 3600 --quiet \
  --output "$WORK/listed-imp.txt" 2>"$WORK/listed-imp.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "sign a listing as the impersonated account: exit $rc: $(head -c 600 "$WORK/listed-imp.err")"; fi
no_secret "sign a listing as the impersonated account" "$WORK/listed-imp.err"
# The URLs verify: the same bytes as the key file's, signed locally.
"$PRESIGN" sign gs://test-bucket --keys-from "$WORK/names.txt" --signing-time "$SIGNING_TIME" \
  --endpoint "$ENDPOINT" --expires 3600 --quiet --credentials "$KEY" --output "$WORK/listed-ref.txt" 2>"$WORK/listed-ref.err" ||
  fail_setup "the key-file run of the listed names failed: $(cat "$WORK/listed-ref.err")"
if cmp -s "$WORK/listed-ref.txt" "$WORK/listed-imp.txt"; then ok; else
  bad "sign a listing as the impersonated account: URLs differ from the key file's"
fi
# An account IAM refuses to impersonate: exit 3 naming it and IAM's message, no output.
DENIED=denied-sa@dummy-project-id.iam.gserviceaccount.com
GOOGLE_APPLICATION_CREDENTIALS="$WORK/adc-imp.json" timeout 120 "$PRESIGN" ls gs://test-bucket/dir/ \
  --endpoint "$ENDPOINT" --impersonate-service-account "$DENIED" --quiet --output "$WORK/e7.txt" \
  2>"$WORK/e7.err"
rc=$?
expect_exit3 "ls as an account IAM refuses" "generateAccessToken refused to impersonate $DENIED" \
  "$WORK/e7.txt" "$WORK/e7.err" $rc
if grep -q "PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied" "$WORK/e7.err"; then ok; else
  bad "ls as an account IAM refuses: IAM's message is missing: $(head -c 600 "$WORK/e7.err")"
fi
stop_server
# Both listings (one page each) used the impersonated account's tokens, never the caller's.
if [ "$(counter pages_as_impersonated)" = 2 ] && [ "$(counter pages_as_caller)" = 0 ]; then ok; else
  bad "listings as the impersonated account: pages_as_impersonated=$(counter pages_as_impersonated) pages_as_caller=$(counter pages_as_caller)"
fi
if [ "$(counter access_tokens_generated)" = 2 ]; then ok; else
  bad "access_tokens_generated=$(counter access_tokens_generated), want 2"
fi

echo "== --access-token with --impersonate-service-account: the token asks IAM for the account's =="
# The fake accepts FAKE_GCS_STATIC_TOKEN as a caller's token (IAM takes it, as it takes one of
# gcloud's access-token files); the listing must use the account's token IAM issues for it.
FAKE_GCS_STATIC_TOKEN=ya29.static-caller-token start_server
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
timeout 120 "$PRESIGN" ls gs://test-bucket/dir/ --endpoint "$ENDPOINT" \
  --access-token ya29.static-caller-token --impersonate-service-account "$EMAIL" --quiet \
  --output "$WORK/ls-tok-imp.txt" 2>"$WORK/ls-tok-imp.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/ls-tok-imp.txt")" = "$(cat "$WORK/names.txt")" ]; then ok; else
  bad "ls --access-token --impersonate-service-account: exit $rc: $(head -c 600 "$WORK/ls-tok-imp.err")"
fi
no_secret "ls --access-token --impersonate-service-account" "$WORK/ls-tok-imp.err"
stop_server
if [ "$(counter pages_as_impersonated)" = 1 ] && [ "$(counter pages_as_caller)" = 0 ] &&
   [ "$(counter access_tokens_generated)" = 1 ]; then ok; else
  bad "ls --access-token --impersonate-service-account listed as the caller: pages_as_impersonated=$(counter pages_as_impersonated) pages_as_caller=$(counter pages_as_caller) access_tokens_generated=$(counter access_tokens_generated)"
fi

echo "== keyless signing refused mid-job (signBlob 403 from its 40th call): exit 3, no output =="
start_server --sign-deny-after 40
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket "${common[@]}" \
  --output "$WORK/e8.txt" 2>"$WORK/e8.err"
rc=$?
expect_exit3 "signBlob refused mid-job" "keyless signing stopped: IAM signBlob refused to sign as $EMAIL" \
  "$WORK/e8.txt" "$WORK/e8.err" $rc
if grep -q "PERMISSION_DENIED: Permission 'iam.serviceAccounts.signBlob' denied" "$WORK/e8.err"; then ok; else
  bad "signBlob refused mid-job: IAM's message is missing: $(head -c 600 "$WORK/e8.err")"
fi
if [ "$(grep -c '' "$WORK/e8.err")" -le 3 ]; then ok; else
  bad "signBlob refused mid-job: $(grep -c '' "$WORK/e8.err") lines of stderr, not one error"
fi
stop_server
# It stopped: far fewer calls than objects, some of them refused.
if [ "$(counter sign_denied)" -ge 1 ] && [ "$(counter sign_requests)" -lt 300 ]; then ok; else
  bad "signBlob refused mid-job: sign_requests=$(counter sign_requests) sign_denied=$(counter sign_denied)"
fi

# The same while signing a listing (the listing's job path): exit 3, no output.
start_server --sign-deny-after 2
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS="$ENDPOINT/"
GCE_METADATA_HOST=$HOSTPORT timeout 120 "$PRESIGN" sign gs://test-bucket/dir/ --endpoint "$ENDPOINT" \
  --signing-time "$SIGNING_TIME" --quiet --output "$WORK/e9.txt" 2>"$WORK/e9.err"
rc=$?
expect_exit3 "signBlob refused while signing a listing" "keyless signing stopped: IAM signBlob refused" \
  "$WORK/e9.txt" "$WORK/e9.err" $rc
stop_server

echo "== --impersonate-service-account is gs:// only =="
for uri in s3://bucket az://account/container; do
  "$PRESIGN" sign "$uri" --keys-from "$WORK/keys.txt" --impersonate-service-account "$EMAIL" \
    --output "$WORK/e6.txt" 2>"$WORK/e6.err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- "--impersonate-service-account does not apply" "$WORK/e6.err"; then ok; else
    bad "$uri: exit $rc: $(head -c 400 "$WORK/e6.err")"
  fi
done

finish
