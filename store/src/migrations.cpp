#include "presign/store/migrations.hpp"

#include <array>

namespace presign::store {
namespace {

// STRICT tables (SQLite 3.37+): a value of the wrong type is an error, never silently kept.
constexpr char const* kV1 = R"sql(
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL CHECK (role IN ('admin', 'signer', 'viewer')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER,
  key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32)
) STRICT;
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL
) STRICT;
CREATE INDEX audit_at ON audit(at);
)sql";

constexpr char const* kV2 = R"sql(
CREATE TABLE integrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL CHECK (provider IN ('aws', 'gcp', 'azure')),
  bucket TEXT NOT NULL,
  region TEXT NOT NULL DEFAULT '',
  endpoint TEXT NOT NULL DEFAULT '',
  credential_kind TEXT NOT NULL,
  credential_params BLOB NOT NULL,
  secret BLOB,
  secret_nonce BLOB,
  key_version INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  status TEXT NOT NULL DEFAULT 'unchecked' CHECK (status IN ('unchecked', 'ok', 'failing')),
  status_at INTEGER,
  status_message TEXT NOT NULL DEFAULT '',
  CHECK ((secret IS NULL) = (secret_nonce IS NULL) AND (secret IS NULL) = (key_version IS NULL))
) STRICT;
)sql";

constexpr std::array<Migration, 2> kMigrations{{{1, kV1}, {2, kV2}}};

// user_version is set with a literal: PRAGMA takes no bound parameters, and the value is our
// own constant, never user data.
constexpr char const* kSetVersion[] = {nullptr, "PRAGMA user_version = 1",
                                       "PRAGMA user_version = 2"};
static_assert(std::size(kSetVersion) == kMigrations.size() + 1);

}  // namespace

std::span<Migration const> migrations() noexcept { return kMigrations; }

int current_schema_version() noexcept { return kMigrations.back().version; }

Result<void> migrate(Db& db, std::string const& path) {
  auto const seen = db.query_int("PRAGMA user_version");
  if (!seen) return seen.error();
  if (*seen == current_schema_version()) return {};
  auto newer = [&](std::int64_t v) {
    return make_error(ErrorKind::kConfig,
                      "the store " + path + " has schema version " + std::to_string(v) +
                          ", written by a newer presign; this presign knows versions up to " +
                          std::to_string(current_schema_version()) +
                          ": use a newer presign (the file was not changed)");
  };
  if (*seen > current_schema_version()) return newer(*seen);
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  // Read again under the write lock: another process may have migrated meanwhile.
  auto const version = db.query_int("PRAGMA user_version");
  if (!version) return version.error();
  if (*version > current_schema_version()) return newer(*version);
  for (Migration const& m : kMigrations) {
    if (m.version <= *version) continue;
    if (auto r = db.exec(m.sql); !r) return r.error();
    if (auto r = db.exec(kSetVersion[m.version]); !r) return r.error();
  }
  return txn->commit();
}

}  // namespace presign::store
