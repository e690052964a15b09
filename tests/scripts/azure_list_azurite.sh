#!/usr/bin/env bash
# Azure listing end to end against Azurite 3.37.0 (ctest live.azure_list_azurite, label "live"):
# 5,200 blobs (PRESIGN_AZLIST_BLOBS overrides: more than 5,000 keeps the default page size's
# listing on two pages), hostile names among them, are uploaded; `presign sign az://ACCOUNT/CONTAINER/
# data/` (no key file: List Blobs with Shared Key auth) must list every blob under the prefix
# exactly once, in the service's order, and every SAS URL must GET 200 with the uploaded bytes
# from Azurite, which verifies both the Shared Key of the listing and the SAS of every URL;
# `presign ls` must print the same names. A wrong key must fail with a clear auth error that
# quotes no secret, and a missing container with a clear error. kill -9 while listing
# (200 a page, the NextMarker in the checkpoint) and --resume must give a byte-identical file,
# fetching fewer pages (List Blobs requests in Azurite's access log) than a fresh run: at most
# the pages of the blobs the checkpoint had not recorded, plus 2.
# usage: azure_list_azurite.sh PATH/TO/presign
#
# The expected order is the SDK's own listing (azure-storage-blob list_blobs), compared as a
# set with what was uploaded. Uploads: Debian's /usr/bin/python3 azure.storage.blob, 16
# threads (a ThreadPoolExecutor; the time is printed); three dot-segment names, which the
# SDK's HTTP stack would resolve, are PUT with presigned URLs and curl --path-as-is. GETs: curl
# --parallel. Azurite runs under `timeout` on a kernel-chosen port of 127.0.0.1 and is stopped
# by its PID. A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PRESIGN_TOOLS_DIR:-$ROOT/.tools}
AZURITE=$TOOLS/node_modules/azurite
ACCOUNT=devstoreaccount1
# Azurite's published well-known key (not a secret); WRONG is another valid base64 key.
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
WRONG="AAAA${KEY:4}"
CONTAINER=list-container
NBLOB=${PRESIGN_AZLIST_BLOBS:-5200}

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_cmd node "scripts/install-deps.sh installs nodejs"
need_cmd curl
need_cmd timeout "coreutils"
curl --help all 2>/dev/null | grep -q -- '--parallel-max' || fail_setup "curl lacks --parallel (7.66 or later needed)"
need_exe "$PY" python3
"$PY" -c 'from azure.storage.blob import BlobServiceClient' 2>/dev/null ||
  fail_setup "python module azure.storage.blob is missing for $PY (apt-get install python3-azure-storage)"
[ -f "$AZURITE/package.json" ] || fail_setup "azurite is not installed under $TOOLS/node_modules (run scripts/install-deps.sh)"
ver=$(node -e 'console.log(require(process.argv[1]).version)' "$AZURITE/package.json" 2>/dev/null)
[ "$ver" = "3.37.0" ] || fail_setup "azurite is version '$ver', expected 3.37.0"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-azlist.XXXXXX") || fail_setup "mktemp failed"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- start Azurite (blob only, in memory, port 0) --------------------------------------------
timeout 580 node "$AZURITE/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort 0 \
  --inMemoryPersistence >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 300); do  # at most ~30 s
  PORT=$(sed -n 's#^.*successfully listens on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$WORK/server.log" | head -n 1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || fail_setup "Azurite did not start within 30 s: $(tail -c 2000 "$WORK/server.log")"
ENDPOINT=http://127.0.0.1:$PORT/$ACCOUNT
echo "azure_list_azurite: Azurite $ver on 127.0.0.1:$PORT (pid $SERVER_PID)"
CONN="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$ENDPOINT;"

# --- upload NBLOB blobs with the SDK -----------------------------------------------------------
t0=$(date +%s.%N)
"$PY" - "$WORK" "$CONN" "$CONTAINER" "$NBLOB" <<'PYEOF' || fail_setup "upload with the SDK failed (above)"
import concurrent.futures, json, random, sys
from azure.storage.blob import BlobServiceClient
work, conn, container, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r = random.Random(20250101)
hostile = ["data/h/" + k for k in [
    "plain.txt", "sp ace file name.txt", "  two leading and trailing  ", "a+b", "plus+ +space",
    "100%.txt", "%2F-not-a-slash %41", "%", "k=v&x=y", "q?mark#hash@at:colon;semi,comma$",
    "amp&lt;not-an-entity&gt;", "<tag attr=\"v\">'&'</tag>", "single'quote", 'double"quote',
    "a..b", "..hidden", "trailing..", "nfd-cafe\u0301", "nfc-caf\u00e9", "tab\there",
    "tilde~x~", "a!b'(c)*.txt", "sig=x&sv=2021-12-02&comp=list&restype=container",
    "\u65e5\u672c \U0001F600.txt", "x" + "y" * 200]]
hostile += ["data/uni/\u00e9t\u00e9/\u65e5\u672c/\U0001F600.txt", "data/sp ace/file name.txt",
            "data/dir//double", "data/folder/"]
# Very long names: 1,024 characters (the service's limit), one of them > 3,000 UTF-8 bytes.
hostile.append(("data/long/" + "seg-\u00e9+ ~%!'()*" * 200)[:1024])
hostile.append(("data/chars/" + "\u65e5\u672c\u20ac" * 400)[:1024])
alphabet = "abcXYZ019 -_.+%&<>'\"!()*=?#@:;,$[]{}^`|~\u00e9\u00fc\u65e5\u672c"
names = set(hostile)
nout = 100
while len(names) < n - nout:
    tail = "".join(r.choice(alphabet) for _ in range(r.randint(1, 40)))
    if tail in (".", ".."):  # dot segments: the SDK's HTTP stack resolves them (see below)
        continue
    names.add("data/%s/%s" % (r.choice(["a", "b", "c", "\u00e9t\u00e9", "sp ace", "p+q"]), tail))
outside = ["dat", "datb/x", "data", "DATA/z", "dat\u00e9", "other/data/y", "data+", "data-"]
while len(outside) < nout:
    outside.append("out/%03d-%s" % (len(outside), "".join(r.choice(alphabet) for _ in range(8))))
names = sorted(names)
svc = BlobServiceClient.from_connection_string(conn, max_single_put_size=1 << 20)
svc.create_container(container)
cc = svc.get_container_client(container)
def put(chunk):
    failed = []
    for k in chunk:
        try:
            cc.upload_blob(k, ("body of " + k).encode(), overwrite=True)
        except Exception as e:  # report the names, not a traceback of the first one
            failed.append((k, str(e).split("\n")[0]))
    return failed
everything = names + outside
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    failed = [f for fs in ex.map(put, [everything[i::64] for i in range(64)]) for f in fs]
if failed:
    print("%d uploads failed, e.g. %r" % (len(failed), failed[:5]))
    sys.exit(1)
json.dump({"under": names, "outside": outside}, open(work + "/uploaded.json", "w"))
print("uploaded %d blobs (%d under data/, %d outside)" % (len(everything), len(names), len(outside)))
PYEOF
t1=$(date +%s.%N)
printf 'azure_list_azurite: SDK upload took %.1f s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')"
ok

# --- three dot-segment names, PUT with presigned URLs (the SDK would resolve them) ------------
export AZURE_STORAGE_CONNECTION_STRING=$CONN
unset AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT
printf '%s\n' 'data/dots/./x' 'data/dots/../y' 'data/end/.' >"$WORK/dots.txt"
mapfile -t PUTS < <("$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --keys-from "$WORK/dots.txt" --endpoint "$ENDPOINT" \
  --method PUT --permissions cw --expires 600 --format urls --quiet 2>"$WORK/put.err")
[ "${#PUTS[@]}" -eq 3 ] || fail_setup "presign wrote ${#PUTS[@]} PUT URLs for 3 names: $(cat "$WORK/put.err")"
i=0
while IFS= read -r name; do
  code=$(curl -s --path-as-is --max-time 20 -o "$WORK/putres" -w '%{http_code}' -X PUT \
    -H 'x-ms-blob-type: BlockBlob' --data-binary "body of $name" "${PUTS[$i]}")
  [ "$code" = 201 ] || fail_setup "presigned PUT of '$name' -> $code: $(head -c 300 "$WORK/putres")"
  i=$((i + 1))
done <"$WORK/dots.txt"

# The service's order: the SDK's own listing of data/, which must be the uploaded set.
"$PY" - "$WORK" "$CONN" "$CONTAINER" <<'PYEOF' || fail_setup "the SDK's listing differs from the upload (above)"
import json, sys
from azure.storage.blob import BlobServiceClient
work, conn, container = sys.argv[1:4]
up = json.load(open(work + "/uploaded.json"))
dots = [l for l in open(work + "/dots.txt", encoding="utf-8").read().split("\n") if l]
cc = BlobServiceClient.from_connection_string(conn).get_container_client(container)
want = [b.name for b in cc.list_blobs(name_starts_with="data/")]
every = [b.name for b in cc.list_blobs()]
if sorted(want) != sorted(up["under"] + dots):
    print("SDK lists %d under data/, uploaded %d; missing e.g. %r" % (len(want), len(up["under"]) + 3,
          sorted(set(up["under"] + dots) - set(want))[:3]))
    sys.exit(1)
json.dump(want, open(work + "/want.json", "w"))
json.dump(every, open(work + "/every.json", "w"))
print("the SDK lists %d blobs under data/, %d in all" % (len(want), len(every)))
PYEOF

common=(--endpoint "$ENDPOINT" --quiet --retry-base-delay 10ms)

# check NAME FILE FORMAT [WANT_JSON]: the keys in FILE are WANT_JSON's, in its order.
check() {
  if "$PY" - "${4:-$WORK/want.json}" "$2" "$3" <<'PYEOF'; then ok; else bad "$1: keys differ (above)"; fi
import base64, json, sys
want = json.load(open(sys.argv[1]))
fmt = sys.argv[3]
data = open(sys.argv[2], "rb").read()
if fmt == "keys":
    got = data.decode().split("\n")
    assert got[-1] == "", "no final newline"
    got = got[:-1]
else:
    recs = [json.loads(l) for l in data.decode().split("\n")[:-1]]
    got = [base64.b64decode(r["key_base64"]).decode() if "key_base64" in r else r["key"] for r in recs]
    if fmt == "ls-ndjson":
        wrong = [r for r in recs if r["size"] != len(("body of " + r["key"]).encode())]
        if wrong:
            print("    %d records with a wrong size, e.g. %r" % (len(wrong), wrong[0])); sys.exit(1)
if got != want:
    lost, dup = len(set(want) - set(got)), len(got) - len(set(got))
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("    %d keys for %d (%d lost, %d duplicated); first difference at #%d: %r vs %r"
          % (len(got), len(want), lost, dup, first, got[first:first + 1], want[first:first + 1]))
    sys.exit(1)
print("    %d keys, each once, in the service's order" % len(got))
PYEOF
}

echo "== presign sign az://$ACCOUNT/$CONTAINER/data/ (listing, 997 a page) =="
t0=$(date +%s.%N)
if timeout 300 "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" --page-size 997 \
  --format ndjson --output "$WORK/urls.ndjson" 2>"$WORK/sign.err"; then ok
else bad "presign sign exited $?: $(head -c 600 "$WORK/sign.err")"; fi
t1=$(date +%s.%N)
printf 'azure_list_azurite: presign sign (list 997 a page + sign) took %.2f s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')"
check "sign" "$WORK/urls.ndjson" ndjson

echo "== every URL GETs 200 with the uploaded bytes =="
mkdir -p "$WORK/got"
"$PY" - "$WORK/urls.ndjson" "$WORK" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
with open(sys.argv[2] + "/curl.cfg", "w") as f:
    for i, r in enumerate(recs):
        f.write('url = "%s"\noutput = "%s/got/%d"\n' % (r["url"], sys.argv[2], i))
PYEOF
t0=$(date +%s.%N)
timeout 400 curl -s --path-as-is --parallel --parallel-max 32 --max-time 60 -w '%{http_code}\n' \
  -K "$WORK/curl.cfg" >"$WORK/codes.txt" 2>"$WORK/curl.err"
t1=$(date +%s.%N)
printf 'azure_list_azurite: %d GETs took %.1f s\n' "$(grep -c '^url = ' "$WORK/curl.cfg")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')"
n200=$(grep -c '^200$' "$WORK/codes.txt")
nurl=$(grep -c '^url = ' "$WORK/curl.cfg")
if [ "$nurl" -ge $((NBLOB - 100)) ] && [ "$n200" -eq "$nurl" ]; then ok  # 100 blobs lie outside data/
else bad "$n200 of $nurl URLs answered 200 (others: $(grep -v '^200$' "$WORK/codes.txt" | sort | uniq -c | tr '\n' ' '))"; fi
if "$PY" - "$WORK/urls.ndjson" "$WORK" <<'PYEOF'; then ok; else bad "bodies differ (above)"; fi
import json, sys
wrong = 0
for i, l in enumerate(open(sys.argv[1], encoding="utf-8")):
    k = json.loads(l)["key"]
    if open("%s/got/%d" % (sys.argv[2], i), "rb").read() != ("body of " + k).encode():
        wrong += 1
        if wrong < 4: print("    %r: wrong body" % k)
print("    %d bodies checked, %d wrong" % (i + 1, wrong))
sys.exit(1 if wrong else 0)
PYEOF

echo "== AZURE_STORAGE_KEY and the connection string's endpoint, default page size (5000) =="
env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY="$KEY" AZURE_STORAGE_ACCOUNT="$ACCOUNT" \
  timeout 300 "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" --format ndjson \
  --output "$WORK/urls2.ndjson" 2>"$WORK/sign2.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign sign with AZURE_STORAGE_KEY exited $rc: $(head -c 600 "$WORK/sign2.err")"; fi
check "sign (AZURE_STORAGE_KEY)" "$WORK/urls2.ndjson" ndjson
timeout 300 "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER" --quiet --format ndjson \
  --output "$WORK/all.ndjson" 2>"$WORK/all.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign sign of the whole container (endpoint from the connection string) exited $rc: $(head -c 600 "$WORK/all.err")"; fi
check "sign (whole container)" "$WORK/all.ndjson" ndjson "$WORK/every.json"

echo "== presign ls prints the same keys =="
timeout 300 "$PRESIGN" ls "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" --format ndjson --page-size 333 \
  --output "$WORK/ls.ndjson" 2>"$WORK/ls.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls --format ndjson exited $rc: $(head -c 600 "$WORK/ls.err")"; fi
check "ls ndjson" "$WORK/ls.ndjson" ls-ndjson
timeout 300 "$PRESIGN" ls "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" >"$WORK/ls.keys" 2>"$WORK/ls-keys.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "presign ls (keys) exited $rc: $(head -c 600 "$WORK/ls-keys.err")"; fi
check "ls keys" "$WORK/ls.keys" keys

echo "== a wrong key: auth error, non-zero exit, no secret in stderr =="
env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY="$WRONG" AZURE_STORAGE_ACCOUNT="$ACCOUNT" \
  timeout 120 "$PRESIGN" ls "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" >"$WORK/wrong.out" 2>"$WORK/wrong.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "refused the Shared Key of storage account '$ACCOUNT'" "$WORK/wrong.err" &&
  [ ! -s "$WORK/wrong.out" ]; then ok
else bad "wrong key: exit $rc, stderr: $(head -c 600 "$WORK/wrong.err")"; fi
if grep -qF -e "${WRONG:0:20}" -e "${KEY:0:20}" -e "SharedKey $ACCOUNT:" "$WORK/wrong.err"; then
  bad "a key or signature appears in stderr: $(head -c 600 "$WORK/wrong.err")"
else ok; fi
echo "    $(head -n 3 "$WORK/wrong.err")"
env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY="$WRONG" AZURE_STORAGE_ACCOUNT="$ACCOUNT" \
  timeout 120 "$PRESIGN" sign "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" --output "$WORK/wrong-sign.out" \
  2>"$WORK/wrong-sign.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "refused the Shared Key" "$WORK/wrong-sign.err" &&
  ! grep -qF -e "${WRONG:0:20}" "$WORK/wrong-sign.err"; then ok
else bad "wrong key (sign): exit $rc, stderr: $(head -c 600 "$WORK/wrong-sign.err")"; fi

echo "== a missing container: clear error =="
timeout 120 "$PRESIGN" ls "az://$ACCOUNT/no-such-container/data/" "${common[@]}" >"$WORK/nocont.out" 2>"$WORK/nocont.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "container 'no-such-container' does not exist" "$WORK/nocont.err"; then ok
else bad "missing container: exit $rc, stderr: $(head -c 600 "$WORK/nocont.err")"; fi
echo "    $(head -n 3 "$WORK/nocont.err")"

echo "== kill -9 while listing (NextMarker in the checkpoint), --resume: byte-identical =="
# The reference: the same job run through without interruption.
crash=(sign "az://$ACCOUNT/$CONTAINER/data/" "${common[@]}" --page-size 200 --threads 2
       --signing-time 2024-01-01T00:00:00Z --expires 1d --format ndjson)
# The List Blobs requests Azurite has logged so far (its access log, one line a request).
list_requests() { grep -c "\"GET /$ACCOUNT/$CONTAINER?[^\"]*comp=list" "$WORK/server.log"; }
l0=$(list_requests)
timeout 300 "$PRESIGN" "${crash[@]}" --output "$WORK/crash-clean.ndjson" 2>"$WORK/crash-clean.err" ||
  bad "the uninterrupted run failed: $(head -c 400 "$WORK/crash-clean.err")"
fresh=$(( $(list_requests) - l0 ))
total=$(wc -l <"$WORK/crash-clean.ndjson")
# (one more when the last page is full and Azurite still gives a NextMarker)
if [ "$fresh" -ge $(( (total + 199) / 200 )) ] && [ "$fresh" -le $(( (total + 199) / 200 + 1 )) ]; then ok
else bad "a fresh run made $fresh List Blobs requests for $total blobs, 200 a page"; fi
t0=$(date +%s%N)
timeout 300 "$PRESIGN" "${crash[@]}" --output "$WORK/crash-timed.ndjson" --checkpoint "$WORK/crash-timed.ck" \
  2>/dev/null || bad "the checkpointed run failed"
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if cmp -s "$WORK/crash-clean.ndjson" "$WORK/crash-timed.ndjson"; then ok; else bad "a checkpointed run differs from a plain one"; fi
killed=0 continued=0
for round in 1 2 3 4; do
  out="$WORK/crash-$round.ndjson" ck="$WORK/crash-$round.ck"
  # The kill lands after a random number of List Blobs requests (2 .. all but the last two
  # pages), watched in Azurite's access log: a moment in the listing, not in wall time, so a
  # loaded machine (ctest -j) cannot make it land before the first page or after the end.
  target=$(( 2 + RANDOM % (fresh > 5 ? fresh - 4 : 1) ))
  l0=$(list_requests)
  "$PRESIGN" "${crash[@]}" --output "$out" --checkpoint "$ck" --resume 2>/dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ $(( $(list_requests) - l0 )) -lt "$target" ]; do sleep 0.005; done
  kill -9 "$pid" 2>/dev/null
  rc=0; wait "$pid" 2>/dev/null || rc=$?
  [ "$rc" -eq 137 ] && killed=$((killed + 1))
  done_objects=$("$PY" "$HERE/checkpoint_objects.py" "$ck")
  l0=$(list_requests)
  timeout 300 "$PRESIGN" "${crash[@]}" --output "$out" --checkpoint "$ck" --resume 2>"$WORK/crash-resume.err"
  rc=$?
  resumed=$(( $(list_requests) - l0 ))
  if [ "$resumed" -le $(( (total - done_objects + 199) / 200 + 2 )) ]; then ok
  else bad "kill -9 round $round: the resume made $resumed List Blobs requests, but the checkpoint had $done_objects of $total blobs"; fi
  [ "$done_objects" -gt 0 ] && [ "$resumed" -lt "$fresh" ] && continued=$((continued + 1))
  if [ "$rc" -eq 0 ] && cmp -s "$WORK/crash-clean.ndjson" "$out" && [ ! -e "$ck" ]; then ok
  else bad "kill -9 round $round: exit $rc, the resumed file differs or the checkpoint is left: $(head -c 400 "$WORK/crash-resume.err")"; fi
done
echo "    $killed of 4 kill -9 landed mid-run (checkpointed run: ${dur_ms} ms)"
if [ "$killed" -ge 2 ]; then ok; else bad "only $killed kill -9 landed mid-run"; fi
echo "    $continued resumes continued a checkpoint and fetched fewer pages than a fresh run"
if [ "$continued" -ge 1 ]; then ok; else bad "no resume continued a checkpoint with objects in it"; fi

kill -0 "$SERVER_PID" 2>/dev/null || bad "Azurite died during the test: $(tail -c 1000 "$WORK/server.log")"
echo "azure_list_azurite: $NBLOB blobs uploaded to Azurite $ver, listed, signed and fetched"
finish
