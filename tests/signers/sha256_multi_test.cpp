// Multi-buffer SHA-256: every path, forced in turn, against OpenSSL (an independent
// implementation) on lanes of random lengths 0..1100 resumed from random midstates, with 1 to
// 16 lanes of mixed lengths in one call; and the HMAC helpers against OpenSSL's HMAC.
#include "presign/signers/sha256_multi.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace crypto = presign::signers::crypto;
using crypto::Sha256MultiPath;

namespace {

std::string name(Sha256MultiPath p) { return crypto::sha256_multi_path_name(p); }

constexpr Sha256MultiPath kPaths[] = {Sha256MultiPath::kPortable, Sha256MultiPath::kShaNi,
                                      Sha256MultiPath::kShaNi2,   Sha256MultiPath::kShaNi3,
                                      Sha256MultiPath::kShaNi4,   Sha256MultiPath::kAvx512};

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint8_t> s(n);
  for (auto& c : s) c = static_cast<std::uint8_t>(rng() & 0xFF);
  return s;
}

crypto::Digest openssl_sha256(std::vector<std::uint8_t> const& msg) {
  crypto::Digest d{};
  ::SHA256(msg.data(), msg.size(), d.data());
  return d;
}

// Forces a path for the scope; restores automatic selection afterwards.
struct ForcePath {
  explicit ForcePath(Sha256MultiPath p) : ok(crypto::sha256_multi_force(p)) {}
  ~ForcePath() { crypto::sha256_multi_unforce(); }
  ForcePath(ForcePath const&) = delete;
  ForcePath& operator=(ForcePath const&) = delete;
  bool ok;
};

// One random call: n lanes, each message = prefix (absorbed into a midstate, 0..4 blocks)
// + tail (0..1100 bytes). Some lanes share a midstate; sometimes all do.
void check_random_call(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::vector<std::uint8_t>> msgs(n);
  std::vector<crypto::Sha256Midstate> starts(n);
  std::vector<crypto::Sha256Lane> lanes(n);
  std::vector<crypto::Digest> got(n);
  bool const all_shared = rng() % 4 == 0;
  std::vector<std::uint8_t> const shared_prefix = random_bytes(rng, 64 * (rng() % 5));
  crypto::Sha256Midstate shared = crypto::Sha256Midstate::initial();
  shared.absorb_blocks(shared_prefix.data(), shared_prefix.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool const use_shared = all_shared || rng() % 3 == 0;
    // Prefix lengths need not be whole blocks: absorb_blocks takes the whole blocks and the
    // rest goes at the start of the tail, as a signer does with a constant head.
    std::vector<std::uint8_t> prefix = use_shared ? shared_prefix : random_bytes(rng, rng() % 300);
    std::size_t const tail_len = rng() % 1101;
    msgs[i] = prefix;
    auto const tail = random_bytes(rng, tail_len);
    msgs[i].insert(msgs[i].end(), tail.begin(), tail.end());
    std::size_t consumed = 0;
    if (use_shared) {
      lanes[i].start = &shared;
      consumed = shared_prefix.size();
    } else {
      starts[i] = crypto::Sha256Midstate::initial();
      consumed = starts[i].absorb_blocks(prefix.data(), prefix.size());
      lanes[i].start = &starts[i];
    }
    REQUIRE(lanes[i].start->absorbed == consumed);
    lanes[i].tail = msgs[i].data() + consumed;
    lanes[i].size = msgs[i].size() - consumed;
    lanes[i].out = got[i].data();
  }
  crypto::sha256_finish_many(lanes);
  // The same lanes again with hex output (64 characters each).
  std::vector<std::array<char, 64>> hex(n);
  std::vector<crypto::Sha256Lane> hex_lanes = lanes;
  for (std::size_t i = 0; i < n; ++i)
    hex_lanes[i].out = reinterpret_cast<std::uint8_t*>(hex[i].data());
  crypto::sha256_finish_many(hex_lanes, crypto::DigestFormat::kHexLower);
  for (std::size_t i = 0; i < n; ++i) {
    INFO("lane " << i << " of " << n << ", message " << msgs[i].size() << " bytes, tail "
                 << lanes[i].size);
    auto const want = openssl_sha256(msgs[i]);
    CHECK(got[i] == want);
    CHECK(std::string(hex[i].data(), 64) == crypto::hex_lower(want));
  }
}

void check_path(Sha256MultiPath path, std::uint64_t seed) {
  ForcePath force(path);
  if (!force.ok) {
    MESSAGE("this CPU has no " << name(path) << " SHA-256 path; it is not tested here");
    return;
  }
  REQUIRE(crypto::sha256_multi_path() == path);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 12; ++round) {
    for (std::size_t n = 1; n <= crypto::kSha256MaxLanes; ++n) check_random_call(rng, n);
  }
}

std::array<std::uint8_t, 32> openssl_hmac(std::vector<std::uint8_t> const& key,
                                          std::vector<std::uint8_t> const& msg) {
  std::array<std::uint8_t, 32> out{};
  unsigned len = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), out.data(),
         &len);
  REQUIRE(len == 32);
  return out;
}

void check_hmac(Sha256MultiPath path, std::uint64_t seed) {
  ForcePath force(path);
  if (!force.ok) {
    MESSAGE("this CPU has no " << name(path) << " SHA-256 path; its HMAC is not tested here");
    return;
  }
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 20; ++round) {
    // Key lengths around the block size, including longer keys that are hashed first.
    auto const key = random_bytes(rng, rng() % 131);
    auto const pads = crypto::hmac_sha256_midstates(key);
    REQUIRE(pads.inner.absorbed == 64);
    REQUIRE(pads.outer.absorbed == 64);
    // A constant message head folded into the inner midstate, as the S3 signer does.
    auto const head = random_bytes(rng, rng() % 200);
    crypto::Sha256Midstate inner_head = pads.inner;
    std::size_t const folded = inner_head.absorb_blocks(head.data(), head.size());
    for (std::size_t n = 1; n <= crypto::kSha256MaxLanes; ++n) {
      std::vector<std::vector<std::uint8_t>> msgs(n), tails(n);
      std::vector<crypto::Sha256Lane> lanes(n);
      std::vector<crypto::Digest> macs(n), inner(n), outer(n);
      for (std::size_t i = 0; i < n; ++i) {
        msgs[i] = head;
        auto const body = random_bytes(rng, rng() % 300);
        msgs[i].insert(msgs[i].end(), body.begin(), body.end());
        tails[i].assign(msgs[i].begin() + static_cast<std::ptrdiff_t>(folded), msgs[i].end());
        lanes[i] = {&inner_head, tails[i].data(), tails[i].size(), macs[i].data()};
      }
      crypto::hmac_sha256_finish_many(pads.outer, lanes);
      std::vector<std::array<char, 64>> hex(n);
      for (std::size_t i = 0; i < n; ++i)
        lanes[i].out = reinterpret_cast<std::uint8_t*>(hex[i].data());
      crypto::hmac_sha256_finish_many(pads.outer, lanes, crypto::DigestFormat::kHexLower);
      // The two-step form: inner digests with sha256_finish_many, then the outer helper
      // (in place).
      for (std::size_t i = 0; i < n; ++i) lanes[i].out = inner[i].data();
      crypto::sha256_finish_many(lanes);
      outer = inner;
      crypto::hmac_sha256_outer_many(pads.outer, outer, outer);
      for (std::size_t i = 0; i < n; ++i) {
        INFO("key " << key.size() << " bytes, lane " << i << " of " << n << ", message "
                    << msgs[i].size() << " bytes");
        auto const want = openssl_hmac(key, msgs[i]);
        CHECK(std::equal(want.begin(), want.end(), macs[i].begin()));
        CHECK(std::equal(want.begin(), want.end(), outer[i].begin()));
        CHECK(std::string(hex[i].data(), 64) == crypto::hex_lower(want));
      }
    }
  }
}

}  // namespace

TEST_SUITE("signers.crypto") {
  TEST_CASE("every multi-buffer SHA-256 path matches OpenSSL on 1 to 16 lanes of mixed lengths") {
    std::uint64_t seed = 100;
    for (auto const path : kPaths) {
      INFO("path: " << name(path));
      check_path(path, seed++);
    }
  }

  TEST_CASE("every multi-buffer HMAC-SHA256 finish matches OpenSSL's HMAC") {
    std::uint64_t seed = 200;
    for (auto const path : kPaths) {
      INFO("path: " << name(path));
      check_hmac(path, seed++);
    }
  }

  TEST_CASE("the automatic multi-buffer path matches OpenSSL for every lane count") {
    crypto::sha256_multi_unforce();
    MESSAGE("automatic multi-buffer SHA-256 path: " << name(crypto::sha256_multi_path()));
    CHECK_FALSE(crypto::sha256_multi_forced());
    std::mt19937_64 rng(300);
    for (std::size_t n = 1; n <= crypto::kSha256MaxLanes; ++n) check_random_call(rng, n);
  }

  TEST_CASE("lanes at every padding boundary give the right digest on every path") {
    // Tail lengths around 55/56/63/64 bytes decide whether the length goes in an extra block.
    for (auto const path : kPaths) {
      ForcePath force(path);
      if (!force.ok) continue;
      INFO("path: " << name(path));
      std::mt19937_64 rng(400);
      for (std::size_t base = 0; base <= 192; base += 64) {
        std::vector<std::vector<std::uint8_t>> msgs;
        for (std::size_t len = base + 50; len < base + 66; ++len)
          msgs.push_back(random_bytes(rng, len));
        crypto::Sha256Midstate const init = crypto::Sha256Midstate::initial();
        std::vector<crypto::Sha256Lane> lanes;
        std::vector<crypto::Digest> got(msgs.size());
        for (std::size_t i = 0; i < msgs.size(); ++i) {
          lanes.push_back({&init, msgs[i].data(), msgs[i].size(), got[i].data()});
        }
        crypto::sha256_finish_many(lanes);
        for (std::size_t i = 0; i < msgs.size(); ++i) {
          INFO("message " << msgs[i].size() << " bytes");
          CHECK(got[i] == openssl_sha256(msgs[i]));
        }
      }
    }
  }

  TEST_CASE("digest_hex_lower matches the byte-at-a-time hex") {
    std::mt19937_64 rng(500);
    for (int i = 0; i < 200; ++i) {
      auto const bytes = random_bytes(rng, 32);
      char out[64];
      crypto::digest_hex_lower(bytes.data(), out);
      CHECK(std::string(out, 64) == crypto::hex_lower(bytes));
    }
  }

  TEST_CASE("the available paths are reported and an unavailable one cannot be forced") {
    CHECK(crypto::sha256_multi_path_available(Sha256MultiPath::kPortable));
    for (auto const path : kPaths) {
      bool const avail = crypto::sha256_multi_path_available(path);
      std::string const line = name(path) + (avail ? ": available" : ": not on this CPU");
      MESSAGE(line);
      CHECK(crypto::sha256_multi_force(path) == avail);
      if (avail) CHECK(crypto::sha256_multi_path() == path);
      crypto::sha256_multi_unforce();
    }
  }
}
