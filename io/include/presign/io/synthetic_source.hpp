#pragma once
/// An in-process source of synthetic keys for benchmarks (`presign bench`, bench/):
/// `prefix` + zero-padded index + `suffix`, e.g. "bench/images/000000001234.jpg".
/// Costs almost nothing per key, so a benchmark measures signing, formatting and writing.

#include "presign/io/source.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace presign::io {

class SyntheticSource final : public ObjectSource {
 public:
  SyntheticSource(std::uint64_t objects, std::size_t batch_keys = 4096,
                  std::string prefix = "bench/images/", std::string suffix = ".jpg");
  Result<bool> next(Batch& batch) override;
  Result<void> seek(std::string const& position) override;
  [[nodiscard]] double fraction_done() const override;

 private:
  std::uint64_t objects_;
  std::size_t batch_keys_;
  std::string prefix_;
  std::string suffix_;
  std::uint64_t index_ = 0;
  std::uint64_t seq_ = 0;
};

/// A sink that discards everything (`--output null`): measures the pipeline without a disk.
std::unique_ptr<class OutputSink> make_null_sink();

}  // namespace presign::io
