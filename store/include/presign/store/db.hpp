#pragma once
/// A small RAII layer over the sqlite3 C API: one connection (`Db`), prepared statements
/// (`Stmt`) with bound parameters only, and a write transaction guard (`WriteTxn`).
///
/// Every piece of user data reaches SQLite through `Stmt::bind`; no SQL text is ever built
/// from it. Errors come back as `Result` (kIo, with SQLite's message, which never holds bound
/// values); nothing here throws. A `Db` is used by one thread at a time.

#include "presign/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace presign::store {

class Db;

/// One prepared statement. Bind with 1-based indexes, then `step()` until it says no row.
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(Stmt const&) = delete;
  Stmt& operator=(Stmt const&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, char const* text) { return bind(index, std::string_view(text)); }
  Stmt& bind_blob(int index, std::string_view bytes);
  Stmt& bind_null(int index);
  Stmt& bind(int index, std::optional<std::int64_t> value);

  /// True when a row is ready, false when the statement is done.
  [[nodiscard]] Result<bool> step();
  /// Steps to the end (for statements that return no rows).
  [[nodiscard]] Result<void> run();

  [[nodiscard]] std::int64_t column_int(int col) const;
  [[nodiscard]] std::optional<std::int64_t> column_opt_int(int col) const;
  [[nodiscard]] std::string column_text(int col) const;
  [[nodiscard]] std::string column_blob(int col) const;
  [[nodiscard]] bool column_is_null(int col) const;

 private:
  friend class Db;
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_rc_ = 0;  ///< the first failed bind's code, reported by step()
};

/// One SQLite connection.
class Db {
 public:
  Db() = default;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(Db const&) = delete;
  Db& operator=(Db const&) = delete;
  ~Db();

  /// Opens (creating if `create`) the database file at `path`.
  [[nodiscard]] static Result<Db> open(std::string const& path, bool create);

  [[nodiscard]] Result<Stmt> prepare(std::string_view sql);
  /// Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT). Never with user data.
  [[nodiscard]] Result<void> exec(char const* sql);
  /// The single integer a pragma or query without parameters returns.
  [[nodiscard]] Result<std::int64_t> query_int(char const* sql);
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

/// `BEGIN IMMEDIATE` … `COMMIT`, rolled back when destroyed uncommitted. IMMEDIATE takes the
/// write lock at once, so a concurrent writer waits in the busy handler instead of failing
/// with SQLITE_BUSY when its read snapshot would have to become a write.
class WriteTxn {
 public:
  [[nodiscard]] static Result<WriteTxn> begin(Db& db);
  WriteTxn(WriteTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  WriteTxn& operator=(WriteTxn&&) = delete;
  WriteTxn(WriteTxn const&) = delete;
  WriteTxn& operator=(WriteTxn const&) = delete;
  ~WriteTxn();
  [[nodiscard]] Result<void> commit();

 private:
  explicit WriteTxn(Db* db) : db_(db) {}
  Db* db_ = nullptr;
};

/// A kIo error "WHAT: SQLite's message" for the connection's last failure.
Error db_error(sqlite3* db, std::string_view what);

}  // namespace presign::store
