// Both SHA-256 compression paths (SHA-NI when the CPU has it, portable C++) against OpenSSL's
// one-shot SHA256 — an independent implementation — for every length 0..1100 and for
// arbitrary update splits.
#include "presign/signers/crypto.hpp"

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <random>
#include <string>

using presign::signers::crypto::Sha256;

namespace {

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

void check_against_openssl(std::mt19937_64& rng) {
  for (std::size_t n = 0; n <= 1100; ++n) {
    std::string const msg = random_bytes(rng, n);
    unsigned char want[32];
    ::SHA256(reinterpret_cast<unsigned char const*>(msg.data()), msg.size(), want);
    // One update, then a random split into up to 4 pieces.
    Sha256 one;
    one.update(msg);
    auto got = one.final();
    REQUIRE(std::equal(got.begin(), got.end(), want));
    Sha256 split;
    std::size_t pos = 0;
    for (int k = 0; k < 3 && pos < n; ++k) {
      std::size_t take = rng() % (n - pos + 1);
      split.update(msg.data() + pos, take);
      pos += take;
    }
    split.update(msg.data() + pos, n - pos);
    got = split.final();
    REQUIRE(std::equal(got.begin(), got.end(), want));
  }
}

}  // namespace

TEST_SUITE("signers.crypto") {
  TEST_CASE("the selected SHA-256 path matches OpenSSL for every length up to 1100 bytes") {
    std::mt19937_64 rng(42);
    INFO("implementation: " << presign::signers::crypto::sha256_implementation());
    check_against_openssl(rng);
  }

  TEST_CASE("the portable SHA-256 path matches OpenSSL for every length up to 1100 bytes") {
    presign::signers::crypto::sha256_force_portable(true);
    CHECK(std::string(presign::signers::crypto::sha256_implementation()) == "portable");
    std::mt19937_64 rng(7);
    check_against_openssl(rng);
    presign::signers::crypto::sha256_force_portable(false);
  }

  TEST_CASE("a copied midstate continues exactly like the original") {
    Sha256 head;
    head.update("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n");
    Sha256 a = head;
    Sha256 b = head;
    a.update("tail one");
    b.update("tail one");
    CHECK(a.final() == b.final());
  }
}
