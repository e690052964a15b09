#!/usr/bin/env bash
# `presign sign --format labelbox` with --global-key and --media-type (ctest label "cli").
# usage: cli_labelbox.sh PATH/TO/presign
#
# A small key file with a key that is not UTF-8 and one whose global key is too long for
# Labelbox: both are left out and reported on stderr with the reason (exit 1); the other
# records parse as one JSON array (python3's json) with the rendered global key, the
# media_type as Labelbox spells it, the URL as row_data, and no other field. The same for an
# az:// container ({uri} holds account and container). Bad templates, media types and the
# options with another format are usage errors (exit 2) that leave no output file; a resume
# with another template is refused. Offline: nothing is sent anywhere.
# A missing prerequisite fails the test; nothing is skipped.
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
PY=/usr/bin/python3

[ -n "$PRESIGN" ] || fail_setup "usage: $0 PATH/TO/presign"
need_exe "$PRESIGN" "presign binary"
need_exe "$PY" python3 "python3 parses the output"
PRESIGN=$(abs_path "$PRESIGN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-labelbox.XXXXXX") || fail_setup "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/emptyhome"
cd "$WORK" || fail_setup "cannot cd to $WORK"

# Credentials from the environment only (made up: signing is local).
s3_env=(env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" AWS_ACCESS_KEY_ID=AKIDLABELBOXTEST
  AWS_SECRET_ACCESS_KEY='labelboxTestSecret/Value+0123456789abcdefGH')
az_env=(env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK/emptyhome" AZURE_STORAGE_ACCOUNT=acct
  AZURE_STORAGE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==')
TS=2024-01-01T00:00:00Z
long=$(printf 'L%.0s' $(seq 1 197))  # "bkt/" + 197 = 201 characters: one too many
{
  printf 'img/a.jpg\n'
  printf '\xff\xfe\n'
  printf 'dir/caf\xc3\xa9 "q".png\n'
  printf '%s\n' "$long"
  printf 'last.jpg\n'
} >keys.txt

# check_records FILE ERRFILE WANT_PREFIX URL_PREFIX WHY: the records of keys.txt and the report
# (WHY: the reason given for the non-UTF-8 key).
check_records() {
  "$PY" - "$@" "$long" <<'PYEOF'
import json, sys
out, errf, prefix, url_prefix, why2, long = sys.argv[1:7]
recs = json.load(open(out, "rb"))
err = open(errf, "rb").read()  # bytes: the report shows the key's bytes as they are
want = [prefix + k for k in ["img/a.jpg", "dir/caf\u00e9 \"q\".png", "last.jpg"]]
problems = []
if not isinstance(recs, list) or [r.get("global_key") for r in recs] != want:
    problems.append("global keys %r, want %r" % ([r.get("global_key") for r in recs], want))
for r in recs:
    if sorted(r) != ["global_key", "media_type", "row_data"]:
        problems.append("fields %r, want global_key media_type row_data only" % sorted(r))
    if r.get("media_type") != "IMAGE":
        problems.append("media_type %r, want IMAGE" % r.get("media_type"))
    if not r.get("row_data", "").startswith(url_prefix) or "?" not in r.get("row_data", ""):
        problems.append("row_data %r is not a presigned URL under %s" % (r.get("row_data"), url_prefix))
for line in [b"presign: line 2 '\xff\xfe': " + why2.encode(),
             ("presign: line 4 '%s': the Labelbox global key would be %d characters long; "
              "Labelbox allows at most 200" % (long, len(prefix) + len(long))).encode(),
             b"presign: 2 of 5 objects could not be signed"]:
    if line not in err:
        problems.append("stderr lacks %r" % line)
for p in problems:
    print("    " + p)
if problems:
    print("    stderr was: %r" % err)
sys.exit(1 if problems else 0)
PYEOF
}

echo "== s3: --global-key '{bucket}/{key}' --media-type image =="
"${s3_env[@]}" "$PRESIGN" sign s3://bkt --keys-from keys.txt --signing-time "$TS" \
  --format labelbox --global-key '{bucket}/{key}' --media-type image --output s3.json \
  --threads 2 2>s3.err
rc=$?
[ "$rc" -eq 1 ] && ok || bad "s3: exit $rc, want 1 (some objects failed): $(cat s3.err)"
check_records s3.json s3.err "bkt/" "https://bkt.s3.amazonaws.com/" \
  "the key is not valid UTF-8, so it cannot be part of a Labelbox global key" && ok ||
  bad "s3 records or report"

echo "== az: --global-key '{uri}' holds account and container =="
"${az_env[@]}" "$PRESIGN" sign az://acct/cont --keys-from keys.txt --signing-time "$TS" \
  --format labelbox --global-key '{uri}' --media-type IMAGE --output az.json 2>az.err
rc=$?
[ "$rc" -eq 1 ] && ok || bad "az: exit $rc, want 1: $(cat az.err)"
# "az://acct/cont/" is 15 characters, so the long key is 15 + 197 = 212 characters.
# (Azure's signer refuses a blob name that is not UTF-8 itself, before the format is asked.)
check_records az.json az.err "az://acct/cont/" "https://acct.blob.core.windows.net/cont/" \
  "object key is not valid for this provider" && ok || bad "az records or report"

echo "== usage errors: exit 2, a clear message, no output file =="
# usage_case NAME REGEX args...
usage_case() {
  local name=$1 regex=$2
  shift 2
  rm -f u.out
  "${s3_env[@]}" "$PRESIGN" sign s3://bkt --keys-from keys.txt --signing-time "$TS" \
    --output u.out "$@" 2>u.err
  local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name: exit $rc, want 2: $(cat u.err)"
  elif ! grep -Eq -- "$regex" u.err; then bad "$name: message $(cat u.err) does not match /$regex/"
  elif [ -e u.out ]; then bad "$name: left an output file"
  else ok; fi
}
usage_case unknown_placeholder "--global-key '\{nope\}/\{key\}': unknown placeholder \{nope\}" \
  --format labelbox --global-key '{nope}/{key}'
usage_case open_brace "--global-key 'a/\{key': unbalanced '\{' at offset 2" \
  --format labelbox --global-key 'a/{key'
usage_case close_brace "unbalanced '\}' at offset 5" --format labelbox --global-key '{key}}'
usage_case no_key "neither \{key\} nor \{uri\}" --format labelbox --global-key '{bucket}'
usage_case media_type "--media-type 'jpeg' is not a Labelbox data row media type \(AUDIO, " \
  --format labelbox --media-type jpeg
usage_case global_key_ndjson "--global-key applies to --format labelbox only" \
  --global-key '{key}'
usage_case media_type_csv "--media-type applies to --format labelbox only" \
  --format csv --media-type image
usage_case no_room "--global-key leaves no room for a key" \
  --format labelbox --global-key "$(printf 'p%.0s' $(seq 1 200)){key}"

echo "== --resume refuses another template or media type =="
mkfifo keys.fifo || fail_setup "mkfifo failed"
"$PY" -c 'import sys; sys.stdout.write("".join("k/%06d.jpg\n" % i for i in range(10000)))' >many.txt
job=(sign s3://bkt --keys-from keys.fifo --signing-time "$TS" --format labelbox --output job.json
  --checkpoint job.ck --threads 2 --quiet)
# The writer feeds 10,000 keys and keeps the pipe open, so the job checkpoints what it has
# written and then waits for more: an unfinished job, killed below.
(cat many.txt; sleep 30) >keys.fifo &
writer=$!
"${s3_env[@]}" "$PRESIGN" "${job[@]}" --global-key '{bucket}/{key}' --media-type image 2>job.err &
job_pid=$!
for _ in $(seq 1 200); do [ -s job.ck ] && break; sleep 0.05; done
kill -9 "$job_pid" 2>/dev/null
wait "$job_pid" 2>/dev/null
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
if [ ! -s job.ck ]; then
  bad "no checkpoint was written within 10 s: $(cat job.err)"
else
  for other in "--global-key {key} --media-type image" "--global-key {bucket}:{key} --media-type image" \
               "--global-key {bucket}/{key} --media-type video" "--global-key {bucket}/{key}"; do
    # shellcheck disable=SC2086  # word splitting of $other is intended
    "${s3_env[@]}" "$PRESIGN" "${job[@]}" --resume $other 2>r.err </dev/null
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q "belongs to a job with other parameters" r.err; then ok
    else bad "--resume with '$other': exit $rc, want 2 and a refusal: $(cat r.err)"; fi
  done
  # The same options resume and finish (control: the refusals above are about the options).
  cat many.txt >keys.fifo &
  writer=$!
  timeout 60 "${s3_env[@]}" "$PRESIGN" "${job[@]}" --resume --global-key '{bucket}/{key}' \
    --media-type image 2>r.err
  rc=$?
  kill "$writer" 2>/dev/null
  wait "$writer" 2>/dev/null
  if [ "$rc" -eq 0 ] && [ ! -e job.ck ] &&
    "$PY" -c 'import json, sys; r = json.load(open("job.json")); sys.exit(not (len(r) == 10000 and r[-1]["global_key"] == "bkt/k/009999.jpg" and r[0]["media_type"] == "IMAGE"))'; then ok
  else bad "--resume with the same options: exit $rc: $(cat r.err)"; fi
fi

finish
