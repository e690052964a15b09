#include "presign/store/records.hpp"

#include "presign/core/text.hpp"

#include <algorithm>
#include <limits>

namespace presign::store {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "'";
  append_printable(out, s);
  out += "'";
  return out;
}

User user_from(Stmt const& s) {
  return User{s.column_int(0), s.column_text(1), s.column_int(2) != 0, from_unix(s.column_int(3))};
}

}  // namespace

Result<void> validate_name(std::string_view what, std::string_view name) {
  bool const ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
      });
  if (ok) return {};
  std::string msg(what);
  msg += " ";
  msg += quoted(name.substr(0, 80));
  msg += " is not valid: use 1 to 64 characters among A-Z a-z 0-9 . _ -";
  return make_error(ErrorKind::kUsage, std::move(msg));
}

Result<void> validate_email(std::string_view email) {
  auto const at = email.find('@');
  bool const one_at =
      at != std::string_view::npos && email.find('@', at + 1) == std::string_view::npos;
  bool const clean = std::none_of(email.begin(), email.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
  if (one_at && clean && at > 0 && at + 1 < email.size() && email.size() <= 254) return {};
  return make_error(ErrorKind::kUsage,
                    "e-mail " + quoted(email.substr(0, 300)) +
                        " is not valid: one '@' with text on both sides, no spaces or control "
                        "characters, at most 254 bytes");
}

Result<User> add_user(Store& store, std::string_view email, Stamp const& stamp) {
  if (auto r = validate_email(email); !r) return r.error();
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto exists = db.prepare("SELECT 1 FROM users WHERE email = ?1");
  if (!exists) return exists.error();
  auto found = exists->bind(1, email).step();
  if (!found) return found.error();
  if (*found) {
    return make_error(ErrorKind::kUsage, "user " + quoted(email) + " already exists");
  }
  auto ins = db.prepare("INSERT INTO users(email, disabled, created_at) VALUES (?1, 0, ?2)");
  if (!ins) return ins.error();
  if (auto r = ins->bind(1, email).bind(2, to_unix(stamp.now)).run(); !r) return r.error();
  User user{db.last_insert_rowid(), std::string(email), false, stamp.now};
  if (auto r = append_audit(db, stamp, "user.add", email); !r) return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  return user;
}

Result<std::vector<User>> list_users(Store& store) {
  auto stmt =
      store.db().prepare("SELECT id, email, disabled, created_at FROM users ORDER BY email");
  if (!stmt) return stmt.error();
  std::vector<User> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(user_from(*stmt));
  }
}

Result<User> find_user(Store& store, std::string_view email) {
  auto stmt =
      store.db().prepare("SELECT id, email, disabled, created_at FROM users WHERE email = ?1");
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, email).step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorKind::kNotFound, "no user " + quoted(email));
  return user_from(*stmt);
}

Result<void> set_user_disabled(Store& store, std::string_view email, bool disabled,
                               Stamp const& stamp) {
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto stmt = db.prepare("UPDATE users SET disabled = ?1 WHERE email = ?2");
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, std::int64_t{disabled ? 1 : 0}).bind(2, email).run(); !r) {
    return r.error();
  }
  if (db.changes() == 0) return make_error(ErrorKind::kNotFound, "no user " + quoted(email));
  if (auto r = append_audit(db, stamp, disabled ? "user.disable" : "user.enable", email); !r) {
    return r.error();
  }
  return txn->commit();
}

Result<void> append_audit(Db& db, Stamp const& stamp, std::string_view action,
                          std::string_view target) {
  auto stmt = db.prepare("INSERT INTO audit(at, actor, action, target) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) return stmt.error();
  return stmt->bind(1, to_unix(stamp.now))
      .bind(2, stamp.actor)
      .bind(3, action)
      .bind(4, target)
      .run();
}

Result<std::vector<AuditEntry>> list_audit(Store& store, std::optional<Instant> since) {
  auto stmt = store.db().prepare(
      "SELECT at, actor, action, target FROM audit WHERE at >= ?1 ORDER BY at, id");
  if (!stmt) return stmt.error();
  stmt->bind(1, since ? to_unix(*since) : std::numeric_limits<std::int64_t>::min());
  std::vector<AuditEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(AuditEntry{from_unix(stmt->column_int(0)), stmt->column_text(1),
                             stmt->column_text(2), stmt->column_text(3)});
  }
}

}  // namespace presign::store
