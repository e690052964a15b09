// Master key rotation; the crash analysis is in rotate.hpp and store.hpp.
#include "presign/store/rotate.hpp"

#include "presign/store/integrations.hpp"
#include "presign/store/key_file.hpp"
#include "presign/store/records.hpp"

#include <vector>

namespace presign::store {
namespace {

struct SealedRow {
  std::int64_t id;
  std::string provider;
  std::string secret;
  std::string nonce;
  std::int64_t key_version;
};

}  // namespace

Result<RotationResult> rotate_master_key(Store& store, std::optional<MasterKey> new_key,
                                         Stamp const& stamp, RotationStop stop) {
  bool const with_file = !store.key_file().empty();
  if (!new_key) {
    if (!with_file) {
      return make_error(ErrorKind::kUsage,
                        "the master key comes from PRESIGN_MASTER_KEY: give the new key with "
                        "--new-key-file");
    }
    auto fresh = random_master_key();
    if (!fresh) return fresh.error();
    new_key = *fresh;
  }
  if (*new_key == store.key()) {
    return make_error(ErrorKind::kUsage, "the new master key is the current one");
  }
  // Held until the key file is replaced (key_file.hpp says why).
  std::optional<KeyFileLock> lock;
  if (with_file) {
    auto l = KeyFileLock::acquire(store.key_file());
    if (!l) return l.error();
    lock.emplace(std::move(*l));
    // The key file may have changed while this process waited for the lock.
    auto current = read_key_file(store.key_file());
    if (!current) return current.error();
    if (!(*current == store.key())) {
      return make_error(ErrorKind::kConfig, "the store's master key changed meanwhile; try again");
    }
    if (auto r = write_key_file(store.key_file() + ".new", *new_key, true); !r) return r.error();
  }
  Db& db = store.db();
  auto txn = WriteTxn::begin(db);
  if (!txn) return txn.error();
  // The key version is read again under the write lock (another process may have rotated).
  auto version = db.query_int("SELECT value FROM meta WHERE name = 'key_version'");
  if (!version) return version.error();
  if (*version != store.key_version()) {
    return make_error(ErrorKind::kConfig, "the store's master key changed meanwhile; try again");
  }
  std::int64_t const next = *version + 1;
  std::vector<SealedRow> rows;
  {
    auto sel = db.prepare(
        "SELECT id, provider, secret, secret_nonce, key_version FROM integrations "
        "WHERE secret IS NOT NULL");
    if (!sel) return sel.error();
    for (;;) {
      auto row = sel->step();
      if (!row) return row.error();
      if (!*row) break;
      rows.push_back(SealedRow{sel->column_int(0), sel->column_text(1), sel->column_blob(2),
                               sel->column_blob(3), sel->column_int(4)});
    }
  }
  for (SealedRow const& r : rows) {
    auto plain =
        unseal(store.key(), r.nonce, r.secret, integration_aad(r.id, r.provider, r.key_version));
    if (!plain) return plain.error();
    auto sealed = seal(*new_key, *plain, integration_aad(r.id, r.provider, next));
    wipe(*plain);
    if (!sealed) return sealed.error();
    auto stmt = db.prepare(
        "UPDATE integrations SET secret = ?1, secret_nonce = ?2, key_version = ?3 WHERE id = ?4");
    if (!stmt) return stmt.error();
    if (auto w = stmt->bind_blob(1, sealed->ciphertext)
                     .bind_blob(2, sealed->nonce)
                     .bind(3, next)
                     .bind(4, r.id)
                     .run();
        !w) {
      return w.error();
    }
  }
  auto meta = db.prepare(
      "UPDATE meta SET value = CASE name WHEN 'key_check' THEN ?1 ELSE ?2 END "
      "WHERE name IN ('key_check', 'key_version')");
  if (!meta) return meta.error();
  if (auto r = meta->bind_blob(1, key_check_value(*new_key)).bind(2, next).run(); !r) {
    return r.error();
  }
  if (auto r = append_audit(db, stamp, "master_key.rotate",
                            "key version " + std::to_string(next) + ", " +
                                std::to_string(rows.size()) + " secrets re-encrypted");
      !r) {
    return r.error();
  }
  if (stop == RotationStop::kBeforeCommit) return make_error(ErrorKind::kCancelled, "stopped");
  if (auto r = txn->commit(); !r) return r.error();
  MasterKey const old = store.key();
  store.set_key(*new_key, next);
  if (stop == RotationStop::kAfterCommit) return make_error(ErrorKind::kCancelled, "stopped");
  if (with_file) {
    if (auto r = finish_key_file_rotation(store.key_file(), old); !r) return r.error();
  }
  return RotationResult{next, static_cast<std::int64_t>(rows.size())};
}

}  // namespace presign::store
