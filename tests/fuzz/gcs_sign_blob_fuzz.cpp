// libFuzzer target: what keyless GCS signing reads from the network (io/gcs_keyless.hpp): IAM
// signBlob's answer (io::parse_sign_blob_response) and the metadata server's e-mail
// (io::parse_metadata_email). For any input:
//  - neither crashes;
//  - an accepted signBlob answer has 1..512 signature bytes that re-encode to its signedBlob
//    shape (base64 of them), and a keyId of at most 128 bytes;
//  - an accepted e-mail is a service-account e-mail (no '/', one '@', nothing else odd), so
//    it can go into a URL path as it is;
//  - refusals are kProtocol (their messages are fixed texts: nothing of the input).
// Run by scripts/fuzz.sh; seeds in corpus/gcs_sign_blob/, past crashes in
// regressions/gcs_sign_blob/.

#include "fuzz_check.hpp"
#include "presign/core/base64.hpp"
#include "presign/io/gcs_keyless.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int gcs_sign_blob_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);

  if (auto r = io::parse_sign_blob_response(in)) {
    PRESIGN_FUZZ_CHECK(!r->signature.empty() && r->signature.size() <= 512);
    PRESIGN_FUZZ_CHECK(r->key_id.size() <= 128);
    std::string again;
    append_base64(again, r->signature);
    std::string back;
    PRESIGN_FUZZ_CHECK(base64_decode(again, back) && back == r->signature);
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kProtocol);
    PRESIGN_FUZZ_CHECK(!r.error().detail.empty());
  }

  if (auto e = io::parse_metadata_email(in)) {
    PRESIGN_FUZZ_CHECK(io::is_service_account_email(*e));
    PRESIGN_FUZZ_CHECK(e->find('/') == std::string::npos);
    PRESIGN_FUZZ_CHECK(in.find(*e) != std::string_view::npos);
  } else {
    PRESIGN_FUZZ_CHECK(e.error().kind == ErrorKind::kProtocol);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::gcs_sign_blob_one(data, size);
}
#endif
