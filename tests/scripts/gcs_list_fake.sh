#!/usr/bin/env bash
# GCS listing end to end (ctest live.gcs_list_fake): `presign sign gs://BUCKET/PREFIX` and
# `presign ls gs://…` list 10,000 hostile object names from the fake Cloud Storage JSON API
# (tests/support/fake_gcs_main.cpp), whose token endpoint verifies every RS256 assertion with
# the public half of the service-account key, while it injects 429 and 503 faults.
# Checks:
#   - every name under the prefix exactly once, in byte order, none outside it (sign ndjson,
#     ls keys, ls with --access-token, ls with GOOGLE_OAUTH_ACCESS_TOKEN and no key at all);
#   - every URL byte-identical to Google's Node client (@google-cloud/storage, gcs_oracle.js)
#     for the same name, bucket, endpoint, signing time and expiry (names with a "." or ".."
#     segment are listed but left out of the oracle comparison: the Node client resolves
#     them, tests/vectors/README.md gotcha 7);
#   - a wrong key for the account's e-mail and a refused access token end with exit 3 and a
#     clear message, with no key, assertion or token in stderr.
# usage: gcs_list_fake.sh PRESIGN FAKE_GCS_SERVER NODE_MODULES SERVICE_ACCOUNT.json
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
FAKE=${2:-}
NODE_MODULES=${3:-}
KEY=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN FAKE NODE_MODULES KEY"
need_exe "$FAKE" "fake_gcs_server binary" "build target fake_gcs_server"
[ -f "$KEY" ] || fail_setup "service-account key '$KEY' is missing"
[ -f "$NODE_MODULES/@google-cloud/storage/package.json" ] ||
  fail_setup "$NODE_MODULES/@google-cloud/storage is missing: run scripts/install-deps.sh"
need_cmd node "the oracle is Google's Node client"
need_cmd openssl "the wrong-key case makes a key"
need_cmd timeout "coreutils"
need_exe "$PY" python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-gcs-list.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
stop_server() {  # SIGTERM, wait; the counters land in $WORK/server.out
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

BUCKET=gcs-list-bucket
PREFIX='data/sp ace+%#?&"é/'
SIGNING_TIME=2024-06-30T12:34:56Z
EXPIRES=3600
STATIC_TOKEN='ya29.static-fake-token-0123456789abcdefSECRET'
# The environment of every presign run: nothing from the caller's credentials leaks in.
unset GOOGLE_APPLICATION_CREDENTIALS GCS_HMAC_ACCESS_ID GCS_HMAC_SECRET GOOGLE_OAUTH_ACCESS_TOKEN \
  STORAGE_EMULATOR_HOST

# names.txt: 10,000 names, one a line (bytes exact), ~9,000 under the prefix; want.txt: the
# ones under the prefix, sorted by bytes; judged.json: those the Node oracle can judge.
"$PY" - "$WORK" "$PREFIX" <<'PYEOF' || fail_setup "generating the names failed"
import json, random, sys
work, prefix = sys.argv[1], sys.argv[2]
rng = random.Random(20240630)
pieces = ["a", "b", "Z", "0", "9", " ", "  ", "+", "%", "%20", "%2F", "#", "?", "&", "=", "\"", "'",
          "\\", "/", "//", "~", "!", "*", "(", ")", ";", ":", "@", "$", ",", "[", "]", "{", "}", "|",
          "^", "`", "<", ">", "\t", "\x01", "\x1f", "\x7f", "\u00e9", "e\u0301", "\u00df", "\u0416",
          "\u65e5\u672c", "\u20ac", "\u2028", "\ufeff", "\U0001F600", "\U0010FFFF", ".", "..",
          "./", "../", "file.txt", "dir/"]
def hostile():
    n = rng.choice([1, 2, 3, 5, 8, 13, 30])
    return "".join(rng.choice(pieces) for _ in range(n))
def fit(s, limit):
    b = s.encode("utf-8")[:limit]
    return b.decode("utf-8", errors="ignore")
names = set()
p = prefix
fixed = [p + "a", p + "a b", p + "a+b", p + "100%", p + "q?x=1#frag", p + "a=b&c=d",
         p + "\"quoted\"", p + "'single'", p + "./dot", p + "../up", p + "x/./y", p + "x/../y",
         p + "caf\u00e9", p + "cafe\u0301", p + "\U0001F600", p + " ", p + "/", p + "//"]
for ch in ["L", "\u00e9", "\u20ac", "\U0001F600", " ", "+"]:
    fixed.append(fit(p + ch * 1024, 1024))
names.update(fixed)
while len(names) < 9000:
    names.add(fit(p + hostile(), 1024))
# Outside the prefix: the prefix minus its last byte, neighbours in byte order, other trees.
outside = {prefix[:-1], prefix[:-1] + "0", prefix[:-1] + ".", "data/sp ace+%#?&\"", "data/",
           "data/sp ace", "zzz", "Data/" + prefix[5:] + "x", "data/sp ace+%#?&\"\u00e8/x"}
outside = {n for n in outside if not n.startswith(prefix) and n}
while len(outside) < 1000:
    n = fit(rng.choice(["", "data/", "data/sp ace+%#?&\"\u00e9", "other/"]) + hostile(), 1024)
    if n and not n.startswith(prefix):
        outside.add(n)
everything = sorted(names | outside, key=lambda s: s.encode("utf-8"))
rng.shuffle(everything)  # the server sorts; the file order must not matter
with open(work + "/names.txt", "wb") as f:
    f.write(b"".join(n.encode("utf-8") + b"\n" for n in everything))
want = sorted((n for n in everything if n.startswith(prefix)), key=lambda s: s.encode("utf-8"))
with open(work + "/want.txt", "wb") as f:
    f.write(b"".join(n.encode("utf-8") + b"\n" for n in want))
judged = [n for n in want if all(seg not in (".", "..") for seg in n.split("/"))]
json.dump(judged, open(work + "/judged.json", "w"), ensure_ascii=True)
print("  %d names, %d under the prefix, %d judged by the oracle" % (len(everything), len(want), len(judged)))
PYEOF
[ "$(wc -l <"$WORK/names.txt")" -eq 10000 ] || fail_setup "expected 10,000 names, got $(wc -l <"$WORK/names.txt")"

start_server() {  # start_server ARGS...: sets ENDPOINT once the fake listens
  FAKE_GCS_STATIC_TOKEN="$STATIC_TOKEN" timeout 600 "$FAKE" --names "$WORK/names.txt" --key "$KEY" \
    --bucket "$BUCKET" "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  ENDPOINT=""
  for _ in $(seq 100); do
    ENDPOINT=$(sed -n 's#^fake_gcs_server listening on \(http://127.0.0.1:[0-9]*\) .*#\1#p' "$WORK/server.out")
    [ -n "$ENDPOINT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail_setup "fake_gcs_server did not start: $(cat "$WORK/server.err")"
}
counter() { sed -n "s/^$1 \([0-9]*\)$/\1/p" "$WORK/server.out"; }

# with_token_uri SRC DST URI: a copy of the key file whose token_uri is URI.
with_token_uri() {
  "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["token_uri"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$1" "$2" "$3" || fail_setup "rewriting $1 failed"
}

# check_keys NAME FILE FORMAT: the keys of FILE (ndjson or keys) must be want.txt exactly.
check_keys() {
  if "$PY" - "$WORK/want.txt" "$2" "$3" <<'PYEOF'; then ok; else bad "$1: keys differ from the names under the prefix (above)"; fi
import json, sys
want = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
data = open(sys.argv[2], "rb").read()
lines = data.split(b"\n")
if lines[-1] != b"":
    print("    no final newline"); sys.exit(1)
lines = lines[:-1]
got = [json.loads(l)["key"].encode("utf-8") for l in lines] if sys.argv[3] == "ndjson" else lines
if got != want:
    lost = len(set(want) - set(got)); extra = len(set(got) - set(want)); dups = len(got) - len(set(got))
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("    %d keys for %d: %d lost, %d extra, %d duplicated, first difference at #%d: %r vs %r"
          % (len(got), len(want), lost, extra, dups, first, got[first:first + 1], want[first:first + 1]))
    sys.exit(1)
print("    %d keys, each once, in byte order, none outside the prefix" % len(got))
PYEOF
}

# no_secret NAME FILE: FILE holds no key material, assertion or token.
no_secret() {
  local leaked=""
  grep -q 'PRIVATE KEY' "$2" && leaked="a PEM key"
  grep -qF "$(sed -n 2p "$WORK/wrong.pem")" "$2" && leaked="the wrong key"
  grep -q 'eyJ' "$2" && leaked="a JWT"
  grep -qF 'SECRET' "$2" && leaked="an access token"
  grep -qF 'ya29.' "$2" && leaked="an access token"
  if [ -z "$leaked" ]; then ok; else bad "$1: stderr shows $leaked"; fi
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/wrong.pem" 2>/dev/null ||
  fail_setup "openssl genpkey failed"

echo "== 10,000 names, 429 and 503 injected: presign sign --format ndjson =="
start_server --seed 5 --fault too-many-requests=0.1 --fault unavailable=0.1
with_token_uri "$KEY" "$WORK/key.json" "$ENDPOINT/token"
URI="gs://$BUCKET/$PREFIX"
common=(--endpoint "$ENDPOINT" --quiet --retry-base-delay 1ms)
t0=$(date +%s%N)
timeout 300 "$PRESIGN" sign "$URI" "${common[@]}" --credentials "$WORK/key.json" --format ndjson \
  --signing-time "$SIGNING_TIME" --expires "$EXPIRES" --page-size 500 --output "$WORK/sign.ndjson" 2>"$WORK/sign.err"
rc=$?
t1=$(date +%s%N)
if [ "$rc" -eq 0 ]; then ok; else bad "presign sign exited $rc: $(head -c 800 "$WORK/sign.err")"; fi
echo "  presign sign: $(( (t1 - t0) / 1000000 )) ms"
check_keys "sign ndjson" "$WORK/sign.ndjson" ndjson

echo "== presign ls: the same keys =="
timeout 300 "$PRESIGN" ls "$URI" "${common[@]}" --credentials "$WORK/key.json" --output "$WORK/ls.keys" 2>"$WORK/ls.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls exited $rc: $(head -c 800 "$WORK/ls.err")"; fi
check_keys "ls keys" "$WORK/ls.keys" keys

echo "== --access-token and GOOGLE_OAUTH_ACCESS_TOKEN (no key needed to list) =="
timeout 300 "$PRESIGN" ls "$URI" "${common[@]}" --access-token "$STATIC_TOKEN" --output "$WORK/ls-token.keys" 2>"$WORK/ls-token.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls --access-token exited $rc: $(head -c 800 "$WORK/ls-token.err")"; fi
check_keys "ls --access-token" "$WORK/ls-token.keys" keys
GOOGLE_OAUTH_ACCESS_TOKEN="$STATIC_TOKEN" timeout 300 "$PRESIGN" ls "$URI" "${common[@]}" \
  --output "$WORK/ls-env.keys" 2>"$WORK/ls-env.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls with GOOGLE_OAUTH_ACCESS_TOKEN exited $rc: $(head -c 800 "$WORK/ls-env.err")"; fi
check_keys "ls GOOGLE_OAUTH_ACCESS_TOKEN" "$WORK/ls-env.keys" keys
# Listing with a token, signing with the key (whose token_uri is never used then).
timeout 300 "$PRESIGN" sign "$URI" "${common[@]}" --access-token "$STATIC_TOKEN" --credentials "$KEY" \
  --format ndjson --signing-time "$SIGNING_TIME" --expires "$EXPIRES" --output "$WORK/sign-token.ndjson" 2>"$WORK/sign-token.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign sign --access-token exited $rc: $(head -c 800 "$WORK/sign-token.err")"; fi
if cmp -s "$WORK/sign.ndjson" "$WORK/sign-token.ndjson"; then ok; else bad "sign --access-token output differs from sign with the key's token"; fi

stop_server
issued=$(counter tokens_issued); rejected=$(counter token_rejected)
f429=$(counter fault.too-many-requests); f503=$(counter fault.unavailable)
echo "  server: tokens_issued=$issued token_rejected=$rejected 429=$f429 503=$f503 list_requests=$(counter list_requests) list_unauthorized=$(counter list_unauthorized)"
if [ "${issued:-0}" -eq 2 ]; then ok; else bad "expected 2 tokens (one per key-based run, cached across pages), got ${issued:-0}"; fi
if [ "${rejected:-1}" -eq 0 ]; then ok; else bad "the fake rejected ${rejected} assertions"; fi
if [ $(( ${f429:-0} + ${f503:-0} )) -ge 5 ]; then ok; else bad "only $(( ${f429:-0} + ${f503:-0} )) faults injected (want >= 5)"; fi
if [ "$(counter list_unauthorized)" = 0 ]; then ok; else bad "the fake refused $(counter list_unauthorized) list calls"; fi

echo "== every URL against Google's Node client =="
"$PY" - "$WORK" "$NODE_MODULES" "$KEY" "$BUCKET" "$SIGNING_TIME" "$EXPIRES" "$ENDPOINT" <<'PYEOF' >"$WORK/job.json" || fail_setup "writing the oracle job failed"
import json, sys
work, nm, key, bucket, ts, expires, endpoint = sys.argv[1:8]
names = json.load(open(work + "/judged.json"))
json.dump(dict(nodeModules=nm, keyFile=key, names=names,
               configs=[dict(name="listed", bucket=bucket, timestamp=ts, expires=int(expires),
                             action="read", apiEndpoint=endpoint)]),
          sys.stdout, ensure_ascii=True)
PYEOF
env -i PATH="$PATH" HOME="$WORK" node "$HERE/gcs_oracle.js" "$WORK/job.json" >"$WORK/oracle.txt" 2>"$WORK/oracle.err" ||
  fail_setup "the Node oracle failed: $(tail -c 1500 "$WORK/oracle.err")"
if "$PY" - "$WORK" <<'PYEOF'; then ok; else bad "URLs differ from the Node client's (above)"; fi
import json, sys
work = sys.argv[1]
names = json.load(open(work + "/judged.json"))
oracle = open(work + "/oracle.txt", encoding="utf-8").read().split("\n")
if oracle and oracle[-1] == "":
    oracle.pop()
if len(oracle) != len(names):
    print("    the oracle printed %d URLs for %d names" % (len(oracle), len(names))); sys.exit(1)
ours = {}
for line in open(work + "/sign.ndjson", encoding="utf-8"):
    r = json.loads(line)
    ours[r["key"]] = r["url"]
bad = 0
for name, want in zip(names, oracle):
    got = ours.get(name)
    if got != want:
        bad += 1
        if bad <= 5:
            print("    MISMATCH name=%r\n      node:    %s\n      presign: %s" % (name, want, got))
print("    %d/%d URLs byte-identical to @google-cloud/storage" % (len(names) - bad, len(names)))
sys.exit(1 if bad or not names else 0)
PYEOF

echo "== a wrong key for the account: exit 3, clear message, no secret =="
start_server --seed 9
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["private_key"] = open(sys.argv[2]).read(); d["token_uri"] = sys.argv[3]
json.dump(d, open(sys.argv[4], "w"))' "$KEY" "$WORK/wrong.pem" "$ENDPOINT/token" "$WORK/wrong.json" ||
  fail_setup "writing the wrong key file failed"
mkdir -p "$WORK/refused"
t0=$SECONDS
timeout 120 "$PRESIGN" sign "$URI" --endpoint "$ENDPOINT" --quiet --retry-base-delay 1s \
  --credentials "$WORK/wrong.json" --output "$WORK/refused/out.ndjson" 2>"$WORK/wrong.err"
rc=$?
if [ "$rc" -eq 3 ]; then ok; else bad "wrong key: exit $rc, want 3: $(head -c 600 "$WORK/wrong.err")"; fi
if [ $((SECONDS - t0)) -lt 10 ]; then ok; else bad "wrong key took $((SECONDS - t0)) s (a refused grant must not be retried)"; fi
if grep -q 'invalid_grant' "$WORK/wrong.err" && grep -q 'test-iam-credentials@dummy-project-id' "$WORK/wrong.err"; then ok; else
  bad "wrong key: the message lacks invalid_grant or the account: $(cat "$WORK/wrong.err")"; fi
no_secret "wrong key" "$WORK/wrong.err"
if [ -z "$(ls -A "$WORK/refused")" ]; then ok; else bad "wrong key left files: $(ls -A "$WORK/refused")"; fi
echo "  stderr: $(head -c 400 "$WORK/wrong.err")"

echo "== a refused access token: exit 3, the token in no message =="
timeout 120 "$PRESIGN" ls "$URI" --endpoint "$ENDPOINT" --quiet --access-token 'ya29.revoked-SECRET-token' \
  --output "$WORK/refused/ls.keys" 2>"$WORK/token.err"
rc=$?
if [ "$rc" -eq 3 ]; then ok; else bad "refused token: exit $rc, want 3: $(head -c 600 "$WORK/token.err")"; fi
if grep -q -- '--access-token' "$WORK/token.err"; then ok; else bad "refused token: the message does not say which token: $(cat "$WORK/token.err")"; fi
no_secret "refused token" "$WORK/token.err"
stop_server

echo "gcs_list_fake: $(wc -l <"$WORK/want.txt") names listed from 10,000 through the fake JSON API"
finish
