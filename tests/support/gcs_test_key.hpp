#pragma once
// Google's published dummy service-account key (tests/vectors/gcs/
// test_service_account.not-a-test.json) as the signers take it: the e-mail and the PEM key,
// read here with simdjson, so signers_tests need no key-file parser (that is auth's, tested in
// tests/auth/gcs_key_file_test.cpp).

#include "presign/signers/gcs_v4.hpp"

#include "test_support.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>

namespace presign::test {

inline std::string gcs_key_file() {
  return vectors_dir() + "/gcs/test_service_account.not-a-test.json";
}

/// The key of gcs_key_file(); throws when the file or the key cannot be read.
inline signers::gcs::ServiceAccountKey gcs_service_account_key() {
  simdjson::dom::parser parser;
  simdjson::padded_string const padded(read_file(gcs_key_file()));
  simdjson::dom::object const obj = parser.parse(padded).get_object().value();
  std::string_view const email = obj["client_email"].get_string().value();
  std::string_view const pem = obj["private_key"].get_string().value();
  auto key = signers::gcs::ServiceAccountKey::from_pem(std::string(email), pem, "test key");
  if (!key) throw std::runtime_error("test key: " + key.error().detail);
  return std::move(*key);
}

}  // namespace presign::test
