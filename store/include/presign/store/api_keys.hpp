#pragma once
/// API keys: created for a user with a role and a validity, shown once, stored as their
/// SHA-256 only; verified by hash lookup and a constant-time comparison, against the user's
/// state and the expiry at every call (no cache: a deleted key, an expired key or a disabled
/// user's key authenticates nothing from the next call on).

#include "presign/core/error.hpp"
#include "presign/store/records.hpp"
#include "presign/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presign::store {

enum class Role : std::uint8_t { kAdmin, kSigner, kViewer };
std::optional<Role> parse_role(std::string_view name) noexcept;
std::string_view role_name(Role role) noexcept;

struct NewApiKey {
  std::string name;  ///< unique in the store (validate_name)
  std::string user_email;
  Role role = Role::kViewer;
  std::int64_t validity_seconds = 0;  ///< from validity_seconds()
};

/// What the store knows of a key (never the key).
struct ApiKeyInfo {
  std::string name;
  std::string user_email;
  Role role = Role::kViewer;
  Instant created_at;
  Instant expires_at;
  std::optional<Instant> last_used_at;
  bool user_disabled = false;
};

/// "active", "expired" or "user-disabled" at `now`.
std::string_view key_state(ApiKeyInfo const& info, Instant now) noexcept;

struct CreatedApiKey {
  std::string key;  ///< the secret: show it once, never store or log it
  ApiKeyInfo info;
};

/// kUsage for a bad or taken name or a validity out of bounds, kNotFound for no such user,
/// kUsage for a disabled user.
Result<CreatedApiKey> create_api_key(Store& store, NewApiKey const& spec, Stamp const& stamp);
Result<std::vector<ApiKeyInfo>> list_api_keys(Store& store);
/// kNotFound when there is no key of that name.
Result<void> delete_api_key(Store& store, std::string_view name, Stamp const& stamp);

enum class KeyVerdict : std::uint8_t {
  kValid,
  kMalformed,    ///< not a key's form (no lookup was made)
  kBadChecksum,  ///< a typo (no lookup was made)
  kUnknown,      ///< no such key (never created, or deleted)
  kExpired,
  kUserDisabled,
};
std::string_view verdict_reason(KeyVerdict v) noexcept;

struct Verification {
  KeyVerdict verdict = KeyVerdict::kUnknown;
  std::optional<ApiKeyInfo> key;  ///< when the key is in the store
};

/// Verifies `key` at `now`: the form first (no lookup for a malformed or mistyped key), then
/// the stored hash, the expiry and the user's state. A valid key's last use is stamped at most
/// once a minute (`last_used_at` older than 60 s, or none). Errors are store failures only.
/// The function the HTTP service will call for every request.
Result<Verification> verify_api_key(Store& store, std::string_view key, Instant now);

}  // namespace presign::store
