#!/usr/bin/env bash
# Command-line mistakes are named (ctest label "cli"): an unknown command, an unknown option
# of sign, ls and bench, and a stray word each give one exact line on stderr, nothing on
# stdout, and exit 2; the nearest spelling is suggested when there is one. `presign help`
# and `presign help COMMAND` print what --help prints (exit 0); `presign help nosuch` is an
# error with a suggestion. Nothing here reads credentials or touches the network.
# usage: cli_errors.sh PATH/TO/presign
. "$(dirname "$0")/lib.sh" || exit 1

PRESIGN=${1:-}
need_exe "$PRESIGN" "presign binary"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presign-cli-errors.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
# No credentials and no profile: these must all fail before any lookup.
run() { env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true HOME="$WORK" "$PRESIGN" "$@" >"$WORK/out" 2>"$WORK/err"; }

# expect_error WANT_MESSAGE presign-args...: exit 2, exactly WANT_MESSAGE on stderr, no stdout.
expect_error() {
  local want=$1
  shift
  run "$@"
  local rc=$?
  local got
  got=$(cat "$WORK/err")
  if [ "$rc" -ne 2 ]; then bad "presign $*: exit $rc, want 2 (stderr: $got)"; return; fi
  if [ "$got" != "$want" ]; then bad "presign $*: stderr is [$got], want [$want]"; return; fi
  if [ -s "$WORK/out" ]; then bad "presign $*: wrote to stdout: $(head -c 200 "$WORK/out")"; return; fi
  ok
}

echo "== unknown commands =="
expect_error "presign: unknown command 'frobnicate'; commands: sign, ls, bench, users, keys, integrations, store, audit, help" frobnicate
expect_error "presign: unknown command 'sgin'; did you mean 'sign'?" sgin s3://b
expect_error "presign: unknown command 'lss'; did you mean 'ls'?" lss s3://b
expect_error "presign: unknown command 'benhc'; did you mean 'bench'?" benhc
expect_error "presign: unknown option '--verison'; did you mean '--version'?" --verison

echo "== unknown options =="
expect_error "presign sign: unknown option '--expire'; did you mean '--expires'?" sign s3://b --expire 1h
expect_error "presign sign: unknown option '--formt'; did you mean '--format'?" sign --expires=1h --formt=csv s3://b
expect_error "presign sign: unknown option '--keys'; did you mean '--keys-from'?" sign s3://b --keys k.txt
expect_error "presign sign: unknown option '--frobnicate'; see 'presign sign --help'" sign s3://b --frobnicate
expect_error "presign sign: unknown option '-x'; see 'presign sign --help'" sign s3://b -x
expect_error "presign ls: unknown option '--page-sise'; did you mean '--page-size'?" ls s3://b --page-sise 5
expect_error "presign ls: unknown option '--start-afer'; did you mean '--start-after'?" ls s3://b --start-afer k
expect_error "presign bench: unknown option '--object'; did you mean '--objects'?" bench --object 5
expect_error "presign bench: unknown option '--provder'; did you mean '--provider'?" bench --provder s3

echo "== stray words =="
expect_error "presign sign: unexpected argument 'yes'; '--quiet' takes no value" sign s3://b --quiet yes
expect_error "presign sign: unexpected argument 'extra'; see 'presign sign --help'" sign s3://b --expires 1h extra
expect_error "presign ls: unexpected argument 's3://c'; see 'presign ls --help'" ls s3://b s3://c

echo "== help =="
expect_help() {  # expect_help WANT_FILE presign-args...
  local want=$1
  shift
  run "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then bad "presign $*: exit $rc, want 0 ($(head -c 300 "$WORK/err"))"; return; fi
  if ! cmp -s "$WORK/out" "$want"; then bad "presign $*: stdout differs from --help: $(diff "$want" "$WORK/out" | head -5)"; return; fi
  if [ -s "$WORK/err" ]; then bad "presign $*: wrote to stderr"; return; fi
  ok
}
for cmd in "" sign ls bench; do
  run $cmd --help
  rc=$?
  cp "$WORK/out" "$WORK/want-$cmd"
  if [ "$rc" -ne 0 ] || ! grep -q "Usage" "$WORK/want-$cmd"; then
    bad "presign $cmd --help: exit $rc or no usage"
    continue
  fi
  ok
  expect_help "$WORK/want-$cmd" help $cmd
done
grep -q -- "--expires" "$WORK/want-sign" && ok || bad "presign help sign does not describe --expires"
grep -q "help" "$WORK/want-" && ok || bad "presign --help does not list the help command"
expect_error "presign: unknown command 'nosuch'; commands: sign, ls, bench, users, keys, integrations, store, audit, help" help nosuch
expect_error "presign: unknown command 'sing'; did you mean 'sign'?" help sing

finish
