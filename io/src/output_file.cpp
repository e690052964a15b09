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
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<void> write(std::string_view data) override {
    return write_all(fd_, data, "cannot write to " + name_);
  }
  Result<void> commit() override {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(fd_) != 0) {
      return io_error("cannot flush " + name_ + " to disk", errno);
    }
    return {};
  }
  [[nodiscard]] std::string const& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
};

class AtomicFileSink final : public OutputSink {
 public:
  AtomicFileSink(int fd, std::string temp, std::string final_path, std::string dir)
      : fd_(fd), temp_(std::move(temp)), final_(std::move(final_path)), dir_(std::move(dir)) {}
  ~AtomicFileSink() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  AtomicFileSink(AtomicFileSink const&) = delete;
  AtomicFileSink& operator=(AtomicFileSink const&) = delete;

  Result<void> write(std::string_view data) override {
    return write_all(fd_, data, "cannot write " + final_);
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

 private:
  int fd_;
  std::string temp_;
  std::string final_;
  std::string dir_;
  bool committed_ = false;
};

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
  if (path.empty() || path.back() == '/') {
    return make_error(ErrorKind::kUsage, "output path '" + path + "' names no file");
  }
  auto slash = path.rfind('/');
  std::string const dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string const base = slash == std::string::npos ? path : path.substr(slash + 1);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return make_error(ErrorKind::kUsage, "output path '" + path + "' is a directory");
  }
  std::string temp = (dir == "/" ? std::string("/") : dir + "/") + "." + base + ".XXXXXX.part";
  int fd = ::mkostemps(temp.data(), 5, O_CLOEXEC);  // mode 0600 by POSIX
  if (fd < 0) return io_error("cannot create a file in " + dir + " for " + path, errno);
  return std::unique_ptr<OutputSink>(new AtomicFileSink(fd, std::move(temp), path, dir));
}

}  // namespace presign::io
