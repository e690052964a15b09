#include "presign/engine/checkpoint.hpp"

#include "presign/signers/crypto.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <string_view>
#include <unistd.h>

namespace presign::engine {
namespace {

constexpr std::string_view kMagic = "presign-checkpoint v1\n";

std::string hex_encode(std::string_view s) {
  std::string out(s.size() * 2, '\0');
  signers::crypto::hex_lower(reinterpret_cast<std::uint8_t const*>(s.data()), s.size(), out.data());
  return out;
}

bool hex_decode(std::string_view h, std::string& out) {
  if (h.size() % 2) return false;
  out.clear();
  auto v = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < h.size(); i += 2) {
    int a = v(h[i]), b = v(h[i + 1]);
    if (a < 0 || b < 0) return false;
    out += static_cast<char>(a * 16 + b);
  }
  return true;
}

std::string serialize(CheckpointState const& s) {
  std::string body(kMagic);
  auto line = [&](std::string_view k, std::string const& v) {
    body += k;
    body += '=';
    body += v;
    body += '\n';
  };
  line("generation", std::to_string(s.generation));
  line("fingerprint", s.fingerprint);
  line("signing_time", std::to_string(s.signing_time));
  line("part", hex_encode(s.part_path));
  line("output_bytes", std::to_string(s.output_bytes));
  line("next_seq", std::to_string(s.next_seq));
  line("objects", std::to_string(s.objects));
  line("errors", std::to_string(s.errors));
  line("any_record", s.any_record ? "1" : "0");
  line("source_position", hex_encode(s.source_position));
  line("complete", s.complete ? "1" : "0");
  signers::crypto::Sha256 h;
  h.update(body);
  body += "sha256=" + signers::crypto::hex_lower(h.final()) + "\n";
  return body;
}

template <class T>
bool parse_num(std::string_view v, T& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}

std::optional<CheckpointState> parse_slot(std::string_view slot) {
  auto const end = slot.find('\0');
  if (end != std::string_view::npos) slot = slot.substr(0, end);
  if (!slot.starts_with(kMagic)) return std::nullopt;
  auto const sum_at = slot.rfind("sha256=");
  if (sum_at == std::string_view::npos) return std::nullopt;
  signers::crypto::Sha256 h;
  h.update(slot.substr(0, sum_at));
  std::string const want = "sha256=" + signers::crypto::hex_lower(h.final()) + "\n";
  if (slot.substr(sum_at) != want) return std::nullopt;
  CheckpointState s;
  std::string_view rest = slot.substr(kMagic.size(), sum_at - kMagic.size());
  int fields = 0;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto eq = l.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view k = l.substr(0, eq), v = l.substr(eq + 1);
    bool ok = true;
    if (k == "generation")
      ok = parse_num(v, s.generation);
    else if (k == "fingerprint")
      s.fingerprint = std::string(v);
    else if (k == "signing_time")
      ok = parse_num(v, s.signing_time);
    else if (k == "part")
      ok = hex_decode(v, s.part_path);
    else if (k == "output_bytes")
      ok = parse_num(v, s.output_bytes);
    else if (k == "next_seq")
      ok = parse_num(v, s.next_seq);
    else if (k == "objects")
      ok = parse_num(v, s.objects);
    else if (k == "errors")
      ok = parse_num(v, s.errors);
    else if (k == "any_record")
      s.any_record = v == "1";
    else if (k == "source_position")
      ok = hex_decode(v, s.source_position);
    else if (k == "complete")
      s.complete = v == "1";
    else
      continue;  // unknown keys from a newer version are ignored
    if (!ok) return std::nullopt;
    ++fields;
  }
  if (fields < 11) return std::nullopt;
  return s;
}

Error io_error(std::string const& what, int e) {
  return make_error(ErrorKind::kIo, what + ": " + std::strerror(e));
}

}  // namespace

Result<std::optional<CheckpointState>> load_checkpoint(std::string const& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CheckpointState>{};
    return io_error("cannot open checkpoint " + path, errno);
  }
  std::string buf(2 * kCheckpointSlotBytes, '\0');
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::optional<CheckpointState> best;
  for (int i = 0; i < 2; ++i) {
    std::size_t const off = static_cast<std::size_t>(i) * kCheckpointSlotBytes;
    if (off >= got) continue;
    auto s =
        parse_slot(std::string_view(buf).substr(off, std::min(kCheckpointSlotBytes, got - off)));
    if (s && (!best || s->generation > best->generation)) best = std::move(s);
  }
  if (!best) {
    return make_error(ErrorKind::kIo, "checkpoint " + path +
                                          " holds no valid record (corrupt or not a presign "
                                          "checkpoint); delete it to start over");
  }
  return best;
}

namespace {

// Locks `fd` for this job; the lock dies with the process, so kill -9 never leaves it stale.
Result<void> lock_job(int fd, std::string const& path) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {};
  int const e = errno;
  if (e == EWOULDBLOCK) {
    return make_error(ErrorKind::kUsage,
                      "another presign process is running the job of checkpoint " + path);
  }
  return io_error("cannot lock checkpoint " + path, e);
}

// Whether `fd` is still the file named `name` (not unlinked, not renamed away or replaced).
bool still_named(int fd, std::string const& name) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(name.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

Result<void> fsync_parent_dir(std::string const& path) {
  auto const slash = path.rfind('/');
  std::string const dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open directory " + dir + " to flush it", errno);
  int const rc = ::fsync(dfd);
  int const e = errno;
  ::close(dfd);
  if (rc != 0) return io_error("cannot flush directory " + dir, e);
  return {};
}

}  // namespace

std::string checkpoint_temp_path(std::string const& path) { return path + ".new"; }

Result<CheckpointWriter> CheckpointWriter::open(std::string const& path) {
  // Between finding no checkpoint and creating the temporary one, another process may
  // publish its own (renaming its temporary file away); and a published checkpoint may be
  // removed by its job completing between our open and our lock. Either way the file we
  // locked is not (or no longer) the job's, so look again: a few rounds settle it.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::uint64_t generation = 0;
    auto existing = load_checkpoint(path);
    if (existing && *existing) generation = (*existing)->generation;
    // One job per checkpoint: two processes appending to the same partial output would
    // interleave batches, so the writer holds an exclusive lock for its whole life.
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      if (auto r = lock_job(fd, path); !r) {
        ::close(fd);
        return r.error();
      }
      if (!still_named(fd, path)) {  // removed by the job that held it: start again
        ::close(fd);
        continue;
      }
      return CheckpointWriter(fd, path, generation, false);
    }
    if (errno != ENOENT) return io_error("cannot open checkpoint " + path, errno);
    // A new checkpoint is built under a temporary name and renamed into place only once its
    // first record is durable: a kill before that leaves no checkpoint at all (a fresh start),
    // never an empty or torn file that --resume would have to refuse. The lock is taken on the
    // temporary file, so a second process starting the same job meanwhile is refused too.
    std::string const temp = checkpoint_temp_path(path);
    fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create checkpoint " + temp, errno);
    if (auto r = lock_job(fd, path); !r) {
      ::close(fd);
      return r.error();
    }
    bool const ours = still_named(fd, temp);
    struct stat st {};
    if (!ours || ::stat(path.c_str(), &st) == 0) {
      // Another process published the job's checkpoint meanwhile: the temporary file we
      // locked is a new one of ours (or was renamed away); drop it and open the published one.
      if (ours) ::unlink(temp.c_str());
      ::close(fd);
      continue;
    }
    if (::ftruncate(fd, 0) != 0) {  // left over from a process killed before its first record
      int const e = errno;
      ::close(fd);
      return io_error("cannot truncate checkpoint " + temp, e);
    }
    return CheckpointWriter(fd, path, generation, true);
  }
  return make_error(ErrorKind::kUsage, "checkpoint " + path +
                                           " keeps changing: another presign "
                                           "process is running the job of checkpoint " +
                                           path);
}

CheckpointWriter::CheckpointWriter(CheckpointWriter&& o) noexcept
    : fd_(o.fd_),
      path_(std::move(o.path_)),
      generation_(o.generation_),
      unpublished_(o.unpublished_) {
  o.fd_ = -1;
}

CheckpointWriter& CheckpointWriter::operator=(CheckpointWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    generation_ = o.generation_;
    unpublished_ = o.unpublished_;
    o.fd_ = -1;
  }
  return *this;
}

CheckpointWriter::~CheckpointWriter() {
  if (fd_ >= 0) {
    // A job that stopped before its first record leaves nothing behind (we hold the lock).
    if (unpublished_) ::unlink(checkpoint_temp_path(path_).c_str());
    ::close(fd_);
  }
}

Result<void> CheckpointWriter::write(CheckpointState& state) {
  state.generation = ++generation_;
  std::string slot = serialize(state);
  if (slot.size() > kCheckpointSlotBytes) {
    return make_error(ErrorKind::kInternal, "checkpoint record too large (source position)");
  }
  slot.resize(kCheckpointSlotBytes, '\0');
  auto const off = static_cast<off_t>((state.generation % 2) * kCheckpointSlotBytes);
  std::size_t done = 0;
  while (done < slot.size()) {
    ssize_t n =
        ::pwrite(fd_, slot.data() + done, slot.size() - done, off + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot write checkpoint " + path_, n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return io_error("cannot flush checkpoint " + path_, errno);
  if (unpublished_) {
    if (::rename(checkpoint_temp_path(path_).c_str(), path_.c_str()) != 0) {
      return io_error("cannot rename the new checkpoint onto " + path_, errno);
    }
    unpublished_ = false;
    if (auto r = fsync_parent_dir(path_); !r) return r.error();
  }
  return {};
}

Result<void> CheckpointWriter::remove() {
  if (::unlink((unpublished_ ? checkpoint_temp_path(path_) : path_).c_str()) != 0 &&
      errno != ENOENT) {
    return io_error("cannot remove checkpoint " + path_, errno);
  }
  return {};
}

}  // namespace presign::engine
