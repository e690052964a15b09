#pragma once
/// Master key rotation. With a key file: the new key is written to `KEYFILE.new` (0600,
/// fsynced), every secret is re-encrypted under it and the key version and check value are
/// replaced in one transaction, then the old key is kept as `KEYFILE.old` (0600) and
/// `KEYFILE.new` is renamed over `KEYFILE`, all under an exclusive lock on `KEYFILE.lock`. A
/// crash before the commit leaves the old key working (the stale `.new` never matches the
/// store and is overwritten by the next rotation); a crash after it leaves `KEYFILE` old and
/// `KEYFILE.new` right, and the next open finishes the renames (store.hpp).
///
/// With a key given directly or from PRESIGN_MASTER_KEY there is no file to replace: the new
/// key must be given, and the caller tells the user to switch to it.

#include "presign/core/error.hpp"
#include "presign/store/store.hpp"

#include <optional>

namespace presign::store {

struct RotationResult {
  std::int64_t key_version = 0;  ///< after the rotation
  std::int64_t secrets = 0;      ///< secrets re-encrypted
};

/// Test hook: stop after this step to simulate a crash.
enum class RotationStop : std::uint8_t { kNone, kBeforeCommit, kAfterCommit };

/// Rotates to `new_key` (a fresh random key when empty and the store has a key file).
Result<RotationResult> rotate_master_key(Store& store, std::optional<MasterKey> new_key,
                                         Stamp const& stamp,
                                         RotationStop stop = RotationStop::kNone);

}  // namespace presign::store
