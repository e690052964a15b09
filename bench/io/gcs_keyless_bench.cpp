// Keyless GCS signing (io/gcs_keyless_signer.hpp): URLs/s through IAM signBlob, here the
// in-process fake (tests/support/fake_gcs_server.hpp, loopback, keep-alive, no added latency),
// one batch of 1,000 objects a call of `sign_all` on one worker, at several concurrency levels
// (signBlob calls in flight). Two servers:
//   - verified: the fake signs each payload with the dummy RSA-2048 key, on one thread; the
//     URLs are the key file's byte for byte (checked before timing). This is bound by the
//     fake's RSA signing (~1 ms a signature on one core), not by the client.
//   - fixed: the fake answers one precomputed signature, so what is left is the client's own
//     cost (request build, base64, HTTP/1.1 over loopback, JSON, URL) plus the fake's HTTP.
// Against the real service each call costs a round trip (tens of ms), so URLs/s ≈
// concurrency × workers / RTT: 64 in flight at 30 ms ≈ 2,100 URLs/s per worker.
//
// Results, 2026-12-05 10:24 UTC, 2-core AMD EPYC VM (lscpu "AMD EPYC"), Release, client and
// fake on the same 2 cores, 1,000 URLs an iteration, one worker, --benchmark_min_time=0.5
// (a single short run: read the figures as orders of magnitude; the "DEBUG" warning is about
// the Debian Google Benchmark library, not presign):
//   build/bench/gcs_keyless_bench --benchmark_min_time=0.5
//   concurrency   verified (fake signs RSA-2048)   fixed (client's own cost + fake HTTP)
//        1              1.8 k URLs/s                    16.5 k URLs/s
//        8              3.1 k URLs/s                    37.4 k URLs/s
//       32              3.2 k URLs/s                    41.4 k URLs/s
//       64              2.9 k URLs/s                    31.4 k URLs/s
// The verified column is the fake's one-core RSA signing; the fixed column shows the client
// handles >30 k signBlob calls/s on loopback, far above what the real API's round trips allow.
#include "presign/io/gcs_keyless.hpp"
#include "presign/io/gcs_keyless_signer.hpp"

#include "fake_gcs_server.hpp"

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace presign;
namespace gcs = presign::signers::gcs;

namespace {

constexpr std::size_t kBatch = 1000;
SigningTime const kWhen{std::chrono::seconds{1549011600}};

struct Key {
  std::string pem;
  std::string email;
};

Key const& key() {
  static Key const k = [] {
    std::ifstream in(std::string(PRESIGN_VECTORS_DIR) +
                     "/gcs/test_service_account.not-a-test.json");
    std::string const json{std::istreambuf_iterator<char>(in), {}};
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    auto doc = parser.parse(padded);
    return Key{std::string(doc["private_key"].get_string().value()),
               std::string(doc["client_email"].get_string().value())};
  }();
  return k;
}

test::FakeGcsServer& server(bool fixed) {
  auto make = [](bool f) {
    test::FakeGcsOptions o;
    o.key_pem = key().pem;
    o.client_email = key().email;
    o.sign_blob_fixed = f;
    return o;
  };
  static test::FakeGcsServer verified(make(false));
  static test::FakeGcsServer fast(make(true));
  return fixed ? fast : verified;
}

gcs::GcsPresignConfig config(gcs::Credentials c) {
  gcs::GcsPresignConfig cfg;
  cfg.bucket = "bench-bucket";
  cfg.signing_time = kWhen;
  cfg.credentials = std::move(c);
  return cfg;
}

std::unique_ptr<io::GcsKeylessSigner> keyless(test::FakeGcsServer& s, std::size_t concurrency) {
  io::MetadataTokenConfig mt;
  mt.host = "127.0.0.1:" + std::to_string(s.port());
  auto tokens = io::make_metadata_token_provider(mt);
  if (!tokens) throw std::runtime_error(tokens.error().detail);
  io::SignBlobConfig sb;
  sb.email = key().email;
  sb.endpoint = s.endpoint();
  sb.tokens = std::shared_ptr<io::AccessTokenProvider>(std::move(*tokens));
  sb.concurrency = concurrency;
  auto client = io::SignBlobClient::create(std::move(sb));
  if (!client) throw std::runtime_error(client.error().detail);
  auto signer = io::GcsKeylessSigner::create(config(gcs::ExternalServiceAccount{key().email}),
                                             std::move(*client));
  if (!signer) throw std::runtime_error(signer.error().detail);
  return std::make_unique<io::GcsKeylessSigner>(std::move(*signer));
}

// Checks every URL of one batch against local signing with the key ("make sure the data is
// right"); an empty string when they agree.
std::string verify(io::GcsKeylessSigner const& signer, std::vector<ObjectRef> const& objects) {
  auto local_key = gcs::ServiceAccountKey::from_pem(key().email, key().pem, "bench key");
  if (!local_key) return local_key.error().detail;
  auto local = gcs::GcsPresigner::create(config(*local_key));
  if (!local) return local.error().detail;
  io::GcsKeylessSigner::Scratch scratch;
  gcs::GcsPresigner::Scratch ls;
  signer.sign_all(objects, scratch);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    std::string a;
    std::string b;
    signer.append_url(scratch, i, a);
    if (local->sign(objects[i], ls, b) != SignError::kOk || a != b) {
      return "URL " + std::to_string(i) + " differs from the key file's";
    }
  }
  return {};
}

void BM_GcsKeyless_SignBatch(benchmark::State& state) {
  bool const fixed = state.range(1) != 0;
  auto const concurrency = static_cast<std::size_t>(state.range(0));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kBatch; ++i) names.push_back("bench/object-" + std::to_string(i));
  std::vector<ObjectRef> objects;
  for (auto const& n : names) objects.push_back(ObjectRef{n, {}});
  auto signer = keyless(server(fixed), concurrency);
  if (!fixed) {
    if (std::string const why = verify(*signer, objects); !why.empty()) {
      state.SkipWithError(why.c_str());
      return;
    }
  }
  io::GcsKeylessSigner::Scratch scratch;
  std::size_t bytes = 0;
  for (auto _ : state) {
    signer->sign_all(objects, scratch);
    if (signer->outcome(scratch, kBatch - 1) != SignError::kOk) {
      state.SkipWithError("a signBlob call failed");
      return;
    }
    std::string out;
    signer->append_url(scratch, 0, out);
    bytes += out.size() * kBatch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_GcsKeyless_SignBatch)
    ->ArgNames({"concurrency", "fixed"})
    ->ArgsProduct({{1, 8, 32, 64}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
