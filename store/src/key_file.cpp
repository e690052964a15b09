#include "presign/store/key_file.hpp"

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace presign::store {
namespace {

Error io_error(std::string what, int err) {
  what += ": ";
  what += std::system_category().message(err);  // strerror is not thread-safe
  return make_error(ErrorKind::kIo, std::move(what));
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  (void)std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd const&) = delete;
  Fd& operator=(Fd const&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string directory_of(std::string const& path) {
  auto const slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<void> sync_directory(std::string const& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory " + dir, errno);
  if (::fsync(fd.get()) != 0) return io_error("cannot sync directory " + dir, errno);
  return {};
}

Result<KeyFileLock> KeyFileLock::acquire(std::string const& key_file) {
  std::string const path = key_file + ".lock";
  int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("cannot open the lock file " + path, errno);
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int const err = errno;
    ::close(fd);
    return io_error("cannot lock " + path, err);
  }
  return KeyFileLock(fd);
}

KeyFileLock::~KeyFileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<MasterKey> read_key_file(std::string const& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    int const err = errno;
    if (err == ENOENT) return make_error(ErrorKind::kNotFound, "no master key file at " + path);
    if (err == ELOOP) {
      return make_error(ErrorKind::kConfig, "the master key file " + path +
                                                " is a symbolic link; point " +
                                                "PRESIGN_MASTER_KEY_FILE at the file itself");
    }
    return io_error("cannot read the master key file " + path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorKind::kConfig, "the master key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(ErrorKind::kConfig,
                      "the master key file " + path + " has mode " + octal_mode(st.st_mode) +
                          ": group or others may access it; refusing to use it (fix: chmod 600 " +
                          path + ")");
  }
  if (st.st_uid != ::geteuid()) {
    return make_error(ErrorKind::kConfig, "the master key file " + path +
                                              " belongs to another user; refusing to use it");
  }
  std::string text(256, '\0');
  ssize_t const n = ::read(fd.get(), text.data(), text.size());
  if (n < 0) return io_error("cannot read the master key file " + path, errno);
  text.resize(static_cast<std::size_t>(n));
  auto key = parse_master_key(text, "the master key file " + path);
  wipe(text);
  return key;
}

Result<bool> write_key_file(std::string const& path, MasterKey const& key, bool replace) {
  std::string tmp = path + ".tmp.XXXXXX";
  int const raw = ::mkstemp(tmp.data());  // created 0600
  if (raw < 0) return io_error("cannot create a file next to " + path, errno);
  Fd fd(raw);
  std::string text = key.to_text() + "\n";
  bool ok = ::fchmod(fd.get(), 0600) == 0 &&
            ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd.get()) == 0;
  int err = errno;
  wipe(text);
  if (!ok) {
    ::unlink(tmp.c_str());
    return io_error("cannot write the master key file " + path, err);
  }
  bool placed = true;
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      err = errno;
      ::unlink(tmp.c_str());
      return io_error("cannot rename into " + path, err);
    }
  } else {
    // link() fails with EEXIST when another process made the key first: theirs wins, so two
    // first uses at once agree on one key.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      err = errno;
      ::unlink(tmp.c_str());
      if (err != EEXIST) return io_error("cannot create the master key file " + path, err);
      placed = false;
    } else {
      ::unlink(tmp.c_str());
    }
  }
  if (auto r = sync_directory(directory_of(path)); !r) return r.error();
  return placed;
}

}  // namespace presign::store
