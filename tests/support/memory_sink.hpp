#pragma once
// An output sink that keeps everything in memory (engine suites: pipeline_test.cpp,
// listing_pipeline_test.cpp).

#include "presign/io/output_file.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace presign::test {

// Collects everything in memory; can fail the Nth write.
class MemorySink final : public io::OutputSink {
 public:
  explicit MemorySink(std::optional<int> fail_write = std::nullopt) : fail_write_(fail_write) {}
  Result<void> write(std::string_view d) override {
    if (fail_write_ && writes_++ == *fail_write_) {
      return make_error(ErrorKind::kIo, "cannot write memory: No space left on device");
    }
    data += d;
    return {};
  }
  Result<void> sync() override { return {}; }
  Result<void> commit() override {
    ++commits;
    return {};
  }
  [[nodiscard]] std::string const& name() const override { return name_; }
  [[nodiscard]] std::string const& part_path() const override { return name_; }

  std::string data;
  int commits = 0;

 private:
  std::optional<int> fail_write_;
  int writes_ = 0;
  std::string name_ = "memory";
};

}  // namespace presign::test
