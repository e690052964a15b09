#pragma once
/// `--keys-from FILE|-`: one full object key per line.
///
/// Lines are split on '\n' only; nothing is trimmed ("\r", spaces and any UTF-8 or other
/// bytes are part of the key); empty lines are skipped. Reads with large `read(2)` calls into
/// the batch's own buffer, so memory is bounded by the batch size whatever the file size.

#include "presign/io/source.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace presign::io {

class KeyFileSource final : public ObjectSource {
 public:
  /// Longest line accepted. Longer keys than 1,024 bytes become per-object errors; a "line"
  /// over this bound means the input is not a key list, which ends the job with an error.
  static constexpr std::size_t kMaxLineBytes = 1 << 20;

  /// Opens `path` ("-" is standard input). The error names the path and the reason.
  static Result<std::unique_ptr<KeyFileSource>> open(std::string const& path,
                                                     std::size_t batch_keys = 4096,
                                                     std::size_t read_bytes = 1 << 20);
  ~KeyFileSource() override;
  KeyFileSource(KeyFileSource const&) = delete;
  KeyFileSource& operator=(KeyFileSource const&) = delete;

  Result<bool> next(Batch& batch) override;
  /// Positions look like "offset=123,line=4,index=3,seq=1". Seeks with lseek on files and by
  /// reading and discarding on pipes (stdin must then carry the same input again).
  Result<void> seek(std::string const& position) override;
  [[nodiscard]] double fraction_done() const override;

 private:
  KeyFileSource(int fd, bool owned, std::string name, std::size_t batch_keys,
                std::size_t read_bytes);
  Result<bool> fill();

  int fd_;
  bool owned_;
  std::string name_;
  std::size_t batch_keys_;
  std::size_t read_bytes_;
  std::string buf_;          // bytes read but not yet handed out
  std::size_t pos_ = 0;      // start of unconsumed bytes in buf_
  bool eof_ = false;
  std::uint64_t seq_ = 0;
  std::uint64_t index_ = 0;
  std::uint64_t line_no_ = 0;
  std::uint64_t read_total_ = 0;  // bytes read from fd_ so far (after any seek offset)
  std::uint64_t size_ = 0;        // file size when fd_ is a regular file, else 0
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // reused (offset, length) list
};

}  // namespace presign::io
