#!/usr/bin/env bash
# HTTPS listing with certificate checks (ctest label "live"): a throwaway CA and a server
# certificate for 127.0.0.1 are made with openssl in the temp dir, and the fake S3 server
# (tests/support/fake_s3_main.cpp --tls-cert/--tls-key, SigV4 checked) serves 40 keys over
# HTTPS only. Then:
# - with --ca-bundle CA.pem, `presign sign` and `presign ls` list and sign every key (exit 0);
# - without it (the system store does not know the CA), the listing fails with a certificate
#   error, exit 5, and no output file;
# - with --ca-bundle naming another CA: the same refusal;
# - with --no-verify-ssl, the listing succeeds and a warning is printed;
# - a certificate for another address (127.0.0.2), signed by the trusted CA: refused (host
#   name verification), exit 5; accepted with --no-verify-ssl.
# usage: tls_listing.sh PATH/TO/presign PATH/TO/fake_s3_server
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE_S3_SERVER"
need_exe "$FAKE" "fake_s3_server binary" "build target fake_s3_server"
need_cmd openssl "the command-line tool"
need_cmd timeout "coreutils"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-tls.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
export AWS_ACCESS_KEY_ID=AKIDTLSLISTING AWS_SECRET_ACCESS_KEY=tls-listing-secret
export FAKE_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID FAKE_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
unset SSL_CERT_FILE SSL_CERT_DIR
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials

# --- a CA, a server certificate for 127.0.0.1, one for 127.0.0.2, and an unrelated CA -------
make_ca() {  # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=presign test $1" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    >/dev/null 2>"$WORK/openssl.err" || fail_setup "openssl could not make the CA $1: $(cat "$WORK/openssl.err")"
}
make_server_cert() {  # NAME IP
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" >/dev/null 2>"$WORK/openssl.err" ||
    fail_setup "openssl could not make the key of $1: $(cat "$WORK/openssl.err")"
  printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
    "$2" >"$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 2 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" >/dev/null 2>"$WORK/openssl.err" ||
    fail_setup "openssl could not sign $1: $(cat "$WORK/openssl.err")"
}
make_ca ca
make_ca other-ca
make_server_cert server 127.0.0.1
make_server_cert wrong-host 127.0.0.2
openssl verify -CAfile "$WORK/ca.pem" "$WORK/server.pem" >/dev/null 2>&1 || fail_setup "the server certificate does not verify"

start_server() {  # NAME CERT: sets STARTED to the endpoint
  timeout 120 "$FAKE" --keys 40 --verify-sigv4 --tls-cert "$WORK/$2.pem" --tls-key "$WORK/$2.key" \
    >"$WORK/$1.out" 2>"$WORK/$1.err" &
  PIDS+=($!)
  local ep=""
  for _ in $(seq 100); do
    ep=$(sed -n 's#^fake_s3_server listening on \(https://127.0.0.1:[0-9]*\)/bucket .*#\1#p' "$WORK/$1.out")
    [ -n "$ep" ] && break
    sleep 0.1
  done
  [ -n "$ep" ] || fail_setup "fake_s3_server ($1) did not start over HTTPS: $(cat "$WORK/$1.err" "$WORK/$1.out")"
  STARTED=$ep
}
start_server good server
EP=$STARTED
start_server wrong wrong-host
EP_WRONG=$STARTED

common=(--region us-east-1 --retry-max-attempts 2 --retry-base-delay 10ms)
sign_ok() {  # NAME EXTRA...: lists and signs every key, exit 0
  local name=$1
  shift
  "$PRESIGN" sign s3://bucket/obj/ --endpoint "$EP" "${common[@]}" --format tsv --quiet "$@" \
    --output "$WORK/$name.tsv" 2>"$WORK/$name.err"
  local rc=$?
  if [ "$rc" -eq 0 ] && [ "$(wc -l <"$WORK/$name.tsv")" -eq 40 ] &&
     [ "$(cut -f2 "$WORK/$name.tsv" | grep -c "^$EP/bucket/obj/.*X-Amz-Signature=")" -eq 40 ]; then ok
  else bad "$name: exit $rc or not 40 signed URLs: $(head -c 400 "$WORK/$name.err")"; fi
}
refused() {  # NAME ENDPOINT REGEX EXTRA...: a certificate error, exit 5, no output file
  local name=$1 ep=$2 regex=$3
  shift 3
  mkdir -p "$WORK/$name"
  timeout 60 "$PRESIGN" sign s3://bucket/obj/ --endpoint "$ep" "${common[@]}" --quiet "$@" \
    --output "$WORK/$name/out.tsv" 2>"$WORK/$name.err"
  local rc=$?
  if [ "$rc" -eq 5 ] && grep -Eiq -- "$regex" "$WORK/$name.err" && [ -z "$(ls -A "$WORK/$name")" ]; then ok
  else bad "$name: exit $rc (want 5, /$regex/, no output): $(head -c 400 "$WORK/$name.err")"; fi
}

echo "== --ca-bundle: the listing succeeds =="
sign_ok ca-bundle --ca-bundle "$WORK/ca.pem"
if [ ! -s "$WORK/ca-bundle.err" ]; then ok; else bad "ca-bundle: unexpected messages: $(head -c 300 "$WORK/ca-bundle.err")"; fi
"$PRESIGN" ls s3://bucket/obj/ --endpoint "$EP" "${common[@]}" --ca-bundle "$WORK/ca.pem" >"$WORK/ls.keys" 2>"$WORK/ls.err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/ls.keys")" = "$(cut -f1 "$WORK/ca-bundle.tsv")" ]; then ok
else bad "ls --ca-bundle: exit $rc or keys differ from sign's: $(head -c 300 "$WORK/ls.err")"; fi

echo "== without --ca-bundle, or with another CA: certificate error, exit 5 =="
refused no-ca-bundle "$EP" 'certificate verification failed'
refused other-ca "$EP" 'certificate verification failed' --ca-bundle "$WORK/other-ca.pem"
refused wrong-host "$EP_WRONG" 'certificate verification failed.*(mismatch|host)' --ca-bundle "$WORK/ca.pem"

echo "== --no-verify-ssl: succeeds, with a warning =="
sign_ok no-verify --no-verify-ssl
if grep -q 'warning: --no-verify-ssl' "$WORK/no-verify.err"; then ok
else bad "--no-verify-ssl gave no warning: $(head -c 300 "$WORK/no-verify.err")"; fi
EP_SAVED=$EP
EP=$EP_WRONG
sign_ok no-verify-wrong-host --no-verify-ssl
EP=$EP_SAVED

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=()
if grep -q '^auth_failures 0$' "$WORK/good.out"; then ok; else bad "the server saw bad signatures: $(cat "$WORK/good.out")"; fi
echo "tls_listing: HTTPS listing with --ca-bundle, without it, with another CA, another host, --no-verify-ssl"
finish
