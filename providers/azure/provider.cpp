// az://ACCOUNT/CONTAINER[/PREFIX]: Azure Blob SAS URLs, a service SAS signed with the account
// key or a user delegation SAS signed with a key got with an Entra ID token.
//
// Option semantics (README):
//   --permissions   sp letters from "racwdxytmei", any order, no repeats (default r); written
//                   in the service's canonical order.
//   --start         st, RFC 3339; omitted by default (the SAS is valid at once; Microsoft
//                   suggests omitting st or back-dating it against clock skew).
//   --expires       se = signing time + expires (at least 1 s; Azure sets no maximum for a
//                   service SAS signed with the account key).
//   --ip            sip: A.B.C.D, A.B.C.D-E.F.G.H or a CIDR block (written as its range).
//   --https-only    spr=https (default: spr omitted, the service then allows both).
//   --sas-version   sv (default kDefaultSasVersion); 2020-12-06 and later only.
//   --response-{cache-control,content-disposition,content-encoding,content-language,
//               content-type}  rscc, rscd, rsce, rscl, rsct.
//   --snapshot / --version-id  sr=bs / sr=bv for every blob; URLs carry snapshot= / versionid=.
//   --endpoint      overrides the connection string's blob endpoint, e.g. Azurite's
//                   http://127.0.0.1:10000/devstoreaccount1.
//   --method        a SAS URL does not sign the method; the option only checks that the
//                   permissions allow it: GET and HEAD need 'r', PUT needs 'c' or 'w'.
//   --region, --addressing, --credentials do not apply and are refused.
// Credentials: AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY (+ optional
// AZURE_STORAGE_ACCOUNT, which must match the URI's account): a service SAS with the account
// key. Else an Entra ID token (auth/azure_entra.hpp): a user delegation SAS, its key asked of
// the service (Get User Delegation Key) for [signing time, URL expiry], at most 7 days ahead;
// the URLs live as long as the key (SignedExpiry), which effective_expiry checks. Listing
// with the token (Bearer), refreshed from the same chain before it ends.
#include "presign/auth/azure.hpp"
#include "presign/auth/azure_delegation.hpp"
#include "presign/auth/azure_entra.hpp"
#include "presign/io/azure_lister.hpp"
#include "presign/signers/azure_sas.hpp"
#include "presign/signers/azure_shared_key.hpp"

#include "../src/common.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace presign::providers::detail {
namespace {

namespace azure = signers::azure;

// The container: the first segment of the URI's path (az://ACCOUNT/CONTAINER[/PREFIX]).
std::string container_of(BucketUri const& uri) {
  return uri.prefix.substr(0, uri.prefix.find('/'));
}

Error no_container(BucketUri const& uri) {
  return usage("'az://" + uri.bucket + (uri.prefix.empty() ? "" : "/" + uri.prefix) +
               "' names no container: use az://ACCOUNT/CONTAINER[/PREFIX]");
}

class AzureProvider final : public Provider {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "az"; }
  [[nodiscard]] std::uint32_t max_page_size() const noexcept override { return 5000; }

  [[nodiscard]] std::string listing_prefix(BucketUri const& uri) const override {
    auto const slash = uri.prefix.find('/');
    return slash == std::string::npos ? std::string() : uri.prefix.substr(slash + 1);
  }

  [[nodiscard]] ObjectLocation location(BucketUri const& uri) const override {
    std::string const container = container_of(uri);
    return {container, "az://" + uri.bucket + "/" + container + "/"};
  }

  [[nodiscard]] Result<void> check_sign(BucketUri const& uri,
                                        SignSettings const& s) const override {
    if (container_of(uri).empty()) return no_container(uri);
    if (auto r = refuse_settings(
            "az", {{"--region", !s.region.empty()},
                   {"--profile", !s.profile.empty()},
                   {"--credentials", !s.credentials_file.empty()},
                   {"--impersonate-service-account", !s.impersonate_service_account.empty()},
                   {"--addressing", s.addressing != "auto"}});
        !r) {
      return r;
    }
    if (s.expires_seconds < 1) {
      return usage("--expires " + s.expires_text + " is out of range: at least 1 second");
    }
    if ((s.method == "GET" || s.method == "HEAD") && s.permissions.find('r') == std::string::npos) {
      return usage("--method " + s.method + " needs the read permission: add r to --permissions");
    }
    if (s.method == "PUT" && s.permissions.find_first_of("cw") == std::string::npos) {
      return usage(
          "--method PUT needs the create or write permission: e.g. --permissions cw "
          "(a SAS URL does not sign the method; its permissions decide)");
    }
    auto cfg = config(uri, s);
    if (!cfg) return cfg.error();
    return azure::validate_config_except_key(*cfg);
  }

  [[nodiscard]] std::unique_ptr<auth::CredentialSource> credential_source(
      BucketUri const& uri, CredentialSettings const&, EnvLookup const& env) const override {
    return std::make_unique<auth::azure::EnvironmentSource>(uri.bucket, env);
  }

  [[nodiscard]] Result<SignerSetup> make_signer(BucketUri const& uri, SignSettings const& s,
                                                auth::Credentials const& creds,
                                                EnvLookup const&) const override {
    if (auto r = check_sign(uri, s); !r) return r.error();
    auto const* account = std::get_if<auth::azure::AccountCredentials>(&creds.secret);
    auto const* token = std::get_if<auth::OAuthToken>(&creds.secret);
    if (account == nullptr && token == nullptr) return wrong_credentials("az", creds);
    auto cfg = config(uri, s);
    SigningTime const expires_at = s.when + std::chrono::seconds{s.expires_seconds};
    std::optional<SigningTime> key_end;
    std::string key_origin;
    if (account != nullptr) {
      cfg->account_key = account->account_key;
      if (cfg->endpoint.empty()) cfg->endpoint = account->blob_endpoint;
    } else {
      auto key = delegation_key(uri, *cfg, token->token, s, expires_at);
      if (!key) return key.error();
      key_end = auth::azure::delegation_key_expiry(*key).value();
      key_origin = "the user delegation key (got with " + creds.origin + ")";
      cfg->delegation_key = std::move(*key);
    }
    auto signer = azure::AzureSasSigner::create(std::move(*cfg));
    if (!signer) return signer.error();
    SignerSetup setup{std::move(*signer), expires_at, {}};
    setup.credentials_end = key_end;
    setup.credentials_origin = std::move(key_origin);
    if (s.https_only && !std::get<azure::AzureSasSigner>(setup.signer).endpoint_is_https()) {
      setup.warnings.emplace_back(
          "--https-only with an http:// endpoint: the service refuses these URLs over http "
          "(AuthorizationProtocolMismatch)");
    }
    return setup;
  }

  [[nodiscard]] Result<void> check_list(BucketUri const& uri, ListSettings const& s,
                                        EnvLookup const&) const override {
    if (container_of(uri).empty()) return no_container(uri);
    if (auto r = refuse_settings(
            "az", {{"--region", !s.region.empty()},
                   {"--profile", !s.profile.empty()},
                   {"--credentials", !s.credentials_file.empty()},
                   {"--access-token", !s.access_token.empty()},
                   {"--impersonate-service-account", !s.impersonate_service_account.empty()},
                   {"--addressing", s.addressing != "auto" && !s.addressing.empty()}});
        !r) {
      return r;
    }
    if (auto r = check_common_list(*this, s, /*has_start_after=*/false); !r) return r;
    // The target, so a usage error is reported as such on a machine without credentials.
    // (An endpoint from the connection string is checked when used.)
    if (auto t = io::resolve_azure_list_target(lister_config(uri, s)); !t) return t.error();
    return {};
  }

  // List Blobs with Shared Key auth, or with the Entra ID token (io/azure_lister.hpp). The
  // account, credentials and endpoint are the signer's, so the listing and the SAS URLs name
  // the same blobs.
  [[nodiscard]] Result<std::unique_ptr<io::PageFetcher>> make_page_fetcher(
      BucketUri const& uri, ListSettings const& s, auth::Credentials const& creds,
      EnvLookup const& env) const override {
    if (auto r = check_list(uri, s, env); !r) return r.error();
    auto const* account = std::get_if<auth::azure::AccountCredentials>(&creds.secret);
    auto const* token = std::get_if<auth::OAuthToken>(&creds.secret);
    if (account == nullptr && token == nullptr) return wrong_credentials("az", creds);
    io::AzureListerConfig cfg = lister_config(uri, s);
    if (account != nullptr) {
      if (cfg.endpoint.empty()) cfg.endpoint = account->blob_endpoint;
      auto key = azure::shared_key::decode_account_key(uri.bucket, account->account_key);
      if (!key) return key.error();
      cfg.account_key = std::move(*key);
    } else {
      cfg.bearer = token_refresher(*token, creds, env);
    }
    apply_transport(cfg, s, io::RetryProvider::kAzure);
    return io::make_azure_page_fetcher(std::move(cfg));
  }

 private:
  io::AzureListerConfig lister_config(BucketUri const& uri, ListSettings const& s) const {
    io::AzureListerConfig cfg;
    cfg.account = uri.bucket;
    cfg.container = container_of(uri);
    cfg.prefix_for_messages = listing_prefix(uri);
    cfg.endpoint = s.endpoint;
    return cfg;
  }

  // Get User Delegation Key for the URLs' lifetime: from the earlier of now, the signing
  // time and --start, to the URL expiry, but at most 7 days from now (the service's limit;
  // a shorter key is then refused or warned about by effective_expiry).
  static Result<azure::UserDelegationKey> delegation_key(BucketUri const& uri,
                                                         azure::AzureSasConfig const& cfg,
                                                         std::string const& token,
                                                         SignSettings const& s,
                                                         SigningTime expires_at) {
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    SigningTime start = std::min(now, s.when);
    if (cfg.start) start = std::min(start, *cfg.start);
    auth::azure::DelegationKeyRequest r;
    r.endpoint =
        cfg.endpoint.empty() ? "https://" + uri.bucket + ".blob.core.windows.net" : cfg.endpoint;
    r.token = token;
    r.start = start;
    r.expiry = std::min(expires_at, now + auth::azure::kMaxDelegationKeyLifetime);
    r.version = cfg.version;
    return auth::azure::get_user_delegation_key(std::move(r));
  }

  // The listing's bearer tokens: the one found for the job first, then fresh ones from the
  // same chain (auth::azure::default_entra_source) whenever the lister asks.
  static std::function<Result<io::BearerToken>()> token_refresher(auth::OAuthToken const& token,
                                                                  auth::Credentials const& creds,
                                                                  EnvLookup const& env) {
    struct State {
      std::mutex m;
      std::optional<io::BearerToken> first;
      std::unique_ptr<auth::azure::EntraTokenSource> source;
    };
    auto st = std::make_shared<State>();
    st->first = io::BearerToken{token.token, creds.expires.value_or(SigningTime{})};
    st->source = auth::azure::default_entra_source(env);
    return [st]() -> Result<io::BearerToken> {
      std::lock_guard lock(st->m);
      if (st->first) {
        io::BearerToken t = std::move(*st->first);
        st->first.reset();
        return t;
      }
      if (!st->source) {
        return make_error(ErrorKind::kConfig, "no Entra ID source to refresh the token from");
      }
      auto t = st->source->fetch();
      if (!t) return t.error();
      return io::BearerToken{std::move(t->token), t->expires};
    };
  }

  static Result<azure::AzureSasConfig> config(BucketUri const& uri, SignSettings const& s) {
    azure::AzureSasConfig cfg;
    cfg.account = uri.bucket;
    cfg.container = container_of(uri);
    cfg.endpoint = s.endpoint;
    cfg.permissions = s.permissions;
    if (!s.start.empty()) {
      auto t = parse_rfc3339(s.start);
      if (!t) return usage("--start: " + t.error().detail);
      cfg.start = *t;
    }
    cfg.expiry = s.when + std::chrono::seconds{s.expires_seconds};
    cfg.ip = s.ip;
    cfg.protocol = s.https_only ? "https" : "";
    if (!s.sas_version.empty()) cfg.version = s.sas_version;
    cfg.cache_control = s.response_cache_control;
    cfg.content_disposition = s.response_content_disposition;
    cfg.content_encoding = s.response_content_encoding;
    cfg.content_language = s.response_content_language;
    cfg.content_type = s.response_content_type;
    cfg.snapshot = s.snapshot;
    cfg.version_id = s.version_id;
    return cfg;
  }
};

}  // namespace

Provider const& azure_provider() {
  static AzureProvider const p;
  return p;
}

}  // namespace presign::providers::detail
