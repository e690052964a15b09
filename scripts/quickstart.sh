#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the main job against a local
# default: an S3 emulator bucket on 127.0.0.1 that verifies signatures.
#   1. installs dependencies (scripts/install-deps.sh) and builds (scripts/build.sh)
#   2. starts @20minutes/s3rver on 127.0.0.1 with bucket "demo-bucket" and uploads sample
#      objects with awkward names under demo/ (and one object outside that prefix)
#   3. runs: presign sign s3://demo-bucket/demo/ --endpoint http://127.0.0.1:PORT
#      which LISTS the bucket under the prefix (no key file) and signs every object
#   4. checks that exactly the uploaded keys under demo/ were signed, fetches every signed URL
#      with curl and checks each answers 200 with the uploaded bytes, then stops the emulator
# Output: demo-output/urls.ndjson
#
# PRESIGN=/path/to/presign scripts/quickstart.sh skips steps 1 (install and build) and uses
# that binary.
#
# The names avoid & < > ' " on purpose: this emulator (the one that verifies presigned
# signatures) escapes them twice in its listings (tests/vectors/README.md, gotcha 10).
# tests/scripts/s3_list_s3rver.sh lists such names through s3rver 3.7.1 instead. No "//"
# either: the emulator stores objects as files, and its file store collapses it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PRESIGN:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh
  PRESIGN=build/presign
fi
source scripts/emulators/lib.sh
work=$(mktemp -d)
trap 'stop_emulators; rm -rf "$work"' EXIT

port=$(free_port)
start_s3rver "$work/s3data" "$port" demo-bucket
endpoint="http://127.0.0.1:$port"

keys=(
  "demo/images/cat 01.jpg" "demo/images/dog+bone.png" "demo/docs/résumé.pdf"
  "demo/data/2024/01/part-00000.parquet" "demo/unicode/日本語/😀.txt" "demo/odd/a!b(c)*~.txt"
  "demo/deep/nested/dir/file.txt" "demo/100%=?#.txt" "demo/tab	and spaces  .txt"
)
outside="not-demo/skip-me.txt"
for k in "${keys[@]}" "$outside"; do
  enc=$(/usr/bin/python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe="/~"))' "$k")
  printf 'content of %s\n' "$k" > "$work/body"
  curl -sf --path-as-is -X PUT --data-binary @"$work/body" "$endpoint/demo-bucket/$enc" >/dev/null
done

mkdir -p demo-output
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
"$PRESIGN" sign s3://demo-bucket/demo/ --endpoint "$endpoint" \
  --region us-east-1 --expires 15m --format ndjson --output demo-output/urls.ndjson

# The listing must have found exactly the uploaded keys under demo/, in byte order.
printf '%s\n' "${keys[@]}" > "$work/want.txt"
/usr/bin/python3 - "$work/want.txt" demo-output/urls.ndjson <<'PY'
import json, sys
want = sorted(open(sys.argv[1], "rb").read().decode().split("\n")[:-1], key=lambda k: k.encode())
got = [json.loads(l)["key"] for l in open(sys.argv[2], encoding="utf-8")]
if got != want:
    sys.exit("quickstart: listed keys differ from the uploaded ones:\n  got  %r\n  want %r" % (got, want))
PY

# Every URL: GET -> 200 with the bytes uploaded under that key (expected bodies written by
# python, so tabs or any other byte in a key cannot confuse the shell).
ok=0
while IFS=$'\t' read -r i url; do
  code=$(curl -s --path-as-is -o "$work/got" -w '%{http_code}' "$url" || true)
  if [ "$code" = 200 ] && cmp -s "$work/got" "$work/want.$i"; then ok=$((ok + 1))
  else echo "GET -> $code: $url" >&2; fi
done < <(/usr/bin/python3 - demo-output/urls.ndjson "$work" <<'PY'
import json, sys
for i, r in enumerate(map(json.loads, open(sys.argv[1], encoding="utf-8"))):
    open("%s/want.%d" % (sys.argv[2], i), "wb").write(b"content of " + r["key"].encode() + b"\n")
    print("%d\t%s" % (i, r["url"]))
PY
)
echo
head -n 2 demo-output/urls.ndjson
echo "quickstart: listed and signed ${#keys[@]} objects of s3://demo-bucket/demo/ into demo-output/urls.ndjson; $ok/${#keys[@]} URLs answered 200 from the emulator"
[ "$ok" = "${#keys[@]}" ]
