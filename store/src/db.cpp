#include "presign/store/db.hpp"

#include <sqlite3.h>

#include <utility>

namespace presign::store {

Error db_error(sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return make_error(ErrorKind::kIo, std::move(msg));
}

// ---- Stmt ----

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), bind_rc_(other.bind_rc_) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

namespace {
void keep_first(int& kept, int rc) {
  if (kept == SQLITE_OK && rc != SQLITE_OK) kept = rc;
}
}  // namespace

Stmt& Stmt::bind(int index, std::int64_t value) {
  keep_first(bind_rc_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
  keep_first(bind_rc_, sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                           SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob is still a blob, not NULL: sqlite3_bind_blob64 with a null pointer
  // would bind NULL, so point at a static byte.
  static char const kEmpty = 0;
  keep_first(bind_rc_, sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(),
                                           bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  keep_first(bind_rc_, sqlite3_bind_null(stmt_, index));
  return *this;
}

Stmt& Stmt::bind(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}

Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) {
    return make_error(ErrorKind::kInternal,
                      std::string("binding a parameter failed: ") + sqlite3_errstr(bind_rc_));
  }
  int const rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(db_, "the store");
}

Result<void> Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

std::int64_t Stmt::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<std::int64_t> Stmt::column_opt_int(int col) const {
  if (column_is_null(col)) return std::nullopt;
  return column_int(col);
}

std::string Stmt::column_text(int col) const {
  auto const* p = sqlite3_column_text(stmt_, col);
  int const n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<char const*>(p), static_cast<std::size_t>(n));
}

std::string Stmt::column_blob(int col) const {
  auto const* p = sqlite3_column_blob(stmt_, col);
  int const n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<char const*>(p), static_cast<std::size_t>(n));
}

bool Stmt::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

// ---- Db ----

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Db::~Db() { sqlite3_close_v2(db_); }

Result<Db> Db::open(std::string const& path, bool create) {
  sqlite3* raw = nullptr;
  int const flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int const rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // closed on every path below
  if (rc != SQLITE_OK) return db_error(raw, "cannot open the store " + path);
  return db;
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int const rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return db_error(db_, "the store");
  }
  return Stmt(stmt, db_);
}

Result<void> Db::exec(char const* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return db_error(db_, "the store");
  }
  return {};
}

Result<std::int64_t> Db::query_int(char const* sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorKind::kInternal, std::string("no row from ") + sql);
  return stmt->column_int(0);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Db::changes() const { return sqlite3_changes(db_); }

// ---- WriteTxn ----

Result<WriteTxn> WriteTxn::begin(Db& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  return WriteTxn(&db);
}

WriteTxn::~WriteTxn() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<void> WriteTxn::commit() {
  Db* db = std::exchange(db_, nullptr);
  if (auto r = db->exec("COMMIT"); !r) {
    (void)db->exec("ROLLBACK");
    return r.error();
  }
  return {};
}

}  // namespace presign::store
