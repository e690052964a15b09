#pragma once
/// Users and the audit log: the records every other part of the store refers to.

#include "presign/core/error.hpp"
#include "presign/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presign::store {

/// A name of an API key or an integration: 1 to 64 characters of `[A-Za-z0-9._-]`. kUsage
/// naming `what` otherwise.
Result<void> validate_name(std::string_view what, std::string_view name);

/// A loose e-mail check: exactly one '@' with text on both sides, no space or control byte,
/// at most 254 bytes. kUsage otherwise.
Result<void> validate_email(std::string_view email);

struct User {
  std::int64_t id = 0;
  std::string email;
  bool disabled = false;
  Instant created_at;
};

/// Adds a user (kUsage when the e-mail is taken, compared without ASCII case).
Result<User> add_user(Store& store, std::string_view email, Stamp const& stamp);
Result<std::vector<User>> list_users(Store& store);
/// kNotFound when there is no such user.
Result<User> find_user(Store& store, std::string_view email);
/// Disables or enables a user; their keys authenticate nothing while disabled.
Result<void> set_user_disabled(Store& store, std::string_view email, bool disabled,
                               Stamp const& stamp);

struct AuditEntry {
  Instant at;
  std::string actor;
  std::string action;
  std::string target;
};

/// Appends one row; call inside the transaction of the change it records. Never a secret.
Result<void> append_audit(Db& db, Stamp const& stamp, std::string_view action,
                          std::string_view target);
/// The log, oldest first, from `since` on when given.
Result<std::vector<AuditEntry>> list_audit(Store& store, std::optional<Instant> since);

/// The unix time of an instant, and back.
inline std::int64_t to_unix(Instant t) { return t.time_since_epoch().count(); }
inline Instant from_unix(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

}  // namespace presign::store
