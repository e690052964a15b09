#pragma once
/// `--keys-from FILE|-`: one full object key per line.
///
/// Lines are split on '\n' only; nothing is trimmed ("\r", spaces and any UTF-8 or other
/// bytes are part of the key) unless `set_strip_cr` asks to drop one trailing '\r'; empty
/// lines are skipped. Reads with large `read(2)` calls into the batch's own buffer; besides
/// that, only the set of key hashes grows with the input (see key_hash_set.hpp).
///
/// Lines that are probably mistakes are still signed as written, and counted: CRLF endings,
/// URIs (s3://, gs://, az://) instead of keys, `aws s3 ls` output lines, repeated keys, and
/// an input without any key. `warnings()` describes each kind in one sentence.

#include "presign/io/key_hash_set.hpp"
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

  /// Drops one trailing '\r' from every line (CRLF files). Call before the first `next`.
  void set_strip_cr(bool strip) noexcept { strip_cr_ = strip; }
  /// Looks for repeated keys (the default). The hash set costs about 11-21 bytes per distinct
  /// key (key_hash_set.hpp); `false` keeps the reader in fixed memory. Call before `next`.
  void set_check_repeats(bool check) noexcept { check_repeats_ = check; }

  /// Fills `batch.objects` and `batch.lines` (each key's 1-based line number).
  Result<bool> next(Batch& batch) override;
  /// Positions look like "offset=123,line=4,index=3,seq=1". Seeks with lseek on files and by
  /// reading and discarding on pipes (stdin must then carry the same input again).
  Result<void> seek(std::string const& position) override;
  [[nodiscard]] double fraction_done() const override;

  /// One sentence per kind of suspicious input seen so far (no "presign:" prefix, no newline),
  /// each with the number of lines and the first line number. Call after the last `next`.
  /// After a repeated key, a regular file is read once more to find the first occurrence.
  [[nodiscard]] std::vector<std::string> warnings() const;

 private:
  struct Suspect {  // one kind of suspicious line
    std::uint64_t count = 0;
    std::uint64_t first_line = 0;
    std::string first;  // the first such line, for the message (at most 120 bytes)
  };
  void classify(char const* p, std::size_t len);
  void find_repeats(Batch const& batch);
  std::uint64_t earlier_line(std::string const& key, std::uint64_t before) const;

  KeyFileSource(int fd, bool owned, std::string name, std::size_t batch_keys,
                std::size_t read_bytes);
  Result<bool> fill();

  int fd_;
  bool owned_;
  std::string name_;
  std::size_t batch_keys_;
  std::size_t read_bytes_;
  std::string buf_;      // bytes read but not yet handed out
  std::size_t pos_ = 0;  // start of unconsumed bytes in buf_
  bool eof_ = false;
  std::uint64_t seq_ = 0;
  std::uint64_t index_ = 0;
  std::uint64_t line_no_ = 0;
  std::uint64_t read_total_ = 0;  // bytes read from fd_ so far (after any seek offset)
  std::uint64_t size_ = 0;        // file size when fd_ is a regular file, else 0
  bool regular_ = false;          // fd_ is a regular file (can be read again with pread)
  bool strip_cr_ = false;
  bool check_repeats_ = true;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // reused (offset, length) list
  Suspect crlf_, uri_, aws_ls_, repeat_;
  KeyHashSet seen_;
  std::vector<KeyHash> hashes_;  // reused: the batch's key hashes
};

}  // namespace presign::io
