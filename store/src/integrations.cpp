#include "presign/store/integrations.hpp"

#include "presign/core/text.hpp"
#include "presign/store/crypto.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace presign::store {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "'";
  append_printable(out, s);
  out += "'";
  return out;
}

struct KindRule {
  std::string_view kind;
  std::string_view provider;
  bool has_secret;
};
constexpr std::array<KindRule, 8> kKinds{{
    {"aws-access-key", "aws", true},
    {"aws-role", "aws", false},
    {"gcp-key-file", "gcp", true},
    {"gcp-hmac", "gcp", true},
    {"gcp-impersonate", "gcp", false},
    {"azure-account-key", "azure", true},
    {"azure-connection-string", "azure", true},
    {"azure-service-principal", "azure", true},
}};

bool known_provider(std::string_view p) { return p == "aws" || p == "gcp" || p == "azure"; }

constexpr char const* kColumns =
    "id, name, provider, bucket, region, endpoint, credential_kind, credential_params, "
    "secret IS NOT NULL, created_at, updated_at, last_used_at, status, status_at, "
    "status_message";

Integration integration_from(Stmt const& s) {
  Integration i;
  i.id = s.column_int(0);
  i.name = s.column_text(1);
  i.provider = s.column_text(2);
  i.bucket = s.column_text(3);
  i.region = s.column_text(4);
  i.endpoint = s.column_text(5);
  i.credential_kind = s.column_text(6);
  (void)decode_fields(s.column_blob(7), i.credential_params);
  i.has_secret = s.column_int(8) != 0;
  i.created_at = from_unix(s.column_int(9));
  i.updated_at = from_unix(s.column_int(10));
  if (auto t = s.column_opt_int(11)) i.last_used_at = from_unix(*t);
  i.status = s.column_text(12);
  if (auto t = s.column_opt_int(13)) i.status_at = from_unix(*t);
  i.status_message = s.column_text(14);
  return i;
}

Error not_found(std::string_view name) {
  return make_error(ErrorKind::kNotFound, "no integration named " + quoted(name));
}

// Seals the credential's secret for row `id` and stores it (or clears it for secretless kinds).
Result<void> store_secret(Store& store, std::int64_t id, std::string_view provider,
                          Credential const& c) {
  Db& db = store.db();
  if (c.secret.empty()) {
    auto stmt = db.prepare(
        "UPDATE integrations SET secret = NULL, secret_nonce = NULL, key_version = NULL "
        "WHERE id = ?1");
    if (!stmt) return stmt.error();
    return stmt->bind(1, id).run();
  }
  // Sealed under the key the store holds now (another process may have rotated it).
  if (auto r = store.follow_rotation(); !r) return r.error();
  std::string plain = encode_fields(c.secret);
  auto sealed = seal(store.key(), plain, integration_aad(id, provider, store.key_version()));
  wipe(plain);
  if (!sealed) return sealed.error();
  auto stmt = db.prepare(
      "UPDATE integrations SET secret = ?1, secret_nonce = ?2, key_version = ?3 WHERE id = ?4");
  if (!stmt) return stmt.error();
  return stmt->bind_blob(1, sealed->ciphertext)
      .bind_blob(2, sealed->nonce)
      .bind(3, store.key_version())
      .bind(4, id)
      .run();
}

Result<bool> name_taken(Db& db, std::string_view name) {
  auto stmt = db.prepare("SELECT 1 FROM integrations WHERE name = ?1");
  if (!stmt) return stmt.error();
  return stmt->bind(1, name).step();
}

void put_u32(std::string& out, std::size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
}

bool get_u32(std::string_view& in, std::size_t& n) {
  if (in.size() < 4) return false;
  n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(4);
  return true;
}

}  // namespace

std::string integration_aad(std::int64_t id, std::string_view provider, std::int64_t key_version) {
  std::string aad = "presign integration secret|";
  aad += std::to_string(id);
  aad += '|';
  aad += provider;
  aad += '|';
  aad += std::to_string(key_version);
  return aad;
}

std::string encode_fields(Fields const& fields) {
  std::string out;
  for (auto const& [name, value] : fields) {
    put_u32(out, name.size());
    out += name;
    put_u32(out, value.size());
    out += value;
  }
  return out;
}

bool decode_fields(std::string_view bytes, Fields& out) {
  out.clear();
  while (!bytes.empty()) {
    std::size_t n = 0;
    if (!get_u32(bytes, n) || n > bytes.size()) return false;
    std::string name(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (!get_u32(bytes, n) || n > bytes.size()) return false;
    out.emplace_back(std::move(name), std::string(bytes.substr(0, n)));
    bytes.remove_prefix(n);
  }
  return true;
}

Result<void> validate_credential(std::string_view provider, Credential const& c) {
  auto const* rule = std::find_if(kKinds.begin(), kKinds.end(),
                                  [&](KindRule const& r) { return r.kind == c.kind; });
  if (rule == kKinds.end()) {
    return make_error(ErrorKind::kUsage, "unknown credential kind " + quoted(c.kind));
  }
  if (rule->provider != provider) {
    return make_error(ErrorKind::kUsage, "credential kind " + std::string(c.kind) +
                                             " is not for provider " + std::string(provider));
  }
  if (rule->has_secret == c.secret.empty()) {
    return make_error(
        ErrorKind::kUsage,
        std::string(c.kind) + (rule->has_secret ? " needs its secret" : " holds no secret"));
  }
  return {};
}

Result<Integration> add_integration(Store& store, NewIntegration const& spec, Stamp const& stamp) {
  if (auto r = validate_name("integration name", spec.name); !r) return r.error();
  if (!known_provider(spec.provider)) {
    return make_error(ErrorKind::kUsage,
                      "provider " + quoted(spec.provider) + " is not one of aws, gcp, azure");
  }
  if (spec.bucket.empty()) return make_error(ErrorKind::kUsage, "the bucket must not be empty");
  if (auto r = validate_credential(spec.provider, spec.credential); !r) return r.error();
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto taken = name_taken(db, spec.name);
  if (!taken) return taken.error();
  if (*taken) {
    return make_error(ErrorKind::kUsage, "an integration named " + quoted(spec.name) + " exists");
  }
  auto ins = db.prepare(
      "INSERT INTO integrations(name, provider, bucket, region, endpoint, credential_kind, "
      "credential_params, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)");
  if (!ins) return ins.error();
  if (auto r = ins->bind(1, spec.name)
                   .bind(2, spec.provider)
                   .bind(3, spec.bucket)
                   .bind(4, spec.region)
                   .bind(5, spec.endpoint)
                   .bind(6, spec.credential.kind)
                   .bind_blob(7, encode_fields(spec.credential.params))
                   .bind(8, to_unix(stamp.now))
                   .run();
      !r) {
    return r.error();
  }
  // The row id is part of the secret's associated data, so the secret is sealed after the
  // insert, in the same transaction.
  std::int64_t const id = db.last_insert_rowid();
  if (auto r = store_secret(store, id, spec.provider, spec.credential); !r) return r.error();
  if (auto r = append_audit(db, stamp, "integration.add",
                            spec.name + " (" + spec.provider + ", " + spec.credential.kind + ")");
      !r) {
    return r.error();
  }
  if (auto r = txn->commit(); !r) return r.error();
  return get_integration(store, spec.name);
}

Result<std::vector<Integration>> list_integrations(Store& store) {
  auto stmt =
      store.db().prepare(std::string("SELECT ") + kColumns + " FROM integrations ORDER BY name");
  if (!stmt) return stmt.error();
  std::vector<Integration> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(integration_from(*stmt));
  }
}

Result<Integration> get_integration(Store& store, std::string_view name) {
  auto stmt =
      store.db().prepare(std::string("SELECT ") + kColumns + " FROM integrations WHERE name = ?1");
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, name).step();
  if (!row) return row.error();
  if (!*row) return not_found(name);
  return integration_from(*stmt);
}

Result<Credential> get_integration_secret(Store& store, std::string_view name) {
  // Under the write lock, so that the key this process follows (another may have rotated it
  // since this one opened the store) and the row are of the same moment; nothing is written.
  auto txn = WriteTxn::begin(store.db());
  if (!txn) return txn.error();
  if (auto r = store.follow_rotation(); !r) return r.error();
  auto stmt = store.db().prepare(
      "SELECT id, provider, credential_kind, credential_params, secret, secret_nonce, "
      "key_version FROM integrations WHERE name = ?1");
  if (!stmt) return stmt.error();
  auto row = stmt->bind(1, name).step();
  if (!row) return row.error();
  if (!*row) return not_found(name);
  Credential c;
  c.kind = stmt->column_text(2);
  if (!decode_fields(stmt->column_blob(3), c.params)) {
    return make_error(ErrorKind::kIo, "integration " + quoted(name) + ": damaged parameters");
  }
  if (stmt->column_is_null(4)) return c;
  auto plain =
      unseal(store.key(), stmt->column_blob(5), stmt->column_blob(4),
             integration_aad(stmt->column_int(0), stmt->column_text(1), stmt->column_int(6)));
  if (!plain) {
    return make_error(plain.error().kind,
                      "integration " + quoted(name) + ": " + plain.error().detail);
  }
  bool const ok = decode_fields(*plain, c.secret);
  wipe(*plain);
  if (!ok) return make_error(ErrorKind::kIo, "integration " + quoted(name) + ": damaged secret");
  return c;
}

Result<void> check_update(IntegrationUpdate const& update) {
  if (update.provider || update.bucket) {
    return make_error(ErrorKind::kUsage, std::string("an integration's ") +
                                             (update.provider ? "provider" : "bucket") +
                                             " cannot change: create a new integration instead");
  }
  return {};
}

Result<Integration> update_integration(Store& store, std::string_view name,
                                       IntegrationUpdate const& update, Stamp const& stamp) {
  if (auto r = check_update(update); !r) return r.error();
  if (update.rename) {
    if (auto r = validate_name("integration name", *update.rename); !r) return r.error();
  }
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto current = get_integration(store, name);
  if (!current) return current.error();
  std::string target(name);
  if (update.rename && *update.rename != current->name) {
    auto taken = name_taken(db, *update.rename);
    if (!taken) return taken.error();
    if (*taken) {
      return make_error(ErrorKind::kUsage,
                        "an integration named " + quoted(*update.rename) + " exists");
    }
    auto stmt = db.prepare("UPDATE integrations SET name = ?1 WHERE id = ?2");
    if (!stmt) return stmt.error();
    if (auto r = stmt->bind(1, *update.rename).bind(2, current->id).run(); !r) return r.error();
    target += " -> " + *update.rename;
  }
  if (update.credential) {
    if (auto r = validate_credential(current->provider, *update.credential); !r) return r.error();
    auto stmt = db.prepare(
        "UPDATE integrations SET credential_kind = ?1, credential_params = ?2, "
        "status = 'unchecked', status_at = NULL, status_message = '' WHERE id = ?3");
    if (!stmt) return stmt.error();
    if (auto r = stmt->bind(1, update.credential->kind)
                     .bind_blob(2, encode_fields(update.credential->params))
                     .bind(3, current->id)
                     .run();
        !r) {
      return r.error();
    }
    if (auto r = store_secret(store, current->id, current->provider, *update.credential); !r) {
      return r.error();
    }
    target += " (credentials replaced: " + update.credential->kind + ")";
  }
  auto stmt = db.prepare("UPDATE integrations SET updated_at = ?1 WHERE id = ?2");
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, to_unix(stamp.now)).bind(2, current->id).run(); !r) return r.error();
  if (auto r = append_audit(db, stamp, "integration.update", target); !r) return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  return get_integration(store, update.rename ? std::string_view(*update.rename) : name);
}

Result<void> delete_integration(Store& store, std::string_view name, Stamp const& stamp) {
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  auto stmt = db.prepare("DELETE FROM integrations WHERE name = ?1");
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, name).run(); !r) return r.error();
  if (db.changes() == 0) return not_found(name);
  if (auto r = append_audit(db, stamp, "integration.delete", name); !r) return r.error();
  return txn->commit();
}

Result<void> set_integration_status(Store& store, std::string_view name, std::string_view status,
                                    std::string_view message, Instant at) {
  if (status != "unchecked" && status != "ok" && status != "failing") {
    return make_error(ErrorKind::kUsage,
                      "status " + quoted(status) + " is not one of unchecked, ok, failing");
  }
  auto stmt = store.db().prepare(
      "UPDATE integrations SET status = ?1, status_message = ?2, status_at = ?3 WHERE name = ?4");
  if (!stmt) return stmt.error();
  if (auto r = stmt->bind(1, status).bind(2, message).bind(3, to_unix(at)).bind(4, name).run();
      !r) {
    return r.error();
  }
  if (store.db().changes() == 0) return not_found(name);
  return {};
}

Result<void> stamp_integration_used(Store& store, std::string_view name, Instant at) {
  auto stmt = store.db().prepare(
      "UPDATE integrations SET last_used_at = ?1 WHERE name = ?2 "
      "AND (last_used_at IS NULL OR last_used_at < ?1 - 60)");
  if (!stmt) return stmt.error();
  return stmt->bind(1, to_unix(at)).bind(2, name).run();
}

}  // namespace presign::store
