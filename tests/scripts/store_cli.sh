#!/usr/bin/env bash
# The control plane's commands (ctest label "cli") run as the real program against a real
# SQLite store in a temporary directory: users, API keys (shown once, never stored or listed;
# verify's verdicts and exit codes, expiry through PRESIGN_TEST_NOW), integrations (secrets
# never on disk in clear, never printed; provider/bucket updates refused; typed-name delete),
# the master key (file modes, a group-readable key file, a wrong PRESIGN_MASTER_KEY, rotation
# with the secrets still decrypting), the audit log, --json outputs, a store of a newer schema
# or no database at all, two processes creating and verifying keys at once without losing a
# write, and rotations while other processes read secrets.
# usage: store_cli.sh PATH/TO/presign PATH/TO/store_secret_check PATH/TO/tests/vectors
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
CHECK=${2:-}
VECTORS=${3:-}
need_exe "$PRESIGN" "presign binary"
need_exe "$CHECK" "store_secret_check binary"
need_cmd python3 "JSON checks"
need_cmd script "the typed-name confirmation on a terminal"
[ -f "$VECTORS/gcs/test_service_account.not-a-test.json" ] || fail_setup "no GCS test key under '$VECTORS'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-store-cli.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"
DATA="$WORK/data/presign"   # created by presign
ST="$DATA/presign.db"
unset PRESIGN_STORE PRESIGN_MASTER_KEY PRESIGN_MASTER_KEY_FILE PRESIGN_TEST_NOW XDG_DATA_HOME
export HOME="$WORK/home" PRESIGN_ACTOR="store-cli-test"

# run ARGS...: presign with --store, stdout/stderr in $WORK/out, $WORK/err, status in $rc.
run() { "$PRESIGN" "$@" --store "$ST" >"$WORK/out" 2>"$WORK/err"; rc=$?; }
# expect WANT_RC WHAT [GREP_IN_ERR_OR_OUT]: checks the last run.
expect() {
  local want=$1 what=$2 pattern=${3:-}
  if [ "$rc" -ne "$want" ]; then
    bad "$what: exit $rc, want $want (stderr: $(head -c 300 "$WORK/err"))"
    return
  fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$WORK/out" "$WORK/err"; then
    bad "$what: no '$pattern' in the output (stdout: $(head -c 200 "$WORK/out"); stderr: $(head -c 300 "$WORK/err"))"
    return
  fi
  ok
}
json_ok() {  # json_ok WHAT: stdout of the last run is valid JSON
  if python3 -m json.tool "$WORK/out" >/dev/null 2>&1; then ok; else bad "$1: not JSON: $(head -c 300 "$WORK/out")"; fi
}
mode() { stat -c %a "$1"; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
verify() { printf '%s\n' "$1" | "$PRESIGN" keys verify --store "$ST" >"$WORK/out" 2>"$WORK/err"; rc=$?; }

echo "== read-only commands do not create a store =="
for c in "users list" "keys list" "integrations list" "integrations show x" "audit" \
  "integrations check x" "sign --integration x" "ls --integration x"; do
  # shellcheck disable=SC2086
  run $c
  expect 3 "$c without a store" "no store at $ST \(create one with"
done
verify "psk_00000000000000000000000000000000000000"
expect 3 "keys verify without a store" "no store at"
if [ ! -e "$ST" ] && [ ! -e "$DATA" ]; then ok; else bad "a read-only command created the store or its directory"; fi

echo "== users =="
run users add ann@example.com
expect 0 "users add"
run users add bob@example.com
expect 0 "users add bob"
run users add "not an email"
expect 2 "users add with a space" "not valid"
run users add ann@example.com
expect 2 "users add twice" "already exists"
run users list --json
expect 0 "users list --json" "ann@example.com"
json_ok "users list --json"

echo "== files and modes =="
[ "$(mode "$ST")" = 600 ] && ok || bad "store mode $(mode "$ST"), want 600"
[ "$(mode "$DATA")" = 700 ] && ok || bad "store directory mode $(mode "$DATA"), want 700"
[ "$(mode "$DATA/master.key")" = 600 ] && ok || bad "master.key mode $(mode "$DATA/master.key"), want 600"
for side in "$ST-wal" "$ST-shm"; do
  if [ -e "$side" ]; then [ "$(mode "$side")" = 600 ] && ok || bad "$side mode $(mode "$side"), want 600"; fi
done

echo "== API keys =="
run keys create --name ci --user ann@example.com --role signer --validity 2 --unit hour
expect 0 "keys create"
KEY=$(cat "$WORK/out")
[ "$(wc -l <"$WORK/out")" -eq 1 ] && [[ "$KEY" =~ ^psk_[0-9A-Za-z]{38}$ ]] && ok || bad "keys create stdout is not one key: $(head -c 100 "$WORK/out")"
grep -qF -- "$KEY" "$WORK/err" && bad "the key was printed on stderr" || ok
grep -q "not shown again" "$WORK/err" && ok || bad "keys create does not say the key is shown once"
run keys list
expect 0 "keys list" "ci +ann@example.com +signer"
grep -qF -- "${KEY:4:12}" "$WORK/out" && bad "keys list shows the key" || ok
run keys list --json
expect 0 "keys list --json" '"state":"active"'
json_ok "keys list --json"
grep -qF -- "${KEY:4:12}" "$WORK/out" && bad "keys list --json shows the key" || ok
run keys create --name ci --user ann@example.com --role signer --validity 2 --unit hour
expect 2 "a second key named ci" "exists"
run keys create --name k59 --user ann@example.com --role viewer --validity 59 --unit second
expect 2 "validity 59 s" "1 minute to 25 weeks"
run keys create --name k25w1 --user ann@example.com --role viewer --validity 15120001 --unit second
expect 2 "validity 25 weeks + 1 s" "1 minute to 25 weeks"
run keys create --name kover --user ann@example.com --role viewer --validity 9223372036854775807 --unit week
expect 2 "validity overflowing" "1 minute to 25 weeks"
run keys create --name k25w --user ann@example.com --role admin --validity 25 --unit week
expect 0 "validity 25 weeks"
run keys create --name k60 --user ann@example.com --role admin --validity 60 --unit second
expect 0 "validity 60 s"
run keys create --name kx --user nobody@example.com --role admin --validity 1 --unit day
expect 2 "a key for an unknown user" "no user"
run keys create --name kr --user ann@example.com --role root --validity 1 --unit day
expect 2 "an unknown role"

echo "== verify =="
verify "$KEY"
expect 0 "verify a valid key" "^valid"
grep -q "user: ann@example.com" "$WORK/out" && grep -q "name: ci" "$WORK/out" && grep -q "role: signer" "$WORK/out" && grep -q "expires: " "$WORK/out" && ok || bad "verify does not say whose the key is: $(cat "$WORK/out")"
verify "hello"
expect 3 "verify garbage" "malformed"
last=${KEY: -1}; if [ "$last" = a ]; then typo="${KEY%?}b"; else typo="${KEY%?}a"; fi
verify "$typo"
expect 3 "verify a mistyped key" "bad checksum"
unknown=$(python3 -c '
import zlib
a="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
r="Z"*32; n=zlib.crc32(r.encode()); s=""
for _ in range(6): s=a[n%62]+s; n//=62
print("psk_"+r+s)')
verify "$unknown"
expect 3 "verify a well-formed unknown key" "unknown"
# Expiry without sleeping: a one-minute key created and verified at chosen instants.
PRESIGN_TEST_NOW=2030-01-01T00:00:00Z run keys create --name short --user ann@example.com --role viewer --validity 1 --unit minute
expect 0 "keys create at a test time"
SHORT=$(cat "$WORK/out")
PRESIGN_TEST_NOW=2030-01-01T00:00:59Z verify "$SHORT"
expect 0 "a one-minute key after 59 s" "^valid"
PRESIGN_TEST_NOW=2030-01-01T00:01:00Z verify "$SHORT"
expect 3 "a one-minute key after 60 s" "expired"
PRESIGN_TEST_NOW=2030-01-01T00:01:00Z run keys list
grep -E "^short " "$WORK/out" | grep -q expired && ok || bad "keys list does not show the expired state"
run users disable ann@example.com
expect 0 "users disable"
verify "$KEY"
expect 3 "verify a disabled user's key" "user disabled"
run keys list
grep -E "^ci " "$WORK/out" | grep -q user-disabled && ok || bad "keys list does not show user-disabled"
run users enable ann@example.com
expect 0 "users enable"
verify "$KEY"
expect 0 "verify after enable" "^valid"
run keys delete ci
expect 0 "keys delete"
verify "$KEY"
expect 3 "verify a deleted key" "unknown"
run keys delete ci
expect 2 "keys delete twice" "no API key"

echo "== integrations =="
AWS_SECRET="wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSTORETEST1"
printf '%s\n' "$AWS_SECRET" | "$PRESIGN" integrations add --store "$ST" --name prod-s3 --provider aws \
  --bucket my-bucket --region eu-west-1 --access-key-id AKIASTORETEST --secret-access-key - >"$WORK/out" 2>"$WORK/err"
rc=$?
expect 0 "integrations add aws (secret on stdin)"
AZ_KEY="c3RvcmUtY2xpLXRlc3QtYXp1cmUta2V5LXZhbHVlLTEyMzQ="
AZ_KEY_ENV="$AZ_KEY" run integrations add --name az1 --provider azure --bucket cont --account-name acct --account-key "$AZ_KEY"
expect 0 "integrations add azure"
GCS_KEY="$VECTORS/gcs/test_service_account.not-a-test.json"
run integrations add --name gcs1 --provider gcp --bucket gb --key-file "$GCS_KEY"
expect 0 "integrations add gcp key file"
printf '{"not":"a key"}' >"$WORK/bad.json"
run integrations add --name gcs2 --provider gcp --bucket gb --key-file "$WORK/bad.json"
expect 3 "integrations add with a JSON file that is no key file"
run integrations add --name role1 --provider aws --bucket b --role-arn arn:aws:iam::123456789012:role/presign --external-id ext-1
expect 0 "integrations add aws role (no secret)"
run integrations add --name mixed --provider aws --bucket b --role-arn arn:x --hmac-access-id GOOG1
expect 2 "two kinds of credentials" "one kind"
run integrations add --name wrongp --provider gcp --bucket b --role-arn arn:x
expect 2 "AWS credentials for gcp" "not gcp"
run integrations add --name "bad name" --provider aws --bucket b --role-arn arn:x
expect 2 "an integration name with a space" "not valid"
run integrations add --name nocred --provider aws --bucket b
expect 2 "an integration without credentials" "credentials"
run integrations show prod-s3
expect 0 "integrations show" "aws-access-key \(secret stored\)"
grep -qF -- "$AWS_SECRET" "$WORK/out" && bad "show printed the secret" || ok
run integrations show prod-s3 --json
expect 0 "integrations show --json" '"secret_stored":true'
json_ok "integrations show --json"
run integrations show role1 --json
expect 0 "integrations show a role" '"role_arn":"arn:aws:iam::123456789012:role/presign"'
run integrations list --json
expect 0 "integrations list --json" '"name":"gcs1"'
json_ok "integrations list --json"
grep -qF -- "$AWS_SECRET" "$WORK/out" && bad "list printed a secret" || ok
grep -q "PRIVATE KEY" "$WORK/out" && bad "list printed the GCS key" || ok
run integrations update prod-s3 --provider gcp
expect 2 "update --provider" "create a new integration"
run integrations update prod-s3 --bucket other
expect 2 "update --bucket" "create a new integration"
run integrations show prod-s3 --json
grep -q '"bucket":"my-bucket"' "$WORK/out" && ok || bad "a refused update changed the bucket"
"$CHECK" "$ST" prod-s3 secret_access_key "$(sha "$AWS_SECRET")" >/dev/null && ok || bad "the AWS secret does not decrypt to what was stored"
"$CHECK" "$ST" az1 account_key "$(sha "$AZ_KEY")" >/dev/null && ok || bad "the Azure key does not decrypt to what was stored"
"$CHECK" "$ST" az1 account_key "$(sha "something else")" >/dev/null && bad "store_secret_check matches anything" || ok

echo "== nothing secret on disk =="
for secret in "$AWS_SECRET" "$AZ_KEY" "$KEY" "$SHORT" "-----BEGIN PRIVATE KEY-----"; do
  n=$(cat "$ST" "$ST-wal" "$DATA"/master.key* 2>/dev/null | grep -c -a -F -- "$secret")
  [ "$n" -eq 0 ] && ok || bad "a secret (${secret:0:6}...) is in the store or key files ($n lines)"
done
n=$(grep -r -a -c -F -- "$AWS_SECRET" "$DATA" | awk -F: '{s+=$NF} END {print s+0}')
[ "$n" -eq 0 ] && ok || bad "the AWS secret is somewhere under $DATA"

echo "== delete needs the name typed =="
run integrations delete az1 --confirm az2
expect 2 "delete with a wrong --confirm" "not deleted"
"$PRESIGN" integrations delete az1 --store "$ST" </dev/null >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 2 "delete without a terminal or --confirm" "not a terminal"
# On a terminal (script gives the command a pty): a wrong name, then ^D (EOF).
printf 'az2\n' | script -qec "'$PRESIGN' integrations delete az1 --store '$ST'" /dev/null >"$WORK/out" 2>&1; rc=$?
[ "$rc" -eq 2 ] && grep -q "Type its name" "$WORK/out" && grep -q "not deleted" "$WORK/out" && ok || bad "a wrong typed name on a terminal (exit $rc): $(tr -d '\r' <"$WORK/out" | head -c 300)"
printf '\004' | script -qec "'$PRESIGN' integrations delete az1 --store '$ST'" /dev/null >"$WORK/out" 2>&1; rc=$?
[ "$rc" -eq 2 ] && grep -q "not deleted: no answer" "$WORK/out" && ok || bad "EOF on a terminal (exit $rc): $(tr -d '\r' <"$WORK/out" | head -c 300)"
run integrations show az1
expect 0 "az1 is still there after refused deletes"
printf 'az1\n' | script -qec "'$PRESIGN' integrations delete az1 --store '$ST'" /dev/null >"$WORK/out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && grep -q "deleted 'az1'" "$WORK/out" && ok || bad "the right typed name did not delete: $(tr -d '\r' <"$WORK/out" | head -c 300)"
run integrations show az1
expect 2 "az1 is gone" "no integration"
run integrations update gcs1 --rename gcs-main
expect 0 "integrations update --rename"
run integrations delete role1 --confirm role1
expect 0 "delete with the right --confirm"

echo "== master key =="
chmod 640 "$DATA/master.key"
run users list
expect 3 "a group-readable key file" "mode 0640.*chmod 600"
chmod 600 "$DATA/master.key"
PRESIGN_MASTER_KEY=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())') run users list
expect 3 "a wrong PRESIGN_MASTER_KEY" "the master key does not match this store"
PRESIGN_MASTER_KEY="hunter2" run users list
expect 3 "a PRESIGN_MASTER_KEY that is no key" "not a master key"
grep -q hunter2 "$WORK/err" && bad "the bad key was echoed" || ok
OLD=$(cat "$DATA/master.key")
run store rotate-master-key
expect 0 "store rotate-master-key" "key version 2"
[ "$(cat "$DATA/master.key")" != "$OLD" ] && ok || bad "the key file did not change"
[ "$(cat "$DATA/master.key.old")" = "$OLD" ] && ok || bad "master.key.old is not the old key"
[ "$(mode "$DATA/master.key")" = 600 ] && [ "$(mode "$DATA/master.key.old")" = 600 ] && ok || bad "key file modes after rotation"
grep -qF -- "$(cat "$DATA/master.key")" "$WORK/out" "$WORK/err" && bad "rotate printed the key" || ok
"$CHECK" "$ST" prod-s3 secret_access_key "$(sha "$AWS_SECRET")" >/dev/null && ok || bad "the AWS secret does not decrypt after rotation"
PRESIGN_MASTER_KEY="$OLD" run users list
expect 3 "the old key after rotation" "does not match"
run integrations list
expect 0 "the store opens with the new key"

echo "== audit =="
run audit --json
expect 0 "audit --json" '"action":"master_key.rotate"'
json_ok "audit --json"
for a in user.add user.disable user.enable key.create key.delete integration.add integration.update integration.delete; do
  grep -q "\"action\":\"$a\"" "$WORK/out" && ok || bad "no $a in the audit log"
done
grep -q '"actor":"store-cli-test"' "$WORK/out" && ok || bad "the audit log does not name PRESIGN_ACTOR"
run audit --json --actor someone-else
grep -qF -- "$AWS_SECRET" "$WORK/out" && bad "the audit log holds a secret" || ok
run audit --since 2999-01-01T00:00:00Z --json
expect 0 "audit --since the future" '^\[\]$'
run audit --since yesterday
expect 2 "audit --since not RFC 3339"

echo "== a store of a newer schema =="
cp "$ST" "$WORK/newer.db"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=99"); c.commit()' "$WORK/newer.db"
"$PRESIGN" users list --store "$WORK/newer.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 3 "a newer schema" "newer presign"
printf 'this is not a database, just some text that is long enough to be read as a header\n%.0s' $(seq 1 50) >"$WORK/junk.db"
"$PRESIGN" users list --store "$WORK/junk.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 4 "a file that is no SQLite database" "not a database"

echo "== two processes at once =="
# PRESIGN_STORE_LOOPS rounds per process (default 50; scripts/sanitize.sh runs 15, each
# sanitized process costing ~0.5 s): the two processes overlap either way.
loops=${PRESIGN_STORE_LOOPS:-50}
loop() {  # loop TAG: $loops key creations and $loops verifications
  local i k
  for i in $(seq 1 "$loops"); do
    k=$("$PRESIGN" keys create --store "$ST" --name "par-$1-$i" --user bob@example.com --role viewer --validity 1 --unit day 2>>"$WORK/par-$1.err") || echo "create $i failed" >>"$WORK/par-$1.fail"
    printf '%s\n' "$k" | "$PRESIGN" keys verify --store "$ST" >/dev/null 2>>"$WORK/par-$1.err" || echo "verify $i failed" >>"$WORK/par-$1.fail"
  done
}
loop a & pa=$!
loop b & pb=$!
wait "$pa" "$pb"
if [ -s "$WORK/par-a.fail" ] || [ -s "$WORK/par-b.fail" ]; then
  bad "parallel runs failed: $(cat "$WORK"/par-*.fail | head -5) $(head -c 300 "$WORK/par-a.err")"
else
  ok
fi
run keys list --json
n=$(python3 -c 'import json,sys; print(sum(1 for k in json.load(open(sys.argv[1])) if k["name"].startswith("par-")))' "$WORK/out")
[ "$n" -eq $((2 * loops)) ] && ok || bad "$n parallel keys in the store, want $((2 * loops))"
n=$("$PRESIGN" audit --json --store "$ST" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"]=="key.create" and e["target"].startswith("par-")))')
[ "$n" -eq $((2 * loops)) ] && ok || bad "$n parallel key.create audit rows, want $((2 * loops))"

echo "== rotations while other processes read secrets =="
rotations() { local i; for i in $(seq 1 6); do "$PRESIGN" store rotate-master-key --store "$ST" 2>>"$WORK/rot.err" || echo "rotation $i failed" >>"$WORK/rot.fail"; done; }
readers() { local i; for i in $(seq 1 40); do "$CHECK" "$ST" prod-s3 secret_access_key "$(sha "$AWS_SECRET")" >/dev/null 2>>"$WORK/read.err" || echo "read $i failed" >>"$WORK/read.fail"; done; }
rotations & pr=$!
readers & pc=$!
wait "$pr" "$pc"
if [ -s "$WORK/rot.fail" ] || [ -s "$WORK/read.fail" ]; then
  bad "rotation and readers at once: $(cat "$WORK"/rot.fail "$WORK"/read.fail 2>/dev/null | head -3) $(head -c 300 "$WORK/rot.err" "$WORK/read.err")"
else
  ok
fi
"$CHECK" "$ST" prod-s3 secret_access_key "$(sha "$AWS_SECRET")" >/dev/null && ok || bad "the secret does not decrypt after concurrent rotations"
[ ! -e "$DATA/master.key.new" ] && ok || bad "master.key.new left behind by completed rotations"

echo "== help =="
"$PRESIGN" integrations add --help >"$WORK/out" 2>&1
grep -q -- "'-': stdin" "$WORK/out" && ok || bad "integrations add --help does not offer stdin for secrets"

echo "== an existing store directory: warned about when others may write to it, never changed =="
mkdir -p "$WORK/open" "$WORK/shared"
chmod 0755 "$WORK/open"
chmod 0777 "$WORK/shared"
"$PRESIGN" users add a@example.com --store "$WORK/open/p.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 0 "a store in an existing 0755 directory"
if grep -q 'warning' "$WORK/err"; then bad "a 0755 directory was warned about: $(cat "$WORK/err")"; else ok; fi
if [ "$(mode "$WORK/open")" = 755 ] && [ "$(mode "$WORK/open/p.db")" = 600 ]; then ok; else bad "modes: dir $(mode "$WORK/open"), store $(mode "$WORK/open/p.db")"; fi
"$PRESIGN" users add a@example.com --store "$WORK/shared/p.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 0 "a store in an existing 0777 directory" "warning: the store's directory $WORK/shared \(mode 0777\) can be written by group or others.*chmod go-w"
"$PRESIGN" users list --store "$WORK/shared/p.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 0 "users list in a 0777 directory (warned again)" "can be written by group or others"
if [ "$(mode "$WORK/shared")" = 777 ]; then ok; else bad "the existing directory's mode was changed to $(mode "$WORK/shared")"; fi
chmod 1777 "$WORK/shared"
"$PRESIGN" users list --store "$WORK/shared/p.db" >"$WORK/out" 2>"$WORK/err"; rc=$?
expect 0 "users list in a sticky 1777 directory"
if grep -q 'warning' "$WORK/err"; then bad "a sticky directory was warned about"; else ok; fi

finish
