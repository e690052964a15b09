#include "presign/io/key_file_source.hpp"
#include "presign/core/text.hpp"

#include "presign/io/record_format.hpp"

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
  return std::unique_ptr<KeyFileSource>(new KeyFileSource(fd, true, path, batch_keys, read_bytes));
}

KeyFileSource::KeyFileSource(int fd, bool owned, std::string name, std::size_t batch_keys,
                             std::size_t read_bytes)
    : fd_(fd),
      owned_(owned),
      name_(std::move(name)),
      batch_keys_(batch_keys),
      read_bytes_(read_bytes) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    size_ = static_cast<std::uint64_t>(st.st_size);
    regular_ = true;
  }
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

namespace {

constexpr std::size_t kExampleBytes = 120;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

// Cheap byte tests only: this runs once per line on the reading thread.
void KeyFileSource::classify(char const* p, std::size_t len) {
  auto note = [&](Suspect& s) {
    if (s.count++ == 0) {
      s.first_line = line_no_;
      s.first.assign(p, std::min(len, kExampleBytes));
    }
  };
  if (p[len - 1] == '\r') note(crlf_);
  if (len >= 6 && p[2] == ':' && p[3] == '/' && p[4] == '/' &&
      ((p[0] == 's' && p[1] == '3') || (p[0] == 'g' && p[1] == 's') ||
       (p[0] == 'a' && p[1] == 'z'))) {
    note(uri_);
  } else if (len >= 21 && p[4] == '-' && p[7] == '-' && p[10] == ' ' && p[13] == ':' &&
             p[16] == ':' && p[19] == ' ' && is_digit(p[0]) && is_digit(p[18])) {
    note(aws_ls_);  // "2024-01-01 12:00:00       1234 key"
  } else if (len >= 5 && p[0] == ' ' && p[len - 1] == '/') {
    // "                           PRE folder/" (a listing without --recursive)
    std::size_t i = 0;
    while (i < len && p[i] == ' ') ++i;
    if (i + 4 <= len && std::memcmp(p + i, "PRE ", 4) == 0) note(aws_ls_);
  }
}

// Hashes the batch's keys, then probes the set with the slot of a key a few places ahead
// already on its way into the cache (the table is far larger than the caches).
void KeyFileSource::find_repeats(Batch const& batch) {
  constexpr std::size_t kAhead = 8;
  std::size_t const n = batch.objects.size();
  hashes_.resize(n);
  for (std::size_t i = 0; i < n; ++i) hashes_[i] = hash_key(batch.objects[i].key);
  for (std::size_t i = 0; i < std::min(n, kAhead); ++i) seen_.prefetch(hashes_[i]);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) seen_.prefetch(hashes_[i + kAhead]);
    if (seen_.insert(hashes_[i]) && repeat_.count++ == 0) {
      repeat_.first_line = batch.lines[i];
      repeat_.first.assign(batch.objects[i].key);  // whole key: searched for again later
    }
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
  auto take = [&](std::size_t from, std::size_t len) {
    ++line_no_;
    if (strip_cr_ && len > 0 && buf_[from + len - 1] == '\r') --len;
    if (len == 0) return;  // empty lines are skipped
    classify(buf_.data() + from, len);
    std::size_t const at = batch.data.size();
    batch.data.append(buf_, from, len);
    spans.emplace_back(at, len);
    batch.lines.push_back(line_no_);
  };
  while (spans.size() < batch_keys_) {
    std::size_t nl = buf_.find('\n', pos_);
    if (nl == std::string::npos) {
      if (eof_) {
        if (pos_ < buf_.size()) {  // last line without '\n'
          take(pos_, buf_.size() - pos_);
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
    std::size_t const len = nl - pos_;
    if (len > kMaxLineBytes) {
      return make_error(ErrorKind::kIo, name_ + ": line " + std::to_string(line_no_ + 1) +
                                            " is longer than 1 MiB; is this a key list?");
    }
    take(pos_, len);
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
  if (check_repeats_) find_repeats(batch);
  ++seq_;
  std::uint64_t const consumed = read_total_ - (buf_.size() - pos_);
  batch.source_position = "offset=" + std::to_string(consumed) +
                          ",line=" + std::to_string(line_no_) + ",index=" + std::to_string(index_) +
                          ",seq=" + std::to_string(seq_);
  return true;
}

Result<void> KeyFileSource::seek(std::string const& position) {
  std::uint64_t offset = 0, line = 0, index = 0, seq = 0;
  if (std::sscanf(position.c_str(),
                  "offset=%" SCNu64 ",line=%" SCNu64 ",index=%" SCNu64 ",seq=%" SCNu64, &offset,
                  &line, &index, &seq) != 4) {
    return make_error(ErrorKind::kIo, "checkpoint position '" + position +
                                          "' does not belong to a key-file source");
  }
  if (size_ != 0 && offset > size_) {
    return make_error(ErrorKind::kIo, name_ +
                                          " is shorter than when the checkpoint was taken; "
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
        if (!*r)
          return make_error(ErrorKind::kIo, name_ + " ended before the checkpointed position");
      }
      auto const take =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), offset - dropped));
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

namespace presign::io {

namespace {

std::string lines_phrase(std::uint64_t n, char const* one, char const* many) {
  return std::to_string(n) + (n == 1 ? one : many);
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  append_printable(out, s.substr(0, kExampleBytes));
  out += s.size() > kExampleBytes ? "...'" : "'";
  return out;
}

}  // namespace

// The first line before `before` that holds `key` (0: none, or the input cannot be read
// again). Reads the file from the start with pread, leaving the reading position alone.
std::uint64_t KeyFileSource::earlier_line(std::string const& key, std::uint64_t before) const {
  if (!regular_) return 0;
  std::string buf;
  std::string chunk(1 << 20, '\0');
  off_t off = 0;
  std::uint64_t line = 0;
  for (;;) {
    ssize_t const n = ::pread(fd_, chunk.data(), chunk.size(), off);
    if (n < 0 && errno == EINTR) continue;
    bool const end = n <= 0;
    if (n > 0) {
      buf.append(chunk.data(), static_cast<std::size_t>(n));
      off += n;
    }
    std::size_t from = 0;
    for (;;) {
      std::size_t nl = buf.find('\n', from);
      if (nl == std::string::npos) {
        if (!end) break;
        if (from >= buf.size()) return 0;
        nl = buf.size();
      }
      if (++line >= before) return 0;
      std::string_view l(buf.data() + from, nl - from);
      if (strip_cr_ && !l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l == key) return line;
      from = nl + 1;
    }
    buf.erase(0, from);
  }
}

std::vector<std::string> KeyFileSource::warnings() const {
  std::vector<std::string> w;
  if (eof_ && index_ == 0) {
    w.push_back(line_no_ == 0 ? name_ + " is empty: no keys, nothing was signed"
                              : name_ + " holds no keys, only " +
                                    lines_phrase(line_no_, " empty line", " empty lines") +
                                    ": nothing was signed");
  }
  if (crlf_.count > 0) {
    w.push_back(name_ + ": " + lines_phrase(crlf_.count, " line ends", " lines end") +
                " in a carriage return (\\r: CRLF line endings?), the first at line " +
                std::to_string(crlf_.first_line) +
                "; the \\r is signed as part of the key: "
                "pass --strip-cr to remove it");
  }
  if (uri_.count > 0) {
    w.push_back(name_ + ": " + lines_phrase(uri_.count, " line looks", " lines look") +
                " like a URI, not an object key, the first at line " +
                std::to_string(uri_.first_line) + " " + quoted(uri_.first) +
                "; signed as written: list keys without the scheme and bucket");
  }
  if (aws_ls_.count > 0) {
    w.push_back(name_ + ": " + lines_phrase(aws_ls_.count, " line looks", " lines look") +
                " like `aws s3 ls` output (date, time, size, key), the first at line " +
                std::to_string(aws_ls_.first_line) + " " + quoted(aws_ls_.first) +
                "; signed as written: keep only the keys");
  }
  if (repeat_.count > 0) {
    std::uint64_t const earlier = earlier_line(repeat_.first, repeat_.first_line);
    w.push_back(name_ + ": " + lines_phrase(repeat_.count, " line repeats", " lines repeat") +
                " an earlier key, the first at line " + std::to_string(repeat_.first_line) + " " +
                quoted(repeat_.first) +
                (earlier != 0 ? " (also on line " + std::to_string(earlier) + ")" : std::string()) +
                "; each repeat is signed again");
  }
  if (seen_.full()) {
    w.push_back(name_ + ": repeated keys were looked for among the first " +
                std::to_string(seen_.size()) + " distinct keys only (no memory for more)");
  }
  return w;
}

}  // namespace presign::io
