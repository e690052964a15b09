// FormattingBatchSigner (engine/pipeline.hpp) over the S3 signer: the group path (sign_group,
// 16 lanes) and the object-by-object path write the same bytes for every output format, error
// records and error log included.
#include "presign/engine/pipeline.hpp"
#include "presign/io/record_format.hpp"
#include "presign/io/source.hpp"
#include "presign/signers/sigv4.hpp"

#include "example_s3_signer.hpp"
#include "random_key.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace presign;
using presign::signers::kMaxKeyBytes;
using presign::signers::sigv4::S3Presigner;
using presign::test::random_key;

namespace {

// The S3 signer without its group path: FormattingBatchSigner then signs object by object.
struct PerObjectS3 {
  using Scratch = S3Presigner::Scratch;
  S3Presigner const* signer;
  [[nodiscard]] SignError sign(ObjectRef const& o, Scratch& s, std::string& out) const noexcept {
    return signer->sign(o, s, out);
  }
};
static_assert(presign::signers::Signer<PerObjectS3>);
static_assert(!presign::signers::GroupSigner<PerObjectS3>);

void fill_batch(io::Batch& batch, std::vector<std::string> const& keys) {
  batch.reset();
  batch.first_index = 1000;
  std::vector<std::size_t> offsets;
  for (auto const& k : keys) {
    offsets.push_back(batch.data.size());
    batch.data += k;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string_view const key = std::string_view(batch.data).substr(offsets[i], keys[i].size());
    batch.objects.push_back(ObjectRef{key, {}});
  }
}

}  // namespace

TEST_SUITE("engine.formatting_signer") {
  TEST_CASE("FormattingBatchSigner writes the same bytes through sign_group as object by object") {
    auto const signer = presign::test::example_s3_signer();
    std::mt19937_64 rng(99);
    // Batch sizes around the group size; error keys first, last and in the middle.
    std::vector<std::vector<std::string>> batches;
    for (std::size_t n : {0, 1, 15, 16, 17, 33, 500}) {
      std::vector<std::string> keys;
      for (std::size_t i = 0; i < n; ++i) keys.push_back(random_key(rng));
      if (n >= 17) {
        keys[0] = "";
        keys[16] = std::string(kMaxKeyBytes + 1, 'x');
        keys[n - 1] = "";
      }
      batches.push_back(std::move(keys));
    }
    PerObjectS3 const reference{&signer};
    for (io::Format const f : {io::Format::kNdjson, io::Format::kLabelbox, io::Format::kCsv,
                               io::Format::kTsv, io::Format::kUrls}) {
      CAPTURE(io::format_name(f));
      io::RecordFormatter const fmt(f, "2024-01-01T01:00:00Z");
      engine::FormattingBatchSigner<S3Presigner> const grouped(signer, fmt);
      engine::FormattingBatchSigner<PerObjectS3> const single(reference, fmt);
      for (auto const& keys : batches) {
        CAPTURE(keys.size());
        io::Batch a;
        io::Batch b;
        fill_batch(a, keys);
        fill_batch(b, keys);
        grouped.sign_batch(a);
        single.sign_batch(b);
        CHECK(a.out == b.out);
        CHECK(a.errors == b.errors);
        CHECK(a.error_log == b.error_log);
        if (keys.size() >= 17) CHECK(a.errors >= 3);
      }
    }
  }
}
