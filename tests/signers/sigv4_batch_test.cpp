// S3Presigner::sign_group / append_group_url (the multi-buffer path) against S3Presigner::sign
// (the single-stream path, itself checked against the botocore and AWS vectors): thousands of
// random hostile keys in groups of every size, under every forced multi-buffer path the CPU
// has. (FormattingBatchSigner over the group path: tests/engine/formatting_signer_test.cpp.)
#include "presign/signers/sigv4.hpp"

#include "presign/signers/sha256_multi.hpp"

#include "random_key.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace presign;
using namespace presign::signers::sigv4;
namespace crypto = presign::signers::crypto;
using crypto::Sha256MultiPath;
using presign::signers::kMaxKeyBytes;
using presign::signers::kMaxSignGroup;
using presign::test::random_key;

namespace {

// Every multi-buffer path; those the CPU lacks are skipped (sha256_multi_force refuses them).
constexpr Sha256MultiPath kPaths[] = {Sha256MultiPath::kPortable, Sha256MultiPath::kShaNi,
                                      Sha256MultiPath::kShaNi2,   Sha256MultiPath::kShaNi3,
                                      Sha256MultiPath::kShaNi4,   Sha256MultiPath::kAvx512};

// Forces a path for the scope; restores automatic selection afterwards.
struct ForcePath {
  explicit ForcePath(Sha256MultiPath p) : ok(crypto::sha256_multi_force(p)) {}
  ~ForcePath() { crypto::sha256_multi_unforce(); }
  ForcePath(ForcePath const&) = delete;
  ForcePath& operator=(ForcePath const&) = delete;
  bool ok;
};

SigningTime at(char const* rfc3339) { return parse_rfc3339(rfc3339).value(); }

// Configurations that move every constant the group path splits into midstate + rest: the
// canonical-request head (a long path-style bucket makes it longer than one block), the
// suffix (session token, response overrides), the string-to-sign head (a long region).
std::vector<S3PresignConfig> configs() {
  std::vector<S3PresignConfig> out;
  S3PresignConfig base;
  base.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  base.bucket = "examplebucket";
  base.signing_time = at("2024-01-01T00:00:00Z");
  out.push_back(base);

  S3PresignConfig path = base;
  path.bucket = "Bucket_with.dots.and.a.very.long.name.that.spans.more.than.one.sha256.block.x";
  path.addressing = Addressing::kPath;
  path.region = "ap-southeast-2";
  path.method = "PUT";
  out.push_back(path);

  S3PresignConfig token = base;
  token.credentials.session_token = std::string(900, 'T') + "/+=";
  token.response_content_disposition = "attachment; filename=\"r\u00e9sum\u00e9.pdf\"";
  token.response_content_type = "text/plain; charset=utf-8";
  token.region = "us-gov-west-1-with-a-much-longer-made-up-region-name-for-tests";
  token.expires_seconds = kS3MaxExpiresSeconds;
  out.push_back(token);

  S3PresignConfig endpoint = base;
  endpoint.endpoint = "http://127.0.0.1:9000";
  endpoint.method = "HEAD";
  out.push_back(endpoint);
  return out;
}

std::string sign_one(S3Presigner const& signer, std::string_view key, SignError& err) {
  S3Presigner::Scratch scratch;
  std::string url;
  err = signer.sign(ObjectRef{key, {}}, scratch, url);
  return url;
}

// Signs `keys` with sign_group in groups of random sizes (1..20 asked for, so spans longer than
// a group are cut at 16) and compares every object with sign(). Returns the mismatches.
int check_groups(S3Presigner const& signer, std::vector<std::string> const& keys,
                 std::mt19937_64& rng, S3Presigner::Scratch& scratch) {
  std::vector<ObjectRef> objects;
  for (auto const& k : keys) objects.push_back(ObjectRef{k, {}});
  int mismatches = 0;
  std::string out;
  for (std::size_t i = 0; i < objects.size();) {
    std::size_t const ask = std::min<std::size_t>(1 + rng() % 20, objects.size() - i);
    SignError errors[kMaxSignGroup];
    std::size_t const n =
        signer.sign_group(std::span<ObjectRef const>(objects).subspan(i, ask), scratch, errors);
    if (n != std::min(ask, kMaxSignGroup)) return -1;
    for (std::size_t k = 0; k < n; ++k) {
      SignError want_err = SignError::kOk;
      std::string const want = sign_one(signer, objects[i + k].key, want_err);
      out.assign("prefix:");
      signer.append_group_url(scratch, k, out);
      if (errors[k] != want_err || out != "prefix:" + want) ++mismatches;
    }
    i += n;
  }
  return mismatches;
}

}  // namespace

TEST_SUITE("signers.sigv4_batch") {
  TEST_CASE("sign_group gives the URLs and errors of sign for random hostile keys on every path") {
    std::mt19937_64 rng(20240101);
    std::vector<std::string> keys;
    for (int i = 0; i < 2500; ++i) keys.push_back(random_key(rng));
    // Each group size 1..16 on its own too, with an error key in the middle of some.
    for (std::size_t g = 1; g <= kMaxSignGroup; ++g) {
      for (std::size_t k = 0; k < g; ++k) {
        keys.push_back(k == g / 2 && g % 3 == 0 ? "" : random_key(rng));
      }
    }
    auto const cfgs = configs();
    int paths_run = 0;
    for (Sha256MultiPath const path : kPaths) {
      ForcePath const force(path);
      if (!force.ok) continue;
      ++paths_run;
      for (std::size_t c = 0; c < cfgs.size(); ++c) {
        CAPTURE(crypto::sha256_multi_path_name(path));
        CAPTURE(c);
        auto signer = S3Presigner::create(cfgs[c]);
        REQUIRE(signer.has_value());
        S3Presigner::Scratch scratch;
        // The portable path is ~6x slower: a quarter of the keys there keeps the suite fast.
        std::size_t const take = path == Sha256MultiPath::kPortable ? keys.size() / 4 : keys.size();
        std::vector<std::string> const some(keys.begin(),
                                            keys.begin() + static_cast<std::ptrdiff_t>(take));
        CHECK(check_groups(*signer, some, rng, scratch) == 0);
      }
    }
    CHECK(paths_run >= 1);
    // And with the automatic choice, which routes small groups to a narrower path.
    for (auto const& cfg : cfgs) {
      auto signer = S3Presigner::create(cfg);
      REQUIRE(signer.has_value());
      S3Presigner::Scratch scratch;
      CHECK(check_groups(*signer, keys, rng, scratch) == 0);
    }
  }

  TEST_CASE("sign_group takes at most 16 objects and none from an empty span") {
    auto signer = S3Presigner::create(configs()[0]);
    REQUIRE(signer.has_value());
    S3Presigner::Scratch scratch;
    SignError errors[kMaxSignGroup];
    CHECK(signer->sign_group({}, scratch, errors) == 0);
    std::vector<ObjectRef> objects(40, ObjectRef{"a/b.jpg", {}});
    CHECK(signer->sign_group(objects, scratch, errors) == 16);
    CHECK(signer->sign_group(std::span<ObjectRef const>(objects).first(5), scratch, errors) == 5);
  }

  TEST_CASE("append_group_url appends nothing for a failed object or an index past the group") {
    auto signer = S3Presigner::create(configs()[0]);
    REQUIRE(signer.has_value());
    S3Presigner::Scratch scratch;
    std::string const long_key(kMaxKeyBytes + 1, 'x');
    std::vector<ObjectRef> const objects = {{"ok", {}}, {"", {}}, {long_key, {}}, {"ok2", {}}};
    SignError errors[kMaxSignGroup];
    REQUIRE(signer->sign_group(objects, scratch, errors) == 4);
    CHECK(errors[0] == SignError::kOk);
    CHECK(errors[1] == SignError::kEmptyKey);
    CHECK(errors[2] == SignError::kKeyTooLong);
    CHECK(errors[3] == SignError::kOk);
    std::string out = "unchanged";
    signer->append_group_url(scratch, 1, out);
    signer->append_group_url(scratch, 2, out);
    signer->append_group_url(scratch, kMaxSignGroup, out);
    CHECK(out == "unchanged");
    out.clear();
    signer->append_group_url(scratch, 3, out);
    SignError err = SignError::kOk;
    CHECK(out == sign_one(*signer, "ok2", err));
  }

  TEST_CASE("one scratch serves signers whose lanes need more room than the last one") {
    auto const cfgs = configs();
    auto small = S3Presigner::create(cfgs[0]);
    auto big = S3Presigner::create(cfgs[2]);  // 900-byte session token: longer lanes
    REQUIRE(small.has_value());
    REQUIRE(big.has_value());
    std::mt19937_64 rng(7);
    std::vector<std::string> keys;
    for (int i = 0; i < 64; ++i) keys.push_back(std::string(kMaxKeyBytes, static_cast<char>(0xFF)));
    for (int i = 0; i < 64; ++i) keys.push_back(random_key(rng));
    S3Presigner::Scratch scratch;
    CHECK(check_groups(*small, keys, rng, scratch) == 0);
    CHECK(check_groups(*big, keys, rng, scratch) == 0);
    CHECK(check_groups(*small, keys, rng, scratch) == 0);
  }

  TEST_CASE("one scratch serves two signers whose lanes differ only in the canonical suffix") {
    // Same lane size and the same key lengths: the second signer must not reuse the suffix
    // the first one left after each key.
    auto cfg = configs()[0];
    auto first = S3Presigner::create(cfg);
    cfg.expires_seconds = 7200;  // "3600" -> "7200": same length, other bytes
    auto second = S3Presigner::create(cfg);
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    std::vector<std::string> keys;
    for (int i = 0; i < 64; ++i) keys.push_back("photos/2024/img-" + std::to_string(1000 + i));
    std::mt19937_64 rng(11);
    S3Presigner::Scratch scratch;
    CHECK(check_groups(*first, keys, rng, scratch) == 0);
    CHECK(check_groups(*second, keys, rng, scratch) == 0);
    CHECK(check_groups(*first, keys, rng, scratch) == 0);
    S3Presigner const copy = *second;  // a copy has the same constants
    CHECK(check_groups(copy, keys, rng, scratch) == 0);
  }

  TEST_CASE("sign_group sizes the scratch once and then reuses its lane buffer") {
    auto signer = S3Presigner::create(configs()[0]);
    REQUIRE(signer.has_value());
    S3Presigner::Scratch scratch;
    CHECK(scratch.lanes_for_test() == nullptr);
    std::string const longest(kMaxKeyBytes, ' ');  // 3,072 bytes encoded: the largest lane
    std::vector<ObjectRef> const objects(16, ObjectRef{longest, {}});
    SignError errors[kMaxSignGroup];
    REQUIRE(signer->sign_group(objects, scratch, errors) == 16);
    char const* const buffer = scratch.lanes_for_test();
    std::size_t const bytes = scratch.lanes_bytes_for_test();
    CHECK(buffer != nullptr);
    CHECK(bytes >= 16 * 3 * kMaxKeyBytes);
    for (int round = 0; round < 8; ++round) {
      REQUIRE(signer->sign_group(objects, scratch, errors) == 16);
    }
    CHECK(scratch.lanes_for_test() == buffer);
    CHECK(scratch.lanes_bytes_for_test() == bytes);
  }

  TEST_CASE("sign_group reproduces the AWS documentation presigned URL on every path") {
    // S3 API reference, "Authenticating Requests: Using Query Parameters": GET
    // examplebucket/test.txt at 20130524T000000Z for 86400 s.
    S3PresignConfig cfg;
    cfg.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
    cfg.bucket = "examplebucket";
    cfg.expires_seconds = 86400;
    cfg.signing_time = at("2013-05-24T00:00:00Z");
    auto signer = S3Presigner::create(cfg);
    REQUIRE(signer.has_value());
    for (Sha256MultiPath const path : kPaths) {
      ForcePath const force(path);
      if (!force.ok) continue;
      CAPTURE(crypto::sha256_multi_path_name(path));
      S3Presigner::Scratch scratch;
      std::vector<ObjectRef> const objects(16, ObjectRef{"test.txt", {}});
      SignError errors[kMaxSignGroup];
      REQUIRE(signer->sign_group(objects, scratch, errors) == 16);
      for (std::size_t k = 0; k < 16; ++k) {
        std::string url;
        signer->append_group_url(scratch, k, url);
        CHECK(url.ends_with(
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
      }
    }
  }
}
