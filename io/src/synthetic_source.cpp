#include "presign/io/synthetic_source.hpp"

#include "presign/io/output_file.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace presign::io {

SyntheticSource::SyntheticSource(std::uint64_t objects, std::size_t batch_keys, std::string prefix,
                                 std::string suffix)
    : objects_(objects),
      batch_keys_(batch_keys),
      prefix_(std::move(prefix)),
      suffix_(std::move(suffix)) {}

Result<bool> SyntheticSource::next(Batch& batch) {
  batch.reset();
  batch.seq = seq_;
  batch.first_index = index_;
  std::uint64_t const n = std::min<std::uint64_t>(batch_keys_, objects_ - index_);
  if (n == 0) return false;
  std::size_t const key_len = prefix_.size() + 12 + suffix_.size();
  batch.data.resize(static_cast<std::size_t>(n) * key_len);
  char* p = batch.data.data();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t v = index_ + i;
    std::memcpy(p, prefix_.data(), prefix_.size());
    char* d = p + prefix_.size();
    for (int k = 11; k >= 0; --k) {
      d[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    std::memcpy(d + 12, suffix_.data(), suffix_.size());
    p += key_len;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    batch.objects.push_back(ObjectRef{
        std::string_view(batch.data).substr(static_cast<std::size_t>(i) * key_len, key_len), {}});
  }
  index_ += n;
  ++seq_;
  batch.source_position = "index=" + std::to_string(index_) + ",seq=" + std::to_string(seq_);
  return true;
}

Result<void> SyntheticSource::seek(std::string const& position) {
  std::uint64_t index = 0, seq = 0;
  if (std::sscanf(position.c_str(), "index=%" SCNu64 ",seq=%" SCNu64, &index, &seq) != 2 ||
      index > objects_) {
    return make_error(ErrorKind::kIo, "bad synthetic source position '" + position + "'");
  }
  index_ = index;
  seq_ = seq;
  return {};
}

double SyntheticSource::fraction_done() const {
  return objects_ ? static_cast<double>(index_) / static_cast<double>(objects_) : 1.0;
}

namespace {
class NullSink final : public OutputSink {
 public:
  Result<void> write(std::string_view) override { return {}; }
  Result<void> sync() override { return {}; }
  Result<void> commit() override { return {}; }
  [[nodiscard]] std::string const& name() const override { return name_; }
  [[nodiscard]] std::string const& part_path() const override { return empty_; }

 private:
  std::string name_ = "null";
  std::string empty_;
};
}  // namespace

std::unique_ptr<OutputSink> make_null_sink() { return std::make_unique<NullSink>(); }

}  // namespace presign::io
