#pragma once
// Private to presign::signers: what the two halves of the Azure service SAS share, the staged
// API and validation (azure_sas.cpp) and the batch signer (azure_sas_signer.cpp).

#include "presign/signers/azure_sas.hpp"

#include <openssl/crypto.h>

#include <string>

namespace presign::signers::azure::detail {

// Endpoint: scheme://authority[/path], trailing '/' dropped (core's parse_endpoint). Not
// signed, so only its shape is checked.
struct Endpoint {
  std::string base;  // "https://host[:port][/path]"
  bool https = true;
};

// Everything `create` and the container helpers check besides the SAS fields: the names, the
// endpoint, and the key (decoded into `key`).
Result<Endpoint> validate_target(AzureSasConfig const& config, std::string& key);

// Wipes a string holding key material when it goes out of scope.
struct Cleanse {
  std::string& s;
  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

}  // namespace presign::signers::azure::detail
