#pragma once
/// Master key files: read with the ssh rule (a regular file nobody but its owner can read),
/// written atomically with mode 0600.

#include "presign/core/error.hpp"
#include "presign/store/crypto.hpp"

#include <string>

namespace presign::store {

/// Reads the key file at `path`. A missing file is kNotFound; a file that is not regular, or
/// whose mode lets the group or others read or write it, is a kConfig error naming the mode
/// and the fix (`chmod 600 PATH`); its content is parsed as `parse_master_key` does.
Result<MasterKey> read_key_file(std::string const& path);

/// Writes `key` (as text) to `path`: a temporary file in the same directory created 0600,
/// written, fsynced, then renamed over `path` (`replace`) or linked to it (`!replace`: an
/// existing `path` wins and the result is false), and the directory fsynced. True when the
/// file now holds `key`.
Result<bool> write_key_file(std::string const& path, MasterKey const& key, bool replace);

/// An exclusive lock (flock) on `KEYFILE.lock`, held by a key rotation from before it writes
/// `KEYFILE.new` until `KEYFILE` is replaced, and by an open that finds the store's check not
/// matching `KEYFILE`: so an open never finishes, and two rotations never interleave, a
/// rotation that another process is in the middle of.
class KeyFileLock {
 public:
  [[nodiscard]] static Result<KeyFileLock> acquire(std::string const& key_file);
  KeyFileLock(KeyFileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  KeyFileLock& operator=(KeyFileLock&&) = delete;
  KeyFileLock(KeyFileLock const&) = delete;
  KeyFileLock& operator=(KeyFileLock const&) = delete;
  ~KeyFileLock();

 private:
  explicit KeyFileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// fsync of a directory, so a rename in it is durable.
Result<void> sync_directory(std::string const& dir);

/// The directory part of `path` ("." when it has none).
std::string directory_of(std::string const& path);

}  // namespace presign::store
