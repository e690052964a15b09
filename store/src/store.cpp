// Opening the store: the files and their modes, the connection's settings, the schema, and the
// master key with its check value (the recovery of an interrupted rotation included).
#include "presign/store/store.hpp"

#include "presign/store/key_file.hpp"
#include "presign/store/migrations.hpp"

#include <cerrno>
#include <cstdio>
#include <optional>
#include <system_error>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace presign::store {
namespace {

Error io_error(std::string what, int err) {
  what += ": ";
  what += std::system_category().message(err);  // strerror is not thread-safe
  return make_error(ErrorKind::kIo, std::move(what));
}

bool is_set(char const* v) { return v != nullptr && *v != '\0'; }

// mkdir -p, each directory it creates 0700 (mkdir's mode is masked by the umask, so chmod).
Result<void> make_directories(std::string const& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return make_error(ErrorKind::kIo, dir + " is not a directory");
    return {};
  }
  if (errno != ENOENT) return io_error("cannot reach " + dir, errno);
  std::string const parent = directory_of(dir);
  if (parent != dir) {
    if (auto r = make_directories(parent); !r) return r;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return io_error("cannot create directory " + dir, errno);
  }
  if (::chmod(dir.c_str(), 0700) != 0) return io_error("cannot set the mode of " + dir, errno);
  return {};
}

// Creates the store file 0600 before SQLite opens it: SQLite gives the -wal and -shm files the
// mode of the database file.
Result<void> prepare_store_file(std::string const& path) {
  int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("cannot open the store " + path, errno);
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  int err = errno;
  if (ok && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::kIo, "the store " + path + " is not a regular file");
  }
  if (ok && (st.st_mode & 077) != 0) {
    ok = ::fchmod(fd, 0600) == 0;
    err = errno;
  }
  ::close(fd);
  if (!ok) return io_error("cannot set the mode of the store " + path, err);
  return {};
}

void tighten_side_files(std::string const& path) {
  for (char const* suffix : {"-wal", "-shm"}) {
    std::string const side = path + suffix;
    struct stat st {};
    if (::lstat(side.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
      (void)::chmod(side.c_str(), 0600);
    }
  }
}

struct KeyMeta {
  std::optional<std::string> check;
  std::int64_t version = 0;
};

Result<KeyMeta> read_key_meta(Db& db) {
  auto stmt = db.prepare("SELECT name, value FROM meta WHERE name IN ('key_check', 'key_version')");
  if (!stmt) return stmt.error();
  KeyMeta meta;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    if (stmt->column_text(0) == "key_check") {
      meta.check = stmt->column_blob(1);
    } else {
      meta.version = stmt->column_int(1);
    }
  }
  return meta;
}

Result<void> write_key_meta(Db& db, std::string const& check, std::int64_t version) {
  auto stmt = db.prepare(
      "INSERT INTO meta(name, value) VALUES ('key_check', ?1), ('key_version', ?2) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  if (!stmt) return stmt.error();
  return stmt->bind_blob(1, check).bind(2, version).run();
}

Error mismatch(std::string const& where) {
  return make_error(ErrorKind::kConfig,
                    "the master key does not match this store (" + where +
                        "); use the key the store was created or last rotated with");
}

}  // namespace

std::string default_key_file(std::string const& store_path) {
  return directory_of(store_path) + "/master.key";
}

Result<std::string> resolve_store_path(std::optional<std::string> const& flag,
                                       char const* env_store, char const* xdg_data_home,
                                       char const* home) {
  if (flag && !flag->empty()) return *flag;
  if (is_set(env_store)) return std::string(env_store);
  if (is_set(xdg_data_home)) return std::string(xdg_data_home) + "/presign/presign.db";
  if (is_set(home)) return std::string(home) + "/.local/share/presign/presign.db";
  return make_error(ErrorKind::kConfig,
                    "no store path: give --store PATH, or set PRESIGN_STORE, XDG_DATA_HOME or "
                    "HOME");
}

Result<void> finish_key_file_rotation(std::string const& key_file, MasterKey const& old_key) {
  if (auto r = write_key_file(key_file + ".old", old_key, true); !r) return r.error();
  std::string const pending = key_file + ".new";
  if (::rename(pending.c_str(), key_file.c_str()) != 0) {
    return io_error("cannot rename " + pending + " to " + key_file, errno);
  }
  return sync_directory(directory_of(key_file));
}

namespace {

// An existing directory is left as it is (it may be the user's home or a project directory),
// but one that group or others may write to, without the sticky bit, lets them replace the
// store or its master key: that is worth a warning. (Its files are 0600 whatever it is.)
std::optional<std::string> directory_warning(std::string const& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "the store's directory " + dir + " (mode " + mode +
         ") can be written by group or others: they could replace the store or its master "
         "key; run chmod go-w " +
         dir;
}

}  // namespace

Result<Store> Store::open(StoreOptions const& options) {
  Store s;
  s.path_ = options.path;
  if (options.must_exist) {
    struct stat st {};
    if (::stat(s.path_.c_str(), &st) != 0) {
      if (errno == ENOENT) return make_error(ErrorKind::kNotFound, "no store at " + s.path_);
      return io_error("cannot reach the store " + s.path_, errno);
    }
  }
  if (auto r = make_directories(directory_of(s.path_)); !r) return r.error();
  if (auto w = directory_warning(directory_of(s.path_))) s.warnings_.push_back(std::move(*w));
  if (auto r = prepare_store_file(s.path_); !r) return r.error();
  auto db = Db::open(s.path_, false);
  if (!db) return db.error();
  s.db_ = std::move(*db);
  Db& d = s.db_;
  // The busy timeout first: the pragmas below may already wait for another process's lock.
  if (auto r = d.exec("PRAGMA busy_timeout = 5000"); !r) return r.error();
  if (auto r = d.exec("PRAGMA foreign_keys = ON"); !r) return r.error();
  auto mode = d.prepare("PRAGMA journal_mode = WAL");
  if (!mode) return mode.error();
  auto row = mode->step();
  if (!row) {
    return make_error(ErrorKind::kIo, "the store " + s.path_ + ": " + row.error().detail);
  }
  if (!*row || mode->column_text(0) != "wal") {
    return make_error(ErrorKind::kIo, "the store " + s.path_ + " cannot use WAL journaling");
  }
  mode = Stmt();
  // FULL: a commit is on disk before it returns, which key rotation's file steps rely on.
  if (auto r = d.exec("PRAGMA synchronous = FULL"); !r) return r.error();
  if (auto r = migrate(d, s.path_); !r) return r.error();
  tighten_side_files(s.path_);

  auto meta = read_key_meta(d);
  if (!meta) return meta.error();
  KeySettings const& ks = options.key;
  std::string where;
  if (ks.key) {
    s.key_ = *ks.key;
    where = "the key given";
  } else if (ks.key_text) {
    auto k = parse_master_key(*ks.key_text, "PRESIGN_MASTER_KEY");
    if (!k) return k.error();
    s.key_ = *k;
    where = "PRESIGN_MASTER_KEY";
  } else {
    s.key_file_ = ks.key_file.empty() ? default_key_file(s.path_) : ks.key_file;
    where = "key file " + s.key_file_;
    auto k = read_key_file(s.key_file_);
    if (!k && k.error().kind == ErrorKind::kNotFound && !meta->check) {
      auto fresh = random_master_key();
      if (!fresh) return fresh.error();
      auto placed = write_key_file(s.key_file_, *fresh, false);
      if (!placed) return placed.error();
      k = *placed ? Result<MasterKey>(*fresh) : read_key_file(s.key_file_);
    }
    if (!k && k.error().kind == ErrorKind::kNotFound) {
      return make_error(ErrorKind::kConfig,
                        "the master key file " + s.key_file_ +
                            " is missing, and this store's secrets are sealed with a master "
                            "key: restore the file, or set PRESIGN_MASTER_KEY or "
                            "PRESIGN_MASTER_KEY_FILE");
    }
    if (!k) return k.error();
    s.key_ = *k;
  }

  if (meta->check) {
    s.key_version_ = meta->version;
    if (key_check_matches(s.key_, *meta->check)) return s;
    if (s.key_file_.empty()) return mismatch(where);
    // Perhaps a rotation committed but has not replaced the key file yet: under the rotation
    // lock (so a rotation in progress finishes first), read the key file again, then try
    // KEYFILE.new and finish that rotation's renames. A stale KEYFILE.new (a rotation that
    // never committed) does not match and is left for the next rotation to overwrite.
    // The check is read again too: this process may have read it before a rotation committed
    // and the key file after that rotation replaced it.
    auto lock = KeyFileLock::acquire(s.key_file_);
    if (!lock) return lock.error();
    meta = read_key_meta(d);
    if (!meta) return meta.error();
    if (!meta->check) return mismatch(where);
    s.key_version_ = meta->version;
    if (key_check_matches(s.key_, *meta->check)) return s;
    auto again = read_key_file(s.key_file_);
    if (!again) return again.error();
    if (key_check_matches(*again, *meta->check)) {
      s.key_ = *again;
      return s;
    }
    auto pending = read_key_file(s.key_file_ + ".new");
    if (!pending || !key_check_matches(*pending, *meta->check)) return mismatch(where);
    if (auto r = finish_key_file_rotation(s.key_file_, *again); !r) return r.error();
    s.key_ = *pending;
    return s;
  }
  // A new store (or one from before the first key): record the key's check value, unless
  // another process did first.
  auto txn = WriteTxn::begin(d);
  if (!txn) return txn.error();
  meta = read_key_meta(d);
  if (!meta) return meta.error();
  if (meta->check) {
    if (!key_check_matches(s.key_, *meta->check)) return mismatch(where);
    s.key_version_ = meta->version;
    if (auto r = txn->commit(); !r) return r.error();  // wrote nothing; ends the transaction
    return s;
  }
  s.key_version_ = 1;
  if (auto r = write_key_meta(d, key_check_value(s.key_), 1); !r) return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  tighten_side_files(s.path_);
  return s;
}

Result<void> Store::follow_rotation() {
  auto meta = read_key_meta(db_);
  if (!meta) return meta.error();
  if (!meta->check || meta->version == key_version_) return {};
  std::string const rotated =
      "the store's master key was rotated by another process (key version " +
      std::to_string(meta->version) + ", this process has " + std::to_string(key_version_) + ")";
  if (key_file_.empty()) {
    return make_error(ErrorKind::kConfig, rotated + ": set PRESIGN_MASTER_KEY to the new key");
  }
  for (std::string const& file : {key_file_, key_file_ + ".new"}) {
    auto k = read_key_file(file);
    if (k && key_check_matches(*k, *meta->check)) {
      key_ = *k;
      key_version_ = meta->version;
      return {};
    }
  }
  return make_error(ErrorKind::kConfig, rotated + ", and neither " + key_file_ + " nor " +
                                            key_file_ + ".new holds that key");
}

}  // namespace presign::store
