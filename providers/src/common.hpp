#pragma once
// What the provider modules share (internal to presign_providers): the checks every listing
// makes whatever the cloud, the retry profile applied to a fetcher's config, and the one
// provider object of each cloud (defined in providers/<cloud>/).

#include "presign/providers/provider.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace presign::providers::detail {

inline Error usage(std::string message) {
  return make_error(ErrorKind::kUsage, std::move(message));
}

/// Refuses the first of `settings` that is set: "FLAG does not apply to SCHEME://".
Result<void> refuse_settings(std::string_view scheme,
                             std::initializer_list<std::pair<char const*, bool>> settings);

/// Refuses the Azure-only SAS settings (--ip, --start, --sas-version, the rscc/rsce/rscl
/// overrides, --snapshot, --version-id, --https-only, --permissions) for `scheme`, then
/// `extra` (the flags this provider also refuses, in the same message).
Result<void> refuse_sas_settings(std::string_view scheme, SignSettings const& s,
                                 std::pair<char const*, bool> extra);

/// kConfig: `creds` (found for another cloud) do not fit `scheme`.
Error wrong_credentials(std::string_view scheme, auth::Credentials const& creds);

/// The listing checks no provider does differently: page size within the provider's maximum,
/// --start-after only where the provider supports it, --ca-bundle against --no-verify-ssl,
/// and the retry settings' ranges.
Result<void> check_common_list(Provider const& p, ListSettings const& s, bool has_start_after);

/// TLS settings and the retry profile of `provider` with the settings' overrides: what every
/// fetcher config (and the GCS token endpoint) gets.
template <class Config>
void apply_transport(Config& cfg, ListSettings const& s, io::RetryProvider provider) {
  cfg.http.tls.verify_peer = !s.no_verify_ssl;
  cfg.http.tls.ca_bundle_file = s.ca_bundle;
  cfg.retry = io::RetryOptions::for_listing(provider);
  if (s.max_attempts > 0) cfg.retry.max_attempts = s.max_attempts;
  if (s.retry_base) cfg.retry.base_delay = *s.retry_base;
  cfg.retry_env.on_retry = s.on_retry;
}

Provider const& s3_provider();
Provider const& gcs_provider();
Provider const& azure_provider();

}  // namespace presign::providers::detail
