#include "keyless.hpp"

#include "presign/auth/gcs_key_file.hpp"
#include "presign/signers/gcs_oauth.hpp"

#include <utility>

namespace presign::providers::detail {

using Source = auth::GcsKeyless::TokenSource;

Result<std::shared_ptr<io::AccessTokenProvider>> keyless_tokens(auth::GcsKeyless const& k,
                                                                std::string const& key_file,
                                                                io::TokenFlowOptions flow,
                                                                std::string const& scope) {
  Result<std::unique_ptr<io::AccessTokenProvider>> made =
      make_error(ErrorKind::kInternal, "no token source");
  switch (k.source) {
    case Source::kMetadataServer: {
      io::MetadataTokenConfig cfg;
      static_cast<io::TokenFlowOptions&>(cfg) = std::move(flow);
      cfg.host = k.metadata_host;
      made = io::make_metadata_token_provider(std::move(cfg));
      break;
    }
    case Source::kAuthorizedUser: {
      io::UserTokenConfig cfg;
      static_cast<io::TokenFlowOptions&>(cfg) = std::move(flow);
      cfg.client_id = k.client_id;
      cfg.client_secret = k.client_secret;
      cfg.refresh_token = k.refresh_token;
      cfg.token_uri = k.token_uri;
      cfg.origin = "ADC user credentials";
      made = io::make_user_token_provider(std::move(cfg));
      break;
    }
    case Source::kServiceAccountKey: {
      if (!k.key) return make_error(ErrorKind::kInternal, "keyless source without its key");
      // token_uri and private_key_id come from the key's JSON file.
      auto info = auth::gcs::load_service_account_info(key_file);
      if (!info) return info.error();
      io::ServiceAccountTokenConfig cfg(*k.key, std::move(*info));
      cfg.scope = scope;
      cfg.http = flow.http;
      cfg.retry = flow.retry;
      cfg.retry_env = std::move(flow.retry_env);
      made = io::make_service_account_token_provider(std::move(cfg));
      break;
    }
  }
  if (!made) return made.error();
  return std::shared_ptr<io::AccessTokenProvider>(std::move(*made));
}

Result<std::shared_ptr<io::AccessTokenProvider>> keyless_listing_tokens(
    auth::GcsKeyless const& k, std::string const& key_file, io::HttpClientOptions const& http,
    ListSettings const& s, EnvLookup const& env) {
  // Named options rather than temporaries (see make_keyless_signer).
  io::TokenFlowOptions flow;
  flow.http = http;
  if (s.retry_base) flow.retry.base_delay = *s.retry_base;
  flow.retry_env.on_retry = s.on_retry;
  if (!k.impersonated) {
    return keyless_tokens(k, key_file, std::move(flow),
                          std::string(signers::gcs::oauth::kReadOnlyScope));
  }
  // The caller's tokens call IAM (cloud-platform scope); the account's list (read-only).
  auto caller = keyless_tokens(k, key_file, flow, io::kCloudPlatformScope);
  if (!caller) return caller.error();
  return impersonated_listing_tokens(std::move(*caller), k.sign_as, http, s, env);
}

Result<std::shared_ptr<io::AccessTokenProvider>> impersonated_listing_tokens(
    std::shared_ptr<io::AccessTokenProvider> caller, std::string const& email,
    io::HttpClientOptions const& http, ListSettings const& s, EnvLookup const& env) {
  if (!io::is_service_account_email(email)) {
    return make_error(ErrorKind::kUsage, "--impersonate-service-account: '" + email +
                                             "' is not a service-account e-mail");
  }
  io::ImpersonatedTokenConfig ic;
  ic.http = http;
  if (s.retry_base) ic.retry.base_delay = *s.retry_base;
  ic.retry_env.on_retry = s.on_retry;
  ic.email = email;
  if (auto base = env(io::kEnvIamCredentialsEndpoint)) ic.endpoint = *base;
  ic.base = std::move(caller);
  auto made = io::make_impersonated_token_provider(std::move(ic));
  if (!made) return made.error();
  return std::shared_ptr<io::AccessTokenProvider>(std::move(*made));
}

Result<io::GcsKeylessSigner> make_keyless_signer(signers::gcs::GcsPresignConfig cfg,
                                                 auth::Credentials const& creds,
                                                 EnvLookup const& env) {
  auto const* k = std::get_if<auth::GcsKeyless>(&creds.secret);
  if (k == nullptr) return make_error(ErrorKind::kInternal, "not keyless credentials");
  if (k->sign_as.empty()) {
    return make_error(ErrorKind::kConfig, "the credentials from " + creds.origin +
                                              " name no service account to sign as (pass "
                                              "--impersonate-service-account EMAIL)");
  }
  if (!io::is_service_account_email(k->sign_as)) {
    return make_error(ErrorKind::kUsage, "--impersonate-service-account: '" + k->sign_as +
                                             "' is not a service-account e-mail");
  }
  // A named default rather than a temporary: g++ 12 warns falsely (-Wmaybe-uninitialized) on
  // the temporary's TLS options once the call is inlined.
  io::TokenFlowOptions flow;
  auto tokens = keyless_tokens(*k, creds.key_file, std::move(flow), io::kCloudPlatformScope);
  if (!tokens) return tokens.error();
  io::SignBlobConfig sb;
  sb.email = k->sign_as;
  if (auto base = env(io::kEnvIamCredentialsEndpoint)) sb.endpoint = *base;
  sb.tokens = std::move(*tokens);
  sb.retry.base_delay = std::chrono::milliseconds(500);
  auto client = io::SignBlobClient::create(std::move(sb));
  if (!client) return client.error();
  cfg.credentials = signers::gcs::ExternalServiceAccount{k->sign_as};
  auto signer = io::GcsKeylessSigner::create(std::move(cfg), std::move(*client));
  if (!signer) return signer.error();
  if (auto ok = signer->check(); !ok) return ok.error();
  return signer;
}

}  // namespace presign::providers::detail
