#include "presign/io/output_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace presign::io {
namespace {

Error io_error(std::string const& what, int e) {
  return make_error(ErrorKind::kIo, what + ": " + std::strerror(e));
}

class FdSink final : public OutputSink {
 public:
  FdSink(int fd, std::string name, bool owned = false)
      : fd_(fd), name_(std::move(name)), owned_(owned) {}
  ~FdSink() override {
    if (owned_) ::close(fd_);
  }
  FdSink(FdSink const&) = delete;
  FdSink& operator=(FdSink const&) = delete;
  Result<void> write(std::string_view data) override {
    return write_all(fd_, data, "cannot write to " + name_);
  }
  Result<void> sync() override {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fdatasync(fd_) != 0) {
      return io_error("cannot flush " + name_ + " to disk", errno);
    }
    return {};
  }
  Result<void> commit() override {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(fd_) != 0) {
      return io_error("cannot flush " + name_ + " to disk", errno);
    }
    return {};
  }
  [[nodiscard]] std::string const& name() const override { return name_; }
  [[nodiscard]] std::string const& part_path() const override { return empty_; }

 private:
  int fd_;
  std::string name_;
  bool owned_;
  std::string empty_;
};

class AtomicFileSink final : public OutputSink {
 public:
  AtomicFileSink(int fd, std::string temp, std::string final_path, std::string dir,
                 bool keep_on_failure)
      : fd_(fd),
        temp_(std::move(temp)),
        final_(std::move(final_path)),
        dir_(std::move(dir)),
        keep_on_failure_(keep_on_failure) {}
  ~AtomicFileSink() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !keep_on_failure_) ::unlink(temp_.c_str());
  }
  AtomicFileSink(AtomicFileSink const&) = delete;
  AtomicFileSink& operator=(AtomicFileSink const&) = delete;

  Result<void> write(std::string_view data) override {
    return write_all(fd_, data, "cannot write " + final_);
  }
  Result<void> sync() override {
    if (::fdatasync(fd_) != 0) return io_error("cannot flush " + final_ + " to disk", errno);
    return {};
  }
  Result<void> commit() override {
    // fsync before rename: otherwise a crash right after the rename can publish an empty or
    // partial file under the final name (delayed allocation).
    if (::fsync(fd_) != 0) return io_error("cannot flush " + final_ + " to disk", errno);
    if (::close(fd_) != 0) {
      fd_ = -1;
      return io_error("cannot close " + final_, errno);
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
      return io_error("cannot rename the temporary output onto " + final_, errno);
    }
    committed_ = true;
    // The rename is atomic but only durable once the directory entry is on disk.
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return io_error("cannot open directory " + dir_ + " to flush it", errno);
    int const rc = ::fsync(dfd);
    int const e = errno;
    ::close(dfd);
    if (rc != 0) return io_error("cannot flush directory " + dir_, e);
    return {};
  }
  [[nodiscard]] std::string const& name() const override { return final_; }
  [[nodiscard]] std::string const& part_path() const override { return temp_; }

 private:
  int fd_;
  std::string temp_;
  std::string final_;
  std::string dir_;
  bool keep_on_failure_;
  bool committed_ = false;
};

struct SplitPath {
  std::string dir;
  std::string base;
};

Result<SplitPath> split_output_path(std::string const& path) {
  if (path.empty() || path.back() == '/') {
    return make_error(ErrorKind::kUsage, "output path '" + path + "' names no file");
  }
  auto slash = path.rfind('/');
  SplitPath sp;
  sp.dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  sp.base = slash == std::string::npos ? path : path.substr(slash + 1);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return make_error(ErrorKind::kUsage, "output path '" + path + "' is a directory");
  }
  return sp;
}

}  // namespace

Result<void> write_all(int fd, std::string_view data, std::string const& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(what, errno);
    }
    if (n == 0) return make_error(ErrorKind::kIo, what + ": wrote nothing");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::unique_ptr<OutputSink> make_fd_sink(int fd, std::string name) {
  return std::make_unique<FdSink>(fd, std::move(name));
}

Result<std::unique_ptr<OutputSink>> make_atomic_file_sink(std::string const& path) {
  auto sp = split_output_path(path);
  if (!sp) return sp.error();
  std::string temp =
      (sp->dir == "/" ? std::string("/") : sp->dir + "/") + "." + sp->base + ".XXXXXX.part";
  int fd = ::mkostemps(temp.data(), 5, O_CLOEXEC);  // mode 0600 by POSIX
  if (fd < 0) return io_error("cannot create a file in " + sp->dir + " for " + path, errno);
  return std::unique_ptr<OutputSink>(new AtomicFileSink(fd, std::move(temp), path, sp->dir, false));
}

Result<OutputTarget> resolve_output_target(std::string const& path) {
  OutputTarget t;
  t.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // Nothing there (or a dangling symlink, which the rename replaces): a new file.
    if (errno == ENOENT) return t;
    return io_error("cannot inspect output " + path, errno);
  }
  if (S_ISDIR(st.st_mode))
    return make_error(ErrorKind::kUsage, "output path '" + path + "' is a directory");
  if (!S_ISREG(st.st_mode)) {
    t.in_place = true;
    return t;
  }
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    // Publish at the link's target: renaming over the link would replace it by a file.
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr) return io_error("cannot resolve the symlink " + path, errno);
    t.path = real;
    std::free(real);
  }
  return t;
}

Result<std::unique_ptr<OutputSink>> make_in_place_sink(std::string const& path) {
  int const fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open output " + path + " for writing", errno);
  return std::unique_ptr<OutputSink>(new FdSink(fd, path, true));
}

std::string resumable_part_path(std::string const& path) {
  auto slash = path.rfind('/');
  std::string const dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string const base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + ".presign-part";
}

Result<std::unique_ptr<OutputSink>> make_resumable_file_sink(
    std::string const& path, std::string const& part_path,
    std::optional<std::uint64_t> resume_bytes) {
  auto sp = split_output_path(path);
  if (!sp) return sp.error();
  int fd = -1;
  if (resume_bytes) {
    fd = ::open(part_path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return io_error("cannot reopen the partial output " + part_path + " to resume", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < *resume_bytes) {
      ::close(fd);
      return make_error(ErrorKind::kIo, "the partial output " + part_path +
                                            " is shorter than its checkpoint says; cannot resume");
    }
    // Bytes past the checkpoint were written but never recorded as durable: drop them.
    if (::ftruncate(fd, static_cast<off_t>(*resume_bytes)) != 0 ||
        ::lseek(fd, static_cast<off_t>(*resume_bytes), SEEK_SET) < 0) {
      int const e = errno;
      ::close(fd);
      return io_error("cannot truncate " + part_path, e);
    }
  } else {
    fd = ::open(part_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create " + part_path, errno);
    ::fchmod(fd, 0600);  // O_CREAT's mode does not apply to an existing file
  }
  return std::unique_ptr<OutputSink>(new AtomicFileSink(fd, part_path, path, sp->dir, true));
}

Result<void> finish_resumable_output(std::string const& path, std::string const& part_path,
                                     std::uint64_t bytes) {
  struct stat st {};
  if (::stat(part_path.c_str(), &st) == 0) {
    // Killed before the rename: truncate away anything past the checkpoint and publish.
    auto sink = make_resumable_file_sink(path, part_path, bytes);
    if (!sink) return sink.error();
    return (*sink)->commit();
  }
  if (errno != ENOENT) return io_error("cannot inspect " + part_path, errno);
  // Killed after the rename: the output is already published; make sure it is the one.
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorKind::kIo, "the checkpoint records a finished job but neither " + path +
                                          " nor its partial output " + part_path + " exists");
  }
  if (static_cast<std::uint64_t>(st.st_size) != bytes) {
    return make_error(ErrorKind::kIo, "the checkpoint records a finished job of " +
                                          std::to_string(bytes) + " bytes but " + path + " has " +
                                          std::to_string(st.st_size) + "; not touching it");
  }
  return {};
}

}  // namespace presign::io
