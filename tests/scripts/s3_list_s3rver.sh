#!/usr/bin/env bash
# Listing end to end against real S3 emulators (ctest label "live"): 10,000 objects, hostile
# names among them, are uploaded; `presign sign s3://BUCKET/data/` (no key file) must list
# every key under the prefix exactly once, in byte order, and every URL must GET 200 from an
# emulator that verifies the signature; `presign ls` must print the same keys.
# usage: s3_list_s3rver.sh PATH/TO/presign
#
# Two emulators share one data directory (same file layout): s3rver 3.7.1 serves the listing
# (its XML escaping is right; the @20minutes fork escapes & < > ' " twice, tests/vectors
# README gotcha 10) and @20minutes/s3rver 5.0.0 verifies the presigned signatures. The URLs
# are signed for the 3.7.1 endpoint and sent, Host header unchanged, to the fork with curl
# --connect-to; a tampered signature must get 403 there, so a 200 means a checked signature.
# Uploads: /usr/bin/python3 http.client, 8 keep-alive connections, anonymous PUT. GETs: curl
# --parallel (one process, 32 transfers at a time; same effect as xargs -P, much faster).
# A missing prerequisite fails the test; nothing is skipped. Network: 127.0.0.1 only.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
BUCKET=list-bucket
NOBJ=10000

need_exe "$PRESIGN" "presign binary" "usage: $0 PRESIGN"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd timeout "coreutils"
need_exe "$PY" python3
curl --help all 2>/dev/null | grep -q -- '--parallel-max' || fail_setup "curl lacks --parallel (7.66 or later needed)"
for pkg in s3rver:3.7.1 @20minutes/s3rver:5.0.0; do
  name=${pkg%:*} want=${pkg##*:}
  [ -f "$TOOLS/node_modules/$name/package.json" ] || fail_setup "$name is not installed under $TOOLS (run scripts/install-deps.sh)"
  ver=$(node -e 'console.log(require(process.argv[1]).version)' "$TOOLS/node_modules/$name/package.json" 2>/dev/null)
  [ "$ver" = "$want" ] || fail_setup "$name is version '$ver', expected $want"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-listlive.XXXXXX") || fail_setup "mktemp failed"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start RUNNER LOG: starts an emulator runner on a kernel-chosen port; prints the port.
start() {
  NODE_OPTIONS=--openssl-legacy-provider timeout 580 node "$ROOT/scripts/emulators/$1" "$WORK/data" 0 "$BUCKET" \
    >"$WORK/$2" 2>&1 &
  PIDS+=($!)
  local port=""
  for _ in $(seq 300); do
    port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$WORK/$2" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail_setup "$1 did not start within 30 s: $(tail -c 1000 "$WORK/$2")"
  echo "$port"
}
mkdir -p "$WORK/data"
PORT_LIST=$(start s3rver371.js list.log) || exit 1
PORT_VERIFY=$(start s3rver.js verify.log) || exit 1
LIST=http://127.0.0.1:$PORT_LIST
echo "s3_list_s3rver: s3rver 3.7.1 on $LIST lists, @20minutes/s3rver 5.0.0 on port $PORT_VERIFY verifies"

# --- 10,000 keys (hostile ones included) and a few outside the prefix; upload them ---------
"$PY" - "$WORK" "$LIST/$BUCKET" "$NOBJ" <<'PYEOF' || fail_setup "upload failed (above)"
import concurrent.futures, http.client, json, random, sys, urllib.parse
work, base, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
bucket = urllib.parse.urlsplit(base).path
r = random.Random(20240101)
# No "/" inside the random parts (dot segments, "//" and trailing "/" do not survive the
# emulators' file store), nothing at or above U+E000 (JS sorts UTF-16 units, S3 sorts UTF-8
# bytes: they agree below the surrogates). Every random key ends with "~", which is nowhere
# else in it: no key is then a proper prefix of another, which s3rver 3.7.1 would list out of
# order (it sorts its file names, "KEY._S3rver_object", so "x" comes after "x+y").
# No "\r": s3rver 3.7.1 ignores encoding-type=url, and a raw CR in XML text is refused by
# presign's parser (XML turns it into LF; S3 itself URL-encodes such keys).
alphabet = "abcXYZ019 -_.+%&<>'\"!()*=?#@:;,$[]{}^`|\\\t\x01\x7f\u00e9\u00fc\u65e5\u672c\U0001F600"
# s3rver 3.7.1 also walks its directories in entry-name order, so a file "data/a+b" would
# come after the directory "data/a/": fixed names sit in data/h/, which holds files only.
hostile = ["data/h/" + k for k in [
    "plain.txt", "sp ace file name.txt", "a+b", "100%.txt", "%2F-not-a-slash %41", "k=v&x=y",
    "q?mark#hash@at:colon", "amp&lt;not-an-entity&gt;", "<tag attr=\"v\">'&'</tag>",
    "nfd-cafe\u0301", "nfc-caf\u00e9", "tab\there ctl\x01\x1f", "new\nline", "back\\slash",
    "ends with space ", "x" + "y" * 200, "\u65e5\u672c \U0001F600.txt"]]
hostile += ["data/uni/\u65e5\u672c/\U0001F600.txt", "data/sp ace/file name.txt"]
keys = set(hostile)
while len(keys) < n:
    keys.add("data/%s/%s" % (r.choice(["a", "b", "c", "\u00e9t\u00e9", "sp ace"]),
                             "".join(r.choice(alphabet) for _ in range(r.randint(1, 30))) + "~"))
outside = ["dat", "data", "datb/x", "other/data/y", "DATA/z", "data"[:3] + "\u00e9"]
all_keys = sorted(keys) + outside
def put(chunk):
    c = http.client.HTTPConnection(host, port, timeout=30)
    for k in chunk:
        body = ("body of " + k).encode()
        c.request("PUT", bucket + "/" + urllib.parse.quote(k, safe="/~"), body=body)
        resp = c.getresponse(); resp.read()
        if resp.status != 200:
            raise RuntimeError("PUT %r -> %d" % (k, resp.status))
    c.close()
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    list(ex.map(put, [all_keys[i::8] for i in range(8)]))
want = sorted(keys, key=lambda k: k.encode())
with open(work + "/want.json", "w") as f:
    json.dump(want, f)
print("uploaded %d objects (%d under data/)" % (len(all_keys), len(want)))
PYEOF
ok

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$WORK/no-config AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials
common=(--endpoint "$LIST" --region us-east-1 --quiet --retry-base-delay 10ms)

# check NAME FILE FORMAT [START_AFTER]: the keys in FILE are want.json (after START_AFTER).
check() {
  if "$PY" - "$WORK/want.json" "$2" "$3" "${4:-}" <<'PYEOF'; then ok; else bad "$1: keys differ (above)"; fi
import base64, json, sys
want = json.load(open(sys.argv[1]))
fmt, after = sys.argv[3], sys.argv[4]
if after:
    want = [k for k in want if k.encode() > after.encode()]
data = open(sys.argv[2], "rb").read()
if fmt == "keys":
    want = [k for k in want if "\n" not in k]
    got = data.decode().split("\n")
    assert got[-1] == "", "no final newline"
    got = got[:-1]
else:
    recs = [json.loads(l) for l in data.decode().split("\n")[:-1]]
    got = [base64.b64decode(r["key_base64"]).decode() if "key_base64" in r else r["key"] for r in recs]
    if fmt == "ls-ndjson":
        bad = [r for r in recs if r["size"] != len(("body of " + r["key"]).encode())]
        if bad:
            print("    %d records with a wrong size, e.g. %r" % (len(bad), bad[0])); sys.exit(1)
if got != want:
    lost, dup = len(set(want) - set(got)), len(got) - len(set(got))
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("    %d keys for %d (%d lost, %d duplicated); first difference at #%d: %r vs %r"
          % (len(got), len(want), lost, dup, first, got[first:first + 1], want[first:first + 1]))
    sys.exit(1)
print("    %d keys, each once, in byte order" % len(got))
PYEOF
}

echo "== presign sign s3://$BUCKET/data/ (listing, 1000 a page) =="
if timeout 300 "$PRESIGN" sign "s3://$BUCKET/data/" "${common[@]}" --format ndjson --output "$WORK/urls.ndjson" \
  2>"$WORK/sign.err"; then ok; else bad "presign sign exited $?: $(head -c 600 "$WORK/sign.err")"; fi
check "sign" "$WORK/urls.ndjson" ndjson

echo "== every URL GETs 200 from the verifying emulator =="
"$PY" - "$WORK/urls.ndjson" "$WORK" <<'PYEOF'
import json, sys
urls = [json.loads(l)["url"] for l in open(sys.argv[1], encoding="utf-8")]
with open(sys.argv[2] + "/curl.cfg", "w") as f:
    for u in urls:
        f.write('url = "%s"\noutput = "/dev/null"\n' % u)
# The same URL with one signature digit changed, for the control below.
u = urls[0]
i = u.index("X-Amz-Signature=") + len("X-Amz-Signature=")
open(sys.argv[2] + "/tampered.url", "w").write(u[:i] + ("0" if u[i] != "0" else "1") + u[i + 1:])
PYEOF
timeout 400 curl -s --path-as-is --parallel --parallel-max 32 --max-time 60 \
  --connect-to "127.0.0.1:$PORT_LIST:127.0.0.1:$PORT_VERIFY" -w '%{http_code}\n' -K "$WORK/curl.cfg" \
  >"$WORK/codes.txt" 2>"$WORK/curl.err"
n200=$(grep -c '^200$' "$WORK/codes.txt")
nurl=$(grep -c '^url = ' "$WORK/curl.cfg")
if [ "$nurl" -ge 10000 ] && [ "$n200" -eq "$nurl" ]; then ok
else bad "$n200 of $nurl URLs answered 200 (others: $(grep -v '^200$' "$WORK/codes.txt" | sort | uniq -c | tr '\n' ' '))"; fi
code=$(curl -s --path-as-is --max-time 20 --connect-to "127.0.0.1:$PORT_LIST:127.0.0.1:$PORT_VERIFY" \
  -o "$WORK/tampered.out" -w '%{http_code}' "$(cat "$WORK/tampered.url")")
if [ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$WORK/tampered.out"; then ok
else bad "a tampered URL got $code from the verifying emulator (want 403 SignatureDoesNotMatch)"; fi
# And the bodies of the hostile keys are the uploaded ones (through the listing emulator).
if "$PY" - "$WORK/urls.ndjson" <<'PYEOF'; then ok; else bad "bodies of hostile keys differ (above)"; fi
import json, sys, urllib.request
bad = 0
for r in map(json.loads, open(sys.argv[1], encoding="utf-8")):
    if r["key"].startswith("data/h/"):  # the fixed hostile names
        body = urllib.request.urlopen(r["url"], timeout=20).read()
        if body != ("body of " + r["key"]).encode():
            print("    %r: body %r" % (r["key"], body[:80])); bad += 1
sys.exit(1 if bad else 0)
PYEOF

echo "== presign ls prints the same keys =="
timeout 300 "$PRESIGN" ls "s3://$BUCKET/data/" "${common[@]}" --format ndjson --page-size 333 \
  --output "$WORK/ls.ndjson" 2>"$WORK/ls.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls --format ndjson exited $rc: $(head -c 600 "$WORK/ls.err")"; fi
check "ls ndjson" "$WORK/ls.ndjson" ls-ndjson
timeout 300 "$PRESIGN" ls "s3://$BUCKET/data/" "${common[@]}" >"$WORK/ls.keys" 2>"$WORK/ls-keys.err"
rc=$?
# One key holds a newline: left out of --format keys, reported, exit 1 (partial).
if [ "$rc" -eq 1 ] && grep -q 'newline' "$WORK/ls-keys.err"; then ok
else bad "presign ls (keys): exit $rc, want 1 with the newline key reported: $(head -c 600 "$WORK/ls-keys.err")"; fi
check "ls keys" "$WORK/ls.keys" keys

echo "== --start-after and a small page size, checkpointed =="
after=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[4321])' "$WORK/want.json")
timeout 300 "$PRESIGN" sign "s3://$BUCKET/data/" "${common[@]}" --start-after "$after" --page-size 97 \
  --format ndjson --output "$WORK/after.ndjson" --checkpoint "$WORK/after.ck" --resume 2>"$WORK/after.err"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$WORK/after.ck" ]; then ok; else bad "--start-after run: exit $rc: $(head -c 600 "$WORK/after.err")"; fi
check "start-after" "$WORK/after.ndjson" ndjson "$after"

for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || bad "an emulator died during the test: $(tail -c 600 "$WORK/list.log" "$WORK/verify.log")"; done
echo "s3_list_s3rver: $NOBJ objects listed, signed and fetched"
finish
