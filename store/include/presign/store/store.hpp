#pragma once
/// The control plane's store: one SQLite file (WAL, 5 s busy timeout, foreign keys on) with
/// users, API keys, integrations and the audit log, and the master key that seals the
/// integrations' secrets.
///
/// Files: the store is created 0600 in a directory created 0700 (its -wal and -shm files get
/// the store's mode from SQLite and are set to 0600 again after opening). The master key comes
/// from `KeySettings`: a key given directly (tests, a service), the text of
/// `PRESIGN_MASTER_KEY`, or a key file (default `master.key` beside the store), created with
/// 32 random bytes on the first open of a new store and refused if group/other can read it.
///
/// The store keeps a key check value (an HMAC of a fixed label under the master key) and the
/// key version: a wrong key is refused at open ("the master key does not match this store"),
/// never used to decrypt garbage.
///
/// Key rotation and crashes (rotate.hpp): the new key is first written to `KEYFILE.new`; the
/// secrets are re-encrypted and the check value replaced in one transaction; only after the
/// commit is the old key copied to `KEYFILE.old` and `KEYFILE.new` renamed over `KEYFILE`.
/// `KEYFILE` therefore always exists and holds the old or the new key, and the other one is in
/// `KEYFILE.new` until the rename. Opening a store whose check does not match `KEYFILE` but
/// matches `KEYFILE.new` (a crash after the commit) completes the rotation, under the
/// rotation's lock (`KEYFILE.lock`, key_file.hpp); a `KEYFILE.new` that does not match (a
/// crash before the commit) is ignored and overwritten by the next rotation.
///
/// A `Store` is used by one thread at a time; several processes may share the file.

#include "presign/core/error.hpp"
#include "presign/store/crypto.hpp"
#include "presign/store/db.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace presign::store {

/// Seconds since the epoch: every time the store keeps.
using Instant = std::chrono::sys_seconds;

/// Who makes a change, and when (the audit log's actor and time).
struct Stamp {
  std::string actor;
  Instant now;
};

/// Where the master key comes from, first match wins.
struct KeySettings {
  std::optional<MasterKey> key;         ///< given directly
  std::optional<std::string> key_text;  ///< PRESIGN_MASTER_KEY (base64 or 64 hex digits)
  std::string key_file;                 ///< PRESIGN_MASTER_KEY_FILE; empty: master.key beside
};

struct StoreOptions {
  std::string path;
  KeySettings key;
  /// Read-only use (a listing, a check, a job signing with an integration): a store file that
  /// does not exist is kNotFound ("no store at PATH") and nothing is created.
  bool must_exist = false;
};

/// The store path: `flag` (--store), else `env_store` (PRESIGN_STORE), else
/// `$XDG_DATA_HOME/presign/presign.db`, else `$HOME/.local/share/presign/presign.db`. Empty
/// values count as unset. kConfig when none gives a path.
Result<std::string> resolve_store_path(std::optional<std::string> const& flag,
                                       char const* env_store, char const* xdg_data_home,
                                       char const* home);

class Store {
 public:
  /// Opens (creating if needed) the store, migrates its schema, and loads and checks the key.
  [[nodiscard]] static Result<Store> open(StoreOptions const& options);

  [[nodiscard]] Db& db() noexcept { return db_; }
  [[nodiscard]] MasterKey const& key() const noexcept { return key_; }
  [[nodiscard]] std::int64_t key_version() const noexcept { return key_version_; }
  [[nodiscard]] std::string const& path() const noexcept { return path_; }
  /// The key file in use; empty when the key was given or came from PRESIGN_MASTER_KEY.
  [[nodiscard]] std::string const& key_file() const noexcept { return key_file_; }

  /// What the caller should tell the user about the store's files (never a secret): a
  /// directory that group or others may write to (an existing directory is never changed: it
  /// may be a home or project directory).
  [[nodiscard]] std::vector<std::string> const& warnings() const noexcept { return warnings_; }

  /// Called inside a write transaction before sealing or unsealing: when another process has
  /// rotated the master key since this store was opened (the key version recorded in the
  /// store differs from this one's), takes the new key from the key file, or from KEYFILE.new
  /// when that rotation has committed but not yet replaced the file (without the rotation
  /// lock: the write transaction already excludes a rotation's commit). kConfig when the key
  /// came from PRESIGN_MASTER_KEY (the new key must be given) or neither file matches.
  [[nodiscard]] Result<void> follow_rotation();

  /// After a rotation's commit (rotate.cpp).
  void set_key(MasterKey const& key, std::int64_t version) {
    key_ = key;
    key_version_ = version;
  }

 private:
  Store() = default;
  Db db_;
  MasterKey key_;
  std::int64_t key_version_ = 0;
  std::string path_;
  std::string key_file_;
  std::vector<std::string> warnings_;
};

/// The default key file of a store: `master.key` in the store's directory.
std::string default_key_file(std::string const& store_path);

/// Completes a rotation whose commit happened: writes `old_key` to `KEYFILE.old` (0600) and
/// renames `KEYFILE.new` over `KEYFILE`. Shared by rotate and open's recovery.
Result<void> finish_key_file_rotation(std::string const& key_file, MasterKey const& old_key);

}  // namespace presign::store
