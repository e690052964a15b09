#pragma once
// What the signer benches (sigv4_bench, gcs_bench, azure_bench) share: key sets shaped like
// dataset paths, a signer made or nothing, one URL for the checks that run before timing, and
// the two timed loops — the signer's hot path (one scratch per thread, as an engine worker
// holds it) and a naive SDK-style baseline. One URL per iteration: items/s = URLs/s, bytes/s =
// URL bytes out.

#include "presign/core/object_ref.hpp"
#include "presign/signers/signer.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::bench {

inline constexpr std::size_t kKeys = 4096;  // a power of two: the loops index with `& (kKeys - 1)`

struct KeySet {
  std::string data;                    // all keys back to back, as a batch holds them
  std::vector<std::string_view> keys;  // views into data
};

// kKeys distinct keys of exactly `key_bytes` bytes (>= 13): a directory path cut to length,
// then an 8-digit file number and ".jpg". With `escaped`, every 4th byte outside '/' is one
// the URI encoder must escape.
inline KeySet make_keys(std::size_t key_bytes, bool escaped = false) {
  static constexpr std::string_view kSegments[] = {"shard-0017/", "camera-front/", "run-0042/",
                                                   "frames/",     "left/",         "raw/"};
  std::string dir = "datasets/images/2024/";
  for (std::size_t s = 0; dir.size() + 12 < key_bytes; ++s) dir += kSegments[s % 6];
  dir.resize(key_bytes - 12);
  static constexpr char kEscaped[] = {' ', '(', ')', ','};
  KeySet ks;
  ks.data.reserve(kKeys * key_bytes);
  for (std::size_t i = 0; i < kKeys; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%08zu.jpg", (i * 7919 + 1234) % 100000000);
    std::string key = dir + name;
    if (escaped) {
      for (std::size_t p = i % 4; p < key.size(); p += 4) {
        if (key[p] != '/') key[p] = kEscaped[(i + p) % 4];
      }
    }
    ks.data += key;
  }
  for (std::size_t i = 0; i < kKeys; ++i) {
    ks.keys.push_back(std::string_view(ks.data).substr(i * key_bytes, key_bytes));
  }
  return ks;
}

// The signer `config` makes, or nothing when `S::create` refuses it.
template <class S, class Config>
std::optional<S> make_signer(Config config) {
  auto s = S::create(std::move(config));
  if (!s) return std::nullopt;
  return std::move(*s);
}

// The URL of `key` (allocating; for the checks before timing), or "" when signing fails.
template <signers::Signer S>
std::string sign_one(S const& signer, std::string_view key) {
  auto scratch = std::make_unique<typename S::Scratch>();
  std::string url;
  if (signer.sign(ObjectRef{key, {}}, *scratch, url) != SignError::kOk) return {};
  return url;
}

// The hot path: `signer.sign` over the key set, one scratch and one reserved output string
// per thread; each thread starts at its own place in the set.
template <signers::Signer S>
void time_sign(benchmark::State& state, S const& signer, KeySet const& ks,
               std::size_t reserve = 8192) {
  auto scratch = std::make_unique<typename S::Scratch>();
  std::string out;
  out.reserve(reserve);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 977;
  std::uint64_t bytes = 0;
  std::uint64_t failures = 0;
  for (auto _ : state) {
    out.clear();
    SignError const err = signer.sign(ObjectRef{ks.keys[i & (kKeys - 1)], {}}, *scratch, out);
    failures += err != SignError::kOk;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    bytes += out.size();
    ++i;
  }
  if (failures != 0) state.SkipWithError("sign() failed during the timed loop");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// A naive baseline: `url_of(std::string key)` per iteration (an SDK takes the key as a
// std::string; converting is part of its cost).
template <class UrlOf>
void time_naive(benchmark::State& state, KeySet const& ks, UrlOf const& url_of) {
  std::size_t i = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::string const url = url_of(std::string(ks.keys[i]));
    benchmark::DoNotOptimize(url.data());
    bytes += url.size();
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

}  // namespace presign::bench
