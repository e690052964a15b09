#pragma once
// The Azurite development account: its name and its published well-known key (not a secret;
// Microsoft documents it for the emulator).

#include "presign/signers/crypto.hpp"

#include <doctest/doctest.h>

#include <string>

namespace presign::test {

inline constexpr char kAzuriteAccount[] = "devstoreaccount1";
inline constexpr char kAzuriteKey[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The key's bytes (base64-decoded).
inline std::string azurite_key_bytes() {
  std::string k;
  REQUIRE(signers::crypto::base64_decode(kAzuriteKey, k));
  return k;
}

}  // namespace presign::test
