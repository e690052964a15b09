#pragma once
/// The store's schema, versioned with `PRAGMA user_version`: an ordered list of migrations,
/// each run once, in order, inside one transaction on open. Version 1 holds users, API keys,
/// the audit log and the store's metadata (key version, key check value); version 2 adds the
/// integrations. Never edit a published migration: add the next one.

#include "presign/core/error.hpp"
#include "presign/store/db.hpp"

#include <span>
#include <string>

namespace presign::store {

struct Migration {
  int version;      ///< user_version after it ran
  char const* sql;  ///< statements, no parameters
};

/// Every migration, oldest first (public so tests can build a file of an old version).
std::span<Migration const> migrations() noexcept;

/// The newest version this program knows.
int current_schema_version() noexcept;

/// Brings the file to the current version. A file newer than this program is refused
/// (kConfig: "... was written by a newer presign ...") and left untouched.
Result<void> migrate(Db& db, std::string const& path);

}  // namespace presign::store
