#!/usr/bin/env bash
# URL lifetimes that tell the truth (ctest label "cli"; providers/lifetime.hpp): session
# credentials from a profile's credential_process that expire in one hour.
#   --expires 7d                          exit 3 before any work, naming both instants and the
#                                         source; no output file; no secret in the message
#   --expires 7d --allow-shorter-expiry   exit 0, one warning, every record's expires_at, its
#                                         URL's X-Amz-Date + X-Amz-Expires and the --summary's
#                                         expires_at are the credentials' expiry
#   --expires 30m                         exit 0, no warning, expires_at = now + 30 min
#   credentials that expired a minute ago exit 3 with or without the flag.
# Signing only (--keys-from): no network.
# usage: cli_lifetime.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "python3 is the credential_process helper and reads the records"
PRESIGN=$(abs_path "$PRESIGN")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-lifetime.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || fail_setup "cannot cd to $WORK"
mkdir -p home/.aws
printf 'a.jpg\nb/c.png\n' >keys.txt
SECRET='lifetimeTestSecret/0123456789abcdefghijklmn'
TOKEN='lifetimeTestSessionToken0123456789'

# A credential_process helper: session credentials that end OFFSET seconds from now (whole
# seconds, RFC 3339 UTC); each run also writes its instant to expiry-OFFSET.txt for the checks.
helper() {
  local offset=$1
  {
    echo 'import datetime, json, sys'
    echo 'now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)'
    echo "e = (now + datetime.timedelta(seconds=$offset)).strftime('%Y-%m-%dT%H:%M:%SZ')"
    echo "open('$WORK/expiry-$offset.txt', 'w').write(e)"
    echo "print(json.dumps({'Version': 1, 'AccessKeyId': 'ASIALIFETIMETEST',"
    echo "                  'SecretAccessKey': '$SECRET', 'SessionToken': '$TOKEN',"
    echo "                  'Expiration': e}))"
  } >"helper$offset.py"
}
helper 3600
helper -60
{
  echo '[profile hour]'
  echo "credential_process = $PY $WORK/helper3600.py"
  echo '[profile gone]'
  echo "credential_process = $PY $WORK/helper-60.py"
} >home/.aws/config

# run NAME PROFILE [args...]: presign sign, output NAME.out, stderr NAME.err, rc NAME.rc
run() {
  local name=$1 profile=$2
  shift 2
  env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/home" \
    "$PRESIGN" sign s3://bucket --keys-from keys.txt --region us-east-1 --profile "$profile" \
    --quiet --output "$name.out" "$@" 2>"$name.err"
  echo $? >"$name.rc"
}
no_secret() {  # no_secret FILE CASE
  if grep -qF -e "$SECRET" -e "$TOKEN" "$1"; then bad "$2: a secret appears in $1"; else ok; fi
}
# The distinct expires_at values of the records of NDJSON file $1, one per line.
record_expiries() {
  "$PY" -c 'import json, sys
print("\n".join(sorted({json.loads(l)["expires_at"] for l in open(sys.argv[1])})))' "$1"
}

run refused hour --expires 7d
expiry=$(cat expiry-3600.txt)
[ "$(cat refused.rc)" = 3 ] && ok || bad "refused: exit $(cat refused.rc), want 3 ($(cat refused.err))"
[ ! -e refused.out ] && ok || bad "refused: an output file was written"
grep -qF "$expiry" refused.err && ok ||
  bad "refused: the credentials' expiry $expiry is not named: $(cat refused.err)"
grep -qE 'before the URLs would \([0-9T:-]+Z' refused.err && ok ||
  bad "refused: the URLs' expiry is not named: $(cat refused.err)"
grep -qF 'credential_process' refused.err && ok ||
  bad "refused: the source is not named: $(cat refused.err)"
grep -qF -- '--allow-shorter-expiry' refused.err && ok || bad "refused: the way out is not named"
no_secret refused.err refused

run allowed hour --expires 7d --allow-shorter-expiry --summary allowed.json
expiry=$(cat expiry-3600.txt)  # the helper ran again: a second may have passed
[ "$(cat allowed.rc)" = 0 ] && ok || bad "allowed: exit $(cat allowed.rc): $(cat allowed.err)"
[ "$(grep -c 'warning' allowed.err)" = 1 ] && grep -qF "$expiry" allowed.err && ok ||
  bad "allowed: want one warning naming $expiry: $(cat allowed.err)"
[ "$(record_expiries allowed.out)" = "$expiry" ] && ok ||
  bad "allowed: records carry $(record_expiries allowed.out | tr '\n' ' '), want $expiry"
# The URL itself says it too: X-Amz-Date + X-Amz-Expires is the credentials' end, not 7 days.
url_ends=$("$PY" -c 'import calendar, json, sys, time, urllib.parse
ends = set()
for line in open(sys.argv[1]):
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(json.loads(line)["url"]).query))
    t = calendar.timegm(time.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ")) + int(q["X-Amz-Expires"])
    ends.add(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)))
print(" ".join(sorted(ends)))' allowed.out)
[ "$url_ends" = "$expiry" ] && ok ||
  bad "allowed: the URLs end at $url_ends (X-Amz-Date + X-Amz-Expires), want $expiry"
"$PY" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["expires_at"] != sys.argv[2])' allowed.json "$expiry" &&
  ok || bad "allowed: the summary's expires_at is not $expiry"
no_secret allowed.err allowed
no_secret allowed.json allowed

before=$(date -u +%s)
run shorter hour --expires 30m
after=$(date -u +%s)
[ "$(cat shorter.rc)" = 0 ] && ok || bad "shorter: exit $(cat shorter.rc): $(cat shorter.err)"
[ ! -s shorter.err ] && ok || bad "shorter: unexpected messages: $(cat shorter.err)"
got=$(date -u -d "$(record_expiries shorter.out)" +%s 2>/dev/null || echo 0)
[ "$got" -ge $((before + 1800)) ] && [ "$got" -le $((after + 1800)) ] && ok ||
  bad "shorter: records expire at $(record_expiries shorter.out), want now + 30 min"

for flag in "" --allow-shorter-expiry; do
  name=gone${flag:+-allowed}
  run "$name" gone --expires 15m $flag
  [ "$(cat "$name.rc")" = 3 ] && ok || bad "$name: exit $(cat "$name.rc"), want 3"
  grep -qF "expired at $(cat expiry--60.txt)" "$name.err" && ok ||
    bad "$name: the message does not say when they expired: $(cat "$name.err")"
  [ ! -e "$name.out" ] && ok || bad "$name: an output file was written"
  no_secret "$name.err" "$name"
done

finish
