#pragma once
/// One module per cloud behind one small interface (`Provider`): what a bucket URI names,
/// which settings apply, how to validate them without any secret, where its credentials come
/// from (an auth::CredentialSource), and how to make the signer and the page fetcher from the
/// credentials found — once per job, shared by both. The program (app/) turns its options into
/// `SignSettings` / `ListSettings`; a server will fill them from a request and a stored
/// integration. Each cloud lives in its own folder (providers/s3, providers/gcs,
/// providers/azure); adding one means a folder and a line in providers/src/provider.cpp.
///
/// Messages name a setting by its command-line flag (`--expires`, `--ip`): that is how the
/// settings are documented, for the program and for the service alike.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/io/gcs_keyless_signer.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/azure_sas.hpp"
#include "presign/signers/gcs_v4.hpp"
#include "presign/signers/sigv4.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace presign::providers {

/// SCHEME://BUCKET[/PREFIX], split at the first "://" and the next '/'. For az:// the bucket
/// is the storage account and the container is the first segment of `prefix`.
struct BucketUri {
  std::string scheme;
  std::string bucket;
  std::string prefix;
};

/// Splits a bucket URI; usage errors for a missing "://" or an empty bucket. The scheme is not
/// checked here (`provider_for` does that).
Result<BucketUri> parse_bucket_uri(std::string_view uri);

/// Reads one environment variable (credentials, region and endpoint defaults); injectable.
using auth::EnvLookup;
using auth::process_env;

/// Where to look for credentials, beyond the environment.
struct CredentialSettings {
  std::string credentials_file;             ///< gs: --credentials FILE
  std::string access_token;                 ///< gs: --access-token (listing)
  bool listing_only = false;                ///< `presign ls`: a listing token is enough (gs)
  std::string profile;                      ///< s3: --profile (empty: AWS_PROFILE, else default)
  std::string impersonate_service_account;  ///< gs: sign (keyless, IAM signBlob) as EMAIL
};

/// What to sign. No secrets: credentials are found by the provider (`make_signer`).
struct SignSettings {
  std::string method = "GET";
  std::int64_t expires_seconds = 3600;
  std::string expires_text = "3600";        ///< the lifetime as written, for messages
  SigningTime when{};                       ///< the instant every URL is signed at
  std::string endpoint;                     ///< empty: the provider's default (or its environment)
  std::string region;                       ///< s3
  std::string profile;                      ///< s3: --profile (its region is the default)
  std::string addressing = "auto";          ///< auto | virtual | path (s3, gs)
  std::string credentials_file;             ///< gs: a service-account JSON or HMAC key file
  std::string impersonate_service_account;  ///< gs: sign through IAM signBlob as EMAIL
  std::string response_content_disposition;
  std::string response_content_type;
  // az:// only (service SAS fields)
  std::string permissions = "r";
  std::string start;  ///< RFC 3339 (st)
  std::string ip;     ///< sip
  bool https_only = false;
  std::string sas_version;
  std::string response_cache_control;
  std::string response_content_encoding;
  std::string response_content_language;
  std::string snapshot;
  std::string version_id;
};

/// How to list.
struct ListSettings {
  std::string endpoint;             ///< empty: the provider's default (or its environment)
  std::string region;               ///< s3
  std::string profile;              ///< s3: --profile (its region is the default)
  std::string addressing = "auto";  ///< s3, gs
  std::string credentials_file;     ///< gs
  std::string access_token;         ///< gs: an OAuth2 token (else GOOGLE_OAUTH_ACCESS_TOKEN)
  std::string impersonate_service_account;  ///< gs (refused elsewhere)
  std::string ca_bundle;                    ///< trust these CAs instead of the system's
  bool no_verify_ssl = false;               ///< accept any certificate (explicit only)
  std::string start_after;                  ///< s3 only
  std::uint32_t page_size = 0;              ///< 0: the provider's maximum
  int max_attempts = 0;                     ///< 0: io::kListingMaxAttempts
  /// The backoff base; unset: the provider profile's (AWS and GCS 1 s, Azure 0.8 s).
  std::optional<std::chrono::milliseconds> retry_base;
  /// Told about each retry of a page or token request; empty: nobody.
  io::RetryObserver on_retry;
  /// Told what the user should know while the listing goes on (no secrets): temporary
  /// credentials that could not be refreshed ahead of their end. Empty: nobody.
  std::function<void(std::string const&)> on_warning;
  /// Where the job's credentials came from when the caller chose the source (a stored
  /// integration) rather than `Provider::credential_source`: expiring credentials are refreshed
  /// from it. Empty: the provider's own source.
  std::shared_ptr<auth::CredentialSource const> credentials_source;
};

/// The batch signers (presign/signers/signer.hpp); `std::visit` runs a job with one. GCS has
/// two: a key signs locally (`GcsPresigner`), keyless signing goes through IAM signBlob
/// (`io::GcsKeylessSigner`, a `signers::RemoteSigner`).
using AnySigner = std::variant<signers::sigv4::S3Presigner, signers::gcs::GcsPresigner,
                               signers::azure::AzureSasSigner, io::GcsKeylessSigner>;

struct SignerSetup {
  AnySigner signer;
  SigningTime expires_at{};           ///< when the URLs stop working
  std::vector<std::string> warnings;  ///< to show the user (no secrets)
  /// When what signs the URLs ends, if that is not `Credentials::expires`: an Azure user
  /// delegation key's SignedExpiry (the Entra token that fetched it may end sooner; the URLs
  /// do not care). `effective_expiry` uses it, and `credentials_origin` in its messages.
  std::optional<SigningTime> credentials_end{};
  std::string credentials_origin{};
};

/// Where an object's key lives, for output formats that name it (Labelbox global keys).
struct ObjectLocation {
  std::string bucket;      ///< the bucket, or for az:// the container
  std::string uri_prefix;  ///< "s3://BUCKET/", "gs://BUCKET/", "az://ACCOUNT/CONTAINER/"
};

class Provider {
 public:
  virtual ~Provider() = default;
  /// "s3", "gs", "az".
  [[nodiscard]] virtual std::string_view scheme() const noexcept = 0;
  /// The largest page one listing request returns.
  [[nodiscard]] virtual std::uint32_t max_page_size() const noexcept = 0;
  /// The key prefix a listing of `uri` asks for (az://: what follows the container).
  [[nodiscard]] virtual std::string listing_prefix(BucketUri const& uri) const;
  /// Where the keys of `uri` live (az://: the container is the bucket).
  [[nodiscard]] virtual ObjectLocation location(BucketUri const& uri) const;

  /// Checks every setting that needs no secret (usage errors), reading nothing.
  [[nodiscard]] virtual Result<void> check_sign(BucketUri const& uri,
                                                SignSettings const& s) const = 0;
  /// Checks the listing settings that need no secret (usage errors): the flags, and the
  /// target (bucket, region, endpoint, with their defaults from `env`).
  [[nodiscard]] virtual Result<void> check_list(BucketUri const& uri, ListSettings const& s,
                                                EnvLookup const& env) const = 0;
  /// Where this cloud's credentials for `uri` are found (nothing is read yet).
  [[nodiscard]] virtual std::unique_ptr<auth::CredentialSource> credential_source(
      BucketUri const& uri, CredentialSettings const& s, EnvLookup const& env) const = 0;
  /// `check_sign`, then the signer with `creds` (region and endpoint defaults from `env`).
  /// kConfig when `creds` are not this cloud's.
  [[nodiscard]] virtual Result<SignerSetup> make_signer(BucketUri const& uri, SignSettings const& s,
                                                        auth::Credentials const& creds,
                                                        EnvLookup const& env) const = 0;
  /// `check_list`, then the page fetcher with `creds`. Makes no request.
  [[nodiscard]] virtual Result<std::unique_ptr<io::PageFetcher>> make_page_fetcher(
      BucketUri const& uri, ListSettings const& s, auth::Credentials const& creds,
      EnvLookup const& env) const = 0;
};

/// The provider of `scheme`, or a usage error naming the supported schemes.
Result<Provider const*> provider_for(std::string_view scheme);

}  // namespace presign::providers
