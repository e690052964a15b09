#pragma once
/// Integrations: a named bucket of one provider with the credentials to sign for it. The
/// secret fields are sealed (AES-256-GCM, associated data = row id, provider and key version)
/// and write-only: only `get_integration_secret` returns them, for signing.

#include "presign/core/error.hpp"
#include "presign/store/records.hpp"
#include "presign/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::store {

/// Named fields, in order (an access key id, a role ARN, a key file's bytes...).
using Fields = std::vector<std::pair<std::string, std::string>>;

/// A credential: its kind, the fields that are not secret (shown by `show`), and the secret
/// fields (sealed; empty for kinds that hold no secret). Kinds, by provider:
///   aws:   aws-access-key (secret: access_key_id, secret_access_key[, session_token]),
///          aws-role (role_arn[, external_id]; no secret)
///   gcp:   gcp-key-file (secret: key_file), gcp-hmac (secret: access_id, secret),
///          gcp-impersonate (service_account; no secret)
///   azure: azure-account-key (account_name; secret: account_key),
///          azure-connection-string (secret: connection_string),
///          azure-service-principal (tenant_id, client_id; secret: client_secret)
struct Credential {
  std::string kind;
  Fields params;
  Fields secret;
};

/// kUsage unless `kind` is one of `provider`'s and the secret is present exactly when the
/// kind has one.
Result<void> validate_credential(std::string_view provider, Credential const& c);

struct NewIntegration {
  std::string name;
  std::string provider;  ///< aws, gcp or azure
  std::string bucket;
  std::string region;
  std::string endpoint;
  Credential credential;
};

struct Integration {
  std::int64_t id = 0;
  std::string name;
  std::string provider;
  std::string bucket;
  std::string region;
  std::string endpoint;
  std::string credential_kind;
  Fields credential_params;
  bool has_secret = false;
  Instant created_at;
  Instant updated_at;
  std::optional<Instant> last_used_at;
  std::string status;  ///< unchecked, ok or failing
  std::optional<Instant> status_at;
  std::string status_message;
};

/// What an update may change. Giving `provider` or `bucket` is refused (kUsage): a different
/// bucket or cloud is a new integration.
struct IntegrationUpdate {
  std::optional<std::string> rename;
  std::optional<Credential> credential;
  std::optional<std::string> provider;
  std::optional<std::string> bucket;
};

/// kUsage when the update touches the provider or the bucket ("create a new integration").
Result<void> check_update(IntegrationUpdate const& update);

Result<Integration> add_integration(Store& store, NewIntegration const& spec, Stamp const& stamp);
Result<std::vector<Integration>> list_integrations(Store& store);
/// Without the secret. kNotFound when there is none of that name.
Result<Integration> get_integration(Store& store, std::string_view name);
/// The whole credential, secret decrypted (for signing; never print it).
Result<Credential> get_integration_secret(Store& store, std::string_view name);
Result<Integration> update_integration(Store& store, std::string_view name,
                                       IntegrationUpdate const& update, Stamp const& stamp);
Result<void> delete_integration(Store& store, std::string_view name, Stamp const& stamp);
/// Records a health check's outcome: "unchecked", "ok" or "failing" with a (secret-free)
/// message.
Result<void> set_integration_status(Store& store, std::string_view name, std::string_view status,
                                    std::string_view message, Instant at);
Result<void> stamp_integration_used(Store& store, std::string_view name, Instant at);

/// The associated data a secret of row `id` is sealed with.
std::string integration_aad(std::int64_t id, std::string_view provider, std::int64_t key_version);

/// Serialises fields as length-prefixed pairs, and back (false on damaged bytes).
std::string encode_fields(Fields const& fields);
bool decode_fields(std::string_view bytes, Fields& out);

}  // namespace presign::store
