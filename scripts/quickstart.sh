#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the main job against a local
# default: an S3 emulator bucket on 127.0.0.1 that verifies signatures.
#   1. installs dependencies (scripts/install-deps.sh) and builds (scripts/build.sh)
#   2. starts @20minutes/s3rver on 127.0.0.1 with bucket "demo-bucket" and uploads sample objects
#   3. runs: presign sign s3://demo-bucket --keys-from KEYS --endpoint http://127.0.0.1:PORT
#   4. fetches every signed URL with curl and checks each answers 200, then stops the emulator
# Output: demo-output/urls.ndjson
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
source scripts/emulators/lib.sh
trap stop_emulators EXIT

work=$(mktemp -d)
port=$(free_port)
start_s3rver "$work/s3data" "$port" demo-bucket
endpoint="http://127.0.0.1:$port"

keys=(
  "images/cat 01.jpg" "images/dog+bone.png" "docs/résumé.pdf" "data/2024/01/part-00000.parquet"
  "unicode/日本語/😀.txt" "odd/a!b'(c)*~.txt" "deep//double/slash.txt" "100%=&?#.txt"
)
printf '%s\n' "${keys[@]}" > "$work/keys.txt"
for k in "${keys[@]}"; do
  enc=$(/usr/bin/python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe="/~"))' "$k")
  curl -sf -X PUT --data-binary "content of $k" "$endpoint/demo-bucket/$enc" >/dev/null
done

mkdir -p demo-output
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
build/presign sign s3://demo-bucket --keys-from "$work/keys.txt" --endpoint "$endpoint" \
  --region us-east-1 --expires 15m --format ndjson --output demo-output/urls.ndjson

ok=0
while IFS= read -r url; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
  [ "$code" = 200 ] && ok=$((ok + 1)) || echo "GET -> $code: $url" >&2
done < <(/usr/bin/python3 -c 'import json,sys;[print(json.loads(l)["url"]) for l in open(sys.argv[1])]' demo-output/urls.ndjson)
echo
head -n 2 demo-output/urls.ndjson
echo "quickstart: signed ${#keys[@]} objects into demo-output/urls.ndjson; $ok/${#keys[@]} URLs answered 200 from the emulator"
rm -rf "$work"
[ "$ok" = "${#keys[@]}" ]
