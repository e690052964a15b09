#include "presign/io/key_file_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace presign::io {

Result<std::unique_ptr<KeyFileSource>> KeyFileSource::open(std::string const& path,
                                                           std::size_t batch_keys,
                                                           std::size_t read_bytes) {
  if (path == "-") {
    return std::unique_ptr<KeyFileSource>(
        new KeyFileSource(STDIN_FILENO, false, "standard input", batch_keys, read_bytes));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorKind::kIo,
                      "cannot open keys file '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::kIo, "keys file '" + path + "' is a directory");
  }
  return std::unique_ptr<KeyFileSource>(
      new KeyFileSource(fd, true, path, batch_keys, read_bytes));
}

KeyFileSource::KeyFileSource(int fd, bool owned, std::string name, std::size_t batch_keys,
                             std::size_t read_bytes)
    : fd_(fd), owned_(owned), name_(std::move(name)), batch_keys_(batch_keys),
      read_bytes_(read_bytes) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<std::uint64_t>(st.st_size);
}

KeyFileSource::~KeyFileSource() {
  if (owned_) ::close(fd_);
}

// Appends one read(2) worth of bytes to buf_ (compacting consumed bytes first).
Result<bool> KeyFileSource::fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  std::size_t const old = buf_.size();
  buf_.resize(old + read_bytes_);
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + old, read_bytes_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int const e = errno;
      buf_.resize(old);
      return make_error(ErrorKind::kIo, "cannot read keys from " + name_ + ": " + std::strerror(e));
    }
    buf_.resize(old + static_cast<std::size_t>(n));
    read_total_ += static_cast<std::uint64_t>(n);
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

Result<bool> KeyFileSource::next(Batch& batch) {
  batch.reset();
  batch.seq = seq_;
  batch.first_index = index_;
  // Gather up to batch_keys_ complete lines (or the final unterminated one) into batch.data.
  // Offsets are recorded first and turned into views once batch.data stops growing.
  auto& spans = spans_;
  spans.clear();
  while (spans.size() < batch_keys_) {
    std::size_t nl = buf_.find('\n', pos_);
    if (nl == std::string::npos) {
      if (eof_) {
        if (pos_ < buf_.size()) {  // last line without '\n'
          ++line_no_;
          std::size_t const at = batch.data.size();
          batch.data.append(buf_, pos_, buf_.size() - pos_);
          spans.emplace_back(at, buf_.size() - pos_);
          pos_ = buf_.size();
        }
        break;
      }
      if (buf_.size() - pos_ > kMaxLineBytes) {
        return make_error(ErrorKind::kIo, name_ + ": line " + std::to_string(line_no_ + 1) +
                                              " is longer than 1 MiB; is this a key list?");
      }
      auto r = fill();
      if (!r) return r.error();
      continue;
    }
    ++line_no_;
    std::size_t const len = nl - pos_;
    if (len > kMaxLineBytes) {
      return make_error(ErrorKind::kIo, name_ + ": line " + std::to_string(line_no_) +
                                            " is longer than 1 MiB; is this a key list?");
    }
    if (len > 0) {  // empty lines are skipped
      std::size_t const at = batch.data.size();
      batch.data.append(buf_, pos_, len);
      spans.emplace_back(at, len);
    }
    pos_ = nl + 1;
    // A batch also ends once it holds read_bytes_ of keys (long keys: bounded memory). The
    // test depends only on the lines, never on where a read(2) happened to end, so batch
    // boundaries are the same in a resumed run as in an uninterrupted one (seek's contract;
    // a compressed output has one frame per batch and must come out byte-identical).
    if (batch.data.size() >= read_bytes_) break;
  }
  batch.objects.reserve(spans.size());
  for (auto [at, len] : spans) {
    batch.objects.push_back(ObjectRef{std::string_view(batch.data).substr(at, len), {}});
  }
  index_ += spans.size();
  if (spans.empty()) return false;
  ++seq_;
  std::uint64_t const consumed = read_total_ - (buf_.size() - pos_);
  batch.source_position = "offset=" + std::to_string(consumed) + ",line=" +
                          std::to_string(line_no_) + ",index=" + std::to_string(index_) +
                          ",seq=" + std::to_string(seq_);
  return true;
}

Result<void> KeyFileSource::seek(std::string const& position) {
  std::uint64_t offset = 0, line = 0, index = 0, seq = 0;
  if (std::sscanf(position.c_str(), "offset=%" SCNu64 ",line=%" SCNu64 ",index=%" SCNu64
                                    ",seq=%" SCNu64, &offset, &line, &index, &seq) != 4) {
    return make_error(ErrorKind::kIo, "checkpoint position '" + position +
                                          "' does not belong to a key-file source");
  }
  if (size_ != 0 && offset > size_) {
    return make_error(ErrorKind::kIo, name_ + " is shorter than when the checkpoint was taken; "
                                              "cannot resume with a different key file");
  }
  buf_.clear();
  pos_ = 0;
  eof_ = false;
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) == static_cast<off_t>(offset)) {
    read_total_ = offset;
  } else {
    // A pipe: read and drop what the checkpointed run already consumed.
    read_total_ = 0;
    std::uint64_t dropped = 0;
    while (dropped < offset) {
      if (buf_.empty()) {
        auto r = fill();
        if (!r) return r.error();
        if (!*r) return make_error(ErrorKind::kIo, name_ + " ended before the checkpointed position");
      }
      auto const take = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), offset - dropped));
      buf_.erase(0, take);
      dropped += take;
    }
  }
  line_no_ = line;
  index_ = index;
  seq_ = seq;
  return {};
}

double KeyFileSource::fraction_done() const {
  if (size_ == 0) return -1;
  std::uint64_t const consumed = read_total_ - (buf_.size() - pos_);
  return static_cast<double>(consumed) / static_cast<double>(size_);
}

}  // namespace presign::io
