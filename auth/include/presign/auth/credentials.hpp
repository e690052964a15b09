#pragma once
/// Credentials of the three clouds behind one interface. A `CredentialSource` says where it
/// looks and finds the credentials once; a job hands the same `Credentials` to its signer and
/// to its page fetcher (providers/). The sources today: the AWS default chain (aws.hpp), the
/// GCS chain (gcs.hpp), the Azure environment (azure.hpp), and fixed credentials
/// (`StaticSource`: tests, and the stored cloud integrations of the service). Role chains,
/// metadata servers and web identity are further sources of the same interface.
///
/// Nothing here logs a secret or puts one in an error message; `origin` and `describe` name
/// places (variables, files, flags), never values.

#include "presign/auth/azure_connection_string.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/signers/gcs_v4.hpp"
#include "presign/signers/sigv4.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace presign::auth {

/// An OAuth2 bearer token (GCS listing through the JSON API).
struct OAuthToken {
  std::string token;
};

/// GCS keyless: where the caller's OAuth2 tokens come from, and the service account that
/// signs through IAM signBlob (io/gcs_keyless.hpp). The URL's signature is made with that
/// account's Google-managed key, so a token's expiry does not bound the URL's lifetime.
struct GcsKeyless {
  enum class TokenSource : std::uint8_t {
    kMetadataServer,     ///< the GCE/GKE metadata server at `metadata_host`
    kAuthorizedUser,     ///< ADC user credentials (refresh-token grant)
    kServiceAccountKey,  ///< a key file's own tokens (impersonation from a key)
  };
  TokenSource source = TokenSource::kMetadataServer;
  std::string metadata_host;  ///< host[:port]
  std::string client_id;      ///< kAuthorizedUser
  std::string client_secret;
  std::string refresh_token;
  std::string token_uri;
  std::optional<signers::gcs::ServiceAccountKey> key;  ///< kServiceAccountKey
  /// The service account that signs (--impersonate-service-account, else the metadata
  /// server's default account); empty when only listing.
  std::string sign_as;
  /// `sign_as` was named by --impersonate-service-account: the caller acts as that account,
  /// listing too (with its tokens from IAM generateAccessToken). False for the metadata
  /// server's own default account, whose tokens are the caller's already.
  bool impersonated = false;
};

/// The secret itself, per cloud: an AWS access key (+ session token), a GCS service-account
/// key or HMAC key, a GCS keyless token source, an Azure account key, or a bearer token.
using Secret =
    std::variant<signers::sigv4::Credentials, signers::gcs::ServiceAccountKey,
                 signers::gcs::HmacKey, azure::AccountCredentials, OAuthToken, GcsKeyless>;

struct Credentials {
  Credentials() = default;
  Credentials(Secret s, std::string from) : secret(std::move(s)), origin(std::move(from)) {}

  Secret secret;
  /// Where they were found, for messages: "AWS_ACCESS_KEY_ID", "--credentials FILE", ...
  std::string origin;
  /// The service-account JSON file the key came from, when it came from one (listing reads
  /// its token_uri and private_key_id).
  std::string key_file;
  /// The token-flow fields of a service-account key that came as text rather than a file (a
  /// stored integration's key): listing reads them here instead of from `key_file`.
  std::optional<signers::gcs::oauth::ServiceAccountInfo> key_info;
  /// GCS: a bearer token to list with instead of the key (--access-token or
  /// GOOGLE_OAUTH_ACCESS_TOKEN), and where it came from.
  std::optional<OAuthToken> listing_token;
  std::string listing_token_origin;
  /// When the credentials stop working, when they say (session credentials); unset: unknown.
  /// For GCS keyless signing, the signing token's expiry (which does not end the URLs).
  std::optional<SigningTime> expires;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  /// Finds the credentials. kConfig errors say where was looked; no secret in them.
  [[nodiscard]] virtual Result<Credentials> fetch() const = 0;
  /// Where this source looks, in order, for messages and help texts.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// Credentials held in memory (tests, stored integrations).
class StaticSource final : public CredentialSource {
 public:
  explicit StaticSource(Credentials c) : c_(std::move(c)) {}
  [[nodiscard]] Result<Credentials> fetch() const override { return c_; }
  [[nodiscard]] std::string describe() const override { return c_.origin; }

 private:
  Credentials c_;
};

}  // namespace presign::auth
