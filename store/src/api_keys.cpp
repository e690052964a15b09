#include "presign/store/api_keys.hpp"

#include "presign/store/api_key_format.hpp"
#include "presign/core/text.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace presign::store {
namespace {

std::string sha256(std::string_view s) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<unsigned char const*>(s.data()), s.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  append_printable(out, s);
  out += "'";
  return out;
}

constexpr char const* kInfoColumns =
    "k.name, u.email, k.role, k.created_at, k.expires_at, k.last_used_at, u.disabled";

ApiKeyInfo info_from(Stmt const& s) {
  ApiKeyInfo i;
  i.name = s.column_text(0);
  i.user_email = s.column_text(1);
  i.role = parse_role(s.column_text(2)).value_or(Role::kViewer);
  i.created_at = from_unix(s.column_int(3));
  i.expires_at = from_unix(s.column_int(4));
  if (auto lu = s.column_opt_int(5)) i.last_used_at = from_unix(*lu);
  i.user_disabled = s.column_int(6) != 0;
  return i;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) noexcept {
  if (name == "admin") return Role::kAdmin;
  if (name == "signer") return Role::kSigner;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kSigner:
      return "signer";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::string_view key_state(ApiKeyInfo const& info, Instant now) noexcept {
  if (info.user_disabled) return "user-disabled";
  if (now >= info.expires_at) return "expired";
  return "active";
}

std::string_view verdict_reason(KeyVerdict v) noexcept {
  switch (v) {
    case KeyVerdict::kValid:
      return "valid";
    case KeyVerdict::kMalformed:
      return "malformed: not a presign API key (psk_ and 38 base62 characters)";
    case KeyVerdict::kBadChecksum:
      return "bad checksum: the key was mistyped or altered";
    case KeyVerdict::kUnknown:
      return "unknown: no such key in this store (never created, or deleted)";
    case KeyVerdict::kExpired:
      return "expired";
    case KeyVerdict::kUserDisabled:
      return "user disabled";
  }
  return "unknown";
}

Result<CreatedApiKey> create_api_key(Store& store, NewApiKey const& spec, Stamp const& stamp) {
  if (auto r = validate_name("key name", spec.name); !r) return r.error();
  if (spec.validity_seconds < kMinValiditySeconds || spec.validity_seconds > kMaxValiditySeconds) {
    return make_error(ErrorKind::kUsage, "the validity must be from 1 minute to 25 weeks");
  }
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto user = find_user(store, spec.user_email);
  if (!user) return user.error();
  if (user->disabled) {
    return make_error(ErrorKind::kUsage,
                      "user " + quoted(user->email) + " is disabled; enable them first");
  }
  auto taken = db.prepare("SELECT 1 FROM api_keys WHERE name = ?1");
  if (!taken) return taken.error();
  auto row = taken->bind(1, spec.name).step();
  if (!row) return row.error();
  if (*row)
    return make_error(ErrorKind::kUsage, "an API key named " + quoted(spec.name) + " exists");
  auto key = generate_api_key();
  if (!key) return key.error();
  CreatedApiKey out;
  out.key = std::move(*key);
  out.info = ApiKeyInfo{spec.name,
                        user->email,
                        spec.role,
                        stamp.now,
                        stamp.now + std::chrono::seconds(spec.validity_seconds),
                        std::nullopt,
                        false};
  auto ins = db.prepare(
      "INSERT INTO api_keys(name, user_id, role, created_at, expires_at, key_hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins) return ins.error();
  if (auto r = ins->bind(1, spec.name)
                   .bind(2, user->id)
                   .bind(3, role_name(spec.role))
                   .bind(4, to_unix(out.info.created_at))
                   .bind(5, to_unix(out.info.expires_at))
                   .bind_blob(6, sha256(out.key))
                   .run();
      !r) {
    return r.error();
  }
  std::string const target =
      spec.name + " (user " + user->email + ", role " + std::string(role_name(spec.role)) + ")";
  if (auto r = append_audit(db, stamp, "key.create", target); !r) return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  return out;
}

Result<std::vector<ApiKeyInfo>> list_api_keys(Store& store) {
  auto stmt =
      store.db().prepare(std::string("SELECT ") + kInfoColumns +
                         " FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.name");
  if (!stmt) return stmt.error();
  std::vector<ApiKeyInfo> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(info_from(*stmt));
  }
}

Result<void> delete_api_key(Store& store, std::string_view name, Stamp const& stamp) {
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto stmt = db.prepare("DELETE FROM api_keys WHERE name = ?1");
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, name).run(); !r) return r.error();
  if (db.changes() == 0)
    return make_error(ErrorKind::kNotFound, "no API key named " + quoted(name));
  if (auto r = append_audit(db, stamp, "key.delete", name); !r) return r.error();
  return txn->commit();
}

Result<Verification> verify_api_key(Store& store, std::string_view key, Instant now) {
  Verification v;
  switch (check_api_key_format(key)) {
    case KeyFormat::kMalformed:
      v.verdict = KeyVerdict::kMalformed;
      return v;
    case KeyFormat::kBadChecksum:
      v.verdict = KeyVerdict::kBadChecksum;
      return v;
    case KeyFormat::kOk:
      break;
  }
  std::string const hash = sha256(key);
  Db& db = store.db();
  auto stmt = db.prepare(std::string("SELECT ") + kInfoColumns +
                         ", k.key_hash, k.id FROM api_keys k JOIN users u ON u.id = k.user_id "
                         "WHERE k.key_hash = ?1");
  if (!stmt) return stmt.error();
  auto row = stmt->bind_blob(1, hash).step();
  if (!row) return row.error();
  // The index found the row by equality; compare the digests again in constant time so the
  // decision itself never depends on an early-exit comparison.
  std::string const stored = *row ? stmt->column_blob(7) : std::string();
  if (!*row || stored.size() != hash.size() ||
      CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0) {
    v.verdict = KeyVerdict::kUnknown;
    return v;
  }
  v.key = info_from(*stmt);
  std::int64_t const id = stmt->column_int(8);
  stmt = Stmt();
  if (v.key->user_disabled) {
    v.verdict = KeyVerdict::kUserDisabled;
  } else if (now >= v.key->expires_at) {
    v.verdict = KeyVerdict::kExpired;
  } else {
    v.verdict = KeyVerdict::kValid;
    // Coalesced: at most one write a minute per key, however many requests it makes.
    auto upd = db.prepare(
        "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 "
        "AND (last_used_at IS NULL OR last_used_at < ?1 - 60)");
    if (!upd) return upd.error();
    if (auto r = upd->bind(1, to_unix(now)).bind(2, id).run(); !r) return r.error();
    if (db.changes() > 0) v.key->last_used_at = now;
  }
  return v;
}

}  // namespace presign::store
