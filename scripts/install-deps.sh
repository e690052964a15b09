#!/usr/bin/env bash
# Installs everything presign needs to build and test on a fresh Debian 12 (bookworm):
# compilers and libraries from Debian, the official SDK oracles (Debian python3 packages),
# and the emulators/oracles from npm into .tools/ (never global). Idempotent; run as root or
# with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  build-essential cmake ninja-build git pkg-config ca-certificates curl
  libboost1.81-dev libssl-dev libsimdjson-dev libtbb-dev libbenchmark-dev doctest-dev
  libcli11-dev libfmt-dev libzstd-dev libsqlite3-dev libipsec-mb-dev libpugixml-dev
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  python3 python3-botocore python3-awscrt python3-azure-storage
  # command-line tools the script tests call: zstd (decompressing --compress output), openssl
  # (a throwaway CA for the TLS listing test), ps (procps), setpriv (util-linux), script (bsdutils)
  strace time zstd openssl procps util-linux bsdutils
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm tools, pinned. Installed under .tools/ so nothing global changes.
#   @20minutes/s3rver 5.0.0: S3 emulator that verifies SigV4 (header and presigned query)
#   s3rver 3.7.1: S3 emulator with correct XML escaping (listing tests)
#   azurite 3.37.0: Azure Blob emulator that verifies service SAS
#   @google-cloud/storage 7.22.0: Google's Node client, the GCS V4 signing oracle
TOOLS=.tools
want='{"name":"presign-tools","private":true,"dependencies":{"@20minutes/s3rver":"5.0.0","s3rver":"3.7.1","azurite":"3.37.0","@google-cloud/storage":"7.22.0"}}'
mkdir -p "$TOOLS"
if [ ! -f "$TOOLS/package.json" ] || [ "$(cat "$TOOLS/package.json")" != "$want" ] || [ ! -d "$TOOLS/node_modules/azurite" ]; then
  printf '%s' "$want" > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "install-deps: ok"
