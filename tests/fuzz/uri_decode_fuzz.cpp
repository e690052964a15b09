// libFuzzer target: percent-decoding. Checks, for any input:
//  - signers::uri_decode agrees with io::detail::url_decode_to (the in-place decoder the S3 and
//    Azure parsers use) and with a naive reference written here, in both '+' modes;
//  - decode(encode(x)) == x for signers::uri_encode, with and without keep_slash, and
//    append_uri_encoded writes what uri_encode writes.
// Run by scripts/fuzz.sh; seeds in corpus/uri_decode/, past crashes in regressions/uri_decode/.

#include "fuzz_check.hpp"
#include "presign/io/list_page.hpp"
#include "presign/signers/uri.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace presign::fuzz {
namespace {

// The obvious decoder, one character at a time, as RFC 3986 §2.1 reads.
std::optional<std::string> reference_decode(std::string_view in, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (in.size() - i < 3) return std::nullopt;  // '%' needs two hex digits after it
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

int uri_decode_one(std::uint8_t const* data, std::size_t size) {
  std::string_view in(reinterpret_cast<char const*>(data), size);

  for (bool plus : {false, true}) {
    std::string a;
    bool ok_a = signers::uri_decode(in, a, plus);
    std::optional<std::string> ref = reference_decode(in, plus);
    std::string b(in);
    std::size_t bad = 0;
    std::size_t n = io::detail::url_decode_to(b.data(), b.size(), b.data(), plus, bad);
    PRESIGN_FUZZ_CHECK(ok_a == ref.has_value());
    PRESIGN_FUZZ_CHECK((n != std::string_view::npos) == ok_a);
    if (ok_a) {
      PRESIGN_FUZZ_CHECK(a == *ref);
      PRESIGN_FUZZ_CHECK(std::string_view(b.data(), n) == a);
      PRESIGN_FUZZ_CHECK(a.size() <= in.size());
    } else {
      PRESIGN_FUZZ_CHECK(bad < in.size() && in[bad] == '%');
    }
  }

  for (bool keep_slash : {false, true}) {
    std::string enc(3 * in.size(), '\0');
    std::size_t n = signers::uri_encode(in, enc.data(), keep_slash);
    PRESIGN_FUZZ_CHECK(n <= enc.size());
    enc.resize(n);
    std::string appended = "x";
    signers::append_uri_encoded(appended, in, keep_slash);
    PRESIGN_FUZZ_CHECK(appended.substr(1) == enc);
    for (char c : enc) {
      bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                        c == '%' || (keep_slash && c == '/');
      PRESIGN_FUZZ_CHECK(unreserved);
    }
    std::string back;
    PRESIGN_FUZZ_CHECK(signers::uri_decode(enc, back, /*plus_is_space=*/true));
    PRESIGN_FUZZ_CHECK(back == in);  // '+' is always encoded, so form decoding is safe too
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::uri_decode_one(data, size);
}
#endif
