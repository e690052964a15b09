#pragma once
/// Google Cloud Storage V4 signed URLs, for both kinds of GCS keys:
///   - service-account keys: `GOOG4-RSA-SHA256`, RSASSA-PKCS1-v1_5 with SHA-256 over the
///     string to sign, the signature hex-encoded;
///   - HMAC interoperability keys: `GOOG4-HMAC-SHA256`, the SigV4 HMAC chain with the key
///     prefix "GOOG4", region "auto", service "storage" and terminator "goog4_request".
///
/// Two layers, as in sigv4.hpp:
///   - The generic staged API (`SignedUrlRequest` → `canonicalize` → `signed_url`) covers every
///     field of the googleapis conformance vectors (headers, query parameters, any method,
///     virtual-hosted style, bucket-bound hostnames, hostname / client endpoint / emulator host,
///     universe domains, scheme). Each stage is public so tests check it on its own. It
///     allocates freely; it is for tests, tools and one-off URLs.
///   - `GcsPresigner` is the batch hot path: everything constant for a batch is computed once
///     in `create`, and `sign` is noexcept and allocation-free once warm. Its URLs are
///     byte-identical to Google's Node client (@google-cloud/storage `File#getSignedUrl`,
///     version 'v4'), parameter order included.
///
/// Canonical form (both layers): the object name is percent-encoded byte by byte, every byte
/// outside `A-Z a-z 0-9 - . _ ~` as `%XX` and '/' kept; no dot-segment normalisation. The
/// signed `host` header is the URL's host without its port.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/signer.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace presign::signers::gcs {

// ---- Keys ----------------------------------------------------------------

/// A service-account key: the account's e-mail and its RSA private key, parsed once.
///
/// Copies share one immutable parsed key (reference-counted), so a key can be handed to many
/// signers and threads. Thread-safe. Never prints or returns the key material.
class ServiceAccountKey {
 public:
  /// Parses an e-mail and a PEM private key (unencrypted; PKCS#8 or PKCS#1 RSA of 1,024-4,096
  /// bits), as a key file (auth/gcs_key_file.hpp) holds them. `origin` names the source in
  /// error messages (e.g. the file path); errors are kConfig and never quote key material.
  static Result<ServiceAccountKey> from_pem(std::string client_email, std::string_view pem,
                                            std::string_view origin);

  [[nodiscard]] std::string const& client_email() const noexcept;
  /// Modulus size in bytes (256 for the usual 2,048-bit keys) = signature size.
  [[nodiscard]] std::size_t signature_bytes() const noexcept;
  /// A process-unique id of the parsed key (the per-thread signing state remembers it).
  [[nodiscard]] std::uint64_t id() const noexcept;

  /// RSASSA-PKCS1-v1_5 / SHA-256 signature of `message`, lower-case hex. Allocates; for the
  /// staged API and tests (the hot path signs through `GcsPresigner`).
  [[nodiscard]] Result<std::string> sign_hex(std::string_view message) const;

  /// The parsed key, opaque outside signers/src (gcs_v4_detail.hpp).
  struct Impl;

  [[nodiscard]] Impl const& impl() const noexcept { return *impl_; }

 private:
  explicit ServiceAccountKey(std::shared_ptr<Impl const> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<Impl const> impl_;
};

/// An HMAC interoperability key. The secret is used as text, exactly as written (it looks
/// like base64 but is never decoded): the first signing key is HMAC("GOOG4" + secret, day).
struct HmacKey {
  std::string access_id;
  std::string secret;
};

/// A service account whose key stays elsewhere: keyless signing, where a signing service
/// (the IAM Credentials `signBlob` API, io/gcs_keyless.hpp) signs the string to sign with the
/// account's Google-managed key. URLs say GOOG4-RSA-SHA256 and name `client_email`, exactly
/// as with the account's own key file; the signature bytes come from the caller
/// (`GcsPresigner::append_string_to_sign` / `append_signed_url`).
struct ExternalServiceAccount {
  std::string client_email;
};

/// Either kind of key, or a service account that signs elsewhere.
using Credentials = std::variant<ServiceAccountKey, HmacKey, ExternalServiceAccount>;

// ---- Generic staged API (conformance vectors) --------------------------------------------

enum class Algorithm : std::uint8_t {
  kRsaSha256,   ///< GOOG4-RSA-SHA256 (service-account keys)
  kHmacSha256,  ///< GOOG4-HMAC-SHA256 (HMAC keys)
};

/// "GOOG4-RSA-SHA256" or "GOOG4-HMAC-SHA256".
std::string_view algorithm_name(Algorithm a) noexcept;

/// The algorithm a key signs with, and the id that goes into X-Goog-Credential (the client
/// e-mail or the HMAC access id).
Algorithm algorithm_of(Credentials const& c) noexcept;
std::string const& credential_id(Credentials const& c) noexcept;

/// V4 signed URLs live 1 s to 7 days.
inline constexpr std::int64_t kMaxExpiresSeconds = 604800;

/// Where the request goes (the conformance `urlStyle`).
enum class UrlStyle : std::uint8_t {
  kPathStyle,            ///< https://HOST/BUCKET/OBJECT
  kVirtualHostedStyle,   ///< https://BUCKET.HOST/OBJECT
  kBucketBoundHostname,  ///< https://BUCKET-BOUND-HOSTNAME/OBJECT (a CNAME or load balancer)
};

/// A signed-URL request as the conformance vectors describe one. Header and query values are
/// raw (decoded); the canonicalisation encodes them.
struct SignedUrlRequest {
  std::string method = "GET";  ///< any upper-case HTTP method (GET, PUT, POST, DELETE, ...)
  std::string bucket;
  std::string object;  ///< raw object name; empty addresses the bucket itself
  std::int64_t expires_seconds = 3600;
  SigningTime signing_time{};
  /// Extra headers to sign (names in any case). Names are lower-cased, values trimmed with
  /// runs of 2+ whitespace folded to one space (as the Node client); repeated names are joined
  /// with ','. A `host` entry is replaced by the resolved host. `x-goog-content-sha256`, when
  /// present, replaces UNSIGNED-PAYLOAD as the payload hash.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Extra query parameters, signed and put into the URL (must not repeat an X-Goog-* name of
  /// the signature itself).
  std::vector<std::pair<std::string, std::string>> query_parameters;
  /// "http" / "https", used when the chosen endpoint string has no scheme of its own
  /// (a scheme written in the endpoint wins); empty means https.
  std::string scheme;
  UrlStyle url_style = UrlStyle::kPathStyle;
  std::string bucket_bound_hostname;  ///< `[scheme://]host[:port]` for kBucketBoundHostname
  // The base host, first non-empty wins: hostname, client_endpoint, emulator_hostname, else
  // "storage." + universe_domain. Each is `[scheme://]host[:port]`.
  std::string hostname;
  std::string client_endpoint;
  std::string emulator_hostname;
  std::string universe_domain;  ///< empty = googleapis.com
};

/// The resolved destination of a request.
struct Target {
  std::string scheme;     ///< "https" or "http"
  std::string authority;  ///< host[:port] as it appears in the URL (lower-cased)
  std::string host;       ///< the signed `host` header: the authority without its port
  std::string path;       ///< canonical resource path, encoded ("/bucket/obj%20name")
};

/// Every stage of one request, in order.
struct CanonicalParts {
  Target target;
  std::string canonical_query;    ///< sorted, encoded, without X-Goog-Signature
  std::string canonical_headers;  ///< "name:value\n" lines, sorted by name
  std::string signed_headers;     ///< "host;x-goog-resumable"
  std::string payload_hash;       ///< "UNSIGNED-PAYLOAD" or the x-goog-content-sha256 value
  std::string canonical_request;  ///< stage 1
  std::string string_to_sign;     ///< stage 2
};

/// Scheme, authority, signed host and path of `req` (validates the endpoint fields).
Result<Target> resolve_target(SignedUrlRequest const& req);

/// `YYYYMMDD/auto/storage/goog4_request`.
std::string credential_scope(SigningTime t);

/// Stages 1 and 2 for a key of kind `algorithm` whose credential id is `credential_id`.
/// Errors (kUsage): bad method, expiry outside 1..604800, empty bucket, bad endpoint fields,
/// an extra query parameter that repeats an X-Goog-* signature parameter.
Result<CanonicalParts> canonicalize(SignedUrlRequest const& req, Algorithm algorithm,
                                    std::string_view credential_id);

/// The canonical request alone (stage 1) and the string to sign alone (stage 2).
Result<std::string> canonical_request(SignedUrlRequest const& req, Algorithm algorithm,
                                      std::string_view credential_id);
Result<std::string> string_to_sign(SignedUrlRequest const& req, Algorithm algorithm,
                                   std::string_view credential_id);

/// Stage 3 for HMAC keys: hex HMAC-SHA256 of `sts` under the key derived from the secret
/// (used as text) for the day of `t` (sigv4::derive_signing_key with "GOOG4", "auto",
/// "storage", "goog4_request").
std::string hmac_signature(std::string_view secret, SigningTime t, std::string_view sts);

/// The full signed URL: `scheme://authority/path?<canonical query>&X-Goog-Signature=<hex>`
/// (the conformance vectors' parameter order: sorted, the signature last). An
/// `ExternalServiceAccount` has no key here: kUsage.
Result<std::string> signed_url(SignedUrlRequest const& req, Credentials const& credentials);

// ---- Batch presigning (the hot path) -----------------------------------------------------

enum class Addressing : std::uint8_t {
  kPath,     ///< HOST/BUCKET/OBJECT (the Node client's default)
  kVirtual,  ///< BUCKET.HOST/OBJECT
};

/// Everything constant for one batch of GCS signed URLs.
struct GcsPresignConfig {
  Credentials credentials = HmacKey{};
  std::string bucket;
  /// Empty for Google (https://storage.googleapis.com); otherwise `scheme://host[:port]` (an
  /// emulator, a proxy). A trailing '/' is accepted; any other path is refused. The URL keeps
  /// the authority as given, lower-cased, even a default port (as the conformance vector
  /// "Simple GET with endpoint on client" expects; the Node client's WHATWG URL would drop
  /// ":443"); the signed host never has a port.
  std::string endpoint;
  Addressing addressing = Addressing::kPath;
  std::string method = "GET";  ///< GET, PUT or HEAD
  std::int64_t expires_seconds = 3600;
  SigningTime signing_time{};
  std::string response_content_disposition;  ///< signed `response-content-disposition`, if set
  std::string response_content_type;         ///< signed `response-content-type`, if set
};

/// Everything `GcsPresigner::create` checks except the credentials: bucket name, method,
/// expiry and endpoint, with the same kUsage errors. Lets a caller report usage errors before
/// it looks for credentials.
Result<void> validate_config_except_key(GcsPresignConfig const& config);

/// GCS bucket naming rules: 3-63 characters (up to 222 when dotted, each dot-separated part at
/// most 63) of `a-z 0-9 - _ .`, starting and ending with a letter or digit.
bool is_valid_bucket_name(std::string_view bucket) noexcept;

/// True for names GCS can store: valid UTF-8, no CR or LF, not "." or "..". (Other rules,
/// such as the 1,024-byte limit, are checked separately.) noexcept, no allocation.
bool is_valid_object_name(std::string_view name) noexcept;

/// GCS V4 query presigner: UNSIGNED-PAYLOAD, `host` the only signed header, the object name
/// encoded once with '/' kept. URLs are byte-identical to the Node client's `getSignedUrl`
/// (`version: 'v4'`, actions read/write, `virtualHostedStyle`, `responseType`,
/// `responseDisposition`), including its parameter order: the five X-Goog-* parameters,
/// then response-content-type, then response-content-disposition, then X-Goog-Signature.
class GcsPresigner {
 public:
  /// Per-worker scratch: the encoded key and, for service-account keys, this thread's RSA
  /// signing state (its own copy of the key and a ready EVP_PKEY_CTX, so threads never share
  /// RSA blinding state or its lock). Default-constructible for
  /// tbb::enumerable_thread_specific; the RSA state is made on the first RSA `sign`, and
  /// remade only if the scratch is then used with a signer holding another key. Its state is
  /// the signer's alone.
  class Scratch {
    friend class GcsPresigner;

    struct Rsa;  // defined in gcs_v4_presigner.cpp

    struct RsaDeleter {
      void operator()(Rsa* r) const noexcept;
    };

    char encoded_key[3 * kMaxKeyBytes];
    std::unique_ptr<Rsa, RsaDeleter> rsa;
  };

  /// Validates `config` (bucket name, method, expiry 1..604800, endpoint, credentials) and
  /// precomputes the batch constants (for HMAC keys: the derived signing key; the secret is
  /// not kept). Errors are kUsage (options) or kConfig (credentials), naming the bad value but
  /// never a secret.
  static Result<GcsPresigner> create(GcsPresignConfig config);

  /// Appends the signed URL of `object.key` to `out`. noexcept. With an
  /// `ExternalServiceAccount` there is no key to sign with here: kCryptoFailed (sign through
  /// io::GcsKeylessSigner instead). Our code does not allocate
  /// once `out` has capacity and the scratch is warm (OpenSSL's RSA allocates its own
  /// temporaries internally). On error `out` is unchanged: kEmptyKey, kKeyTooLong, kInvalidKey
  /// (see is_valid_object_name), kCryptoFailed (OpenSSL refused to sign).
  [[nodiscard]] SignError sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept;

  /// Keyless signing (`ExternalServiceAccount`), in two steps around a remote signature:
  /// `append_string_to_sign` appends the string to sign of `object` (what the signing service
  /// signs: RSASSA-PKCS1-v1_5 with SHA-256 over these bytes); `append_signed_url` then appends
  /// the URL carrying `signature` (1..512 raw bytes; else kCryptoFailed). Given the same
  /// signature bytes the URL is byte-identical to what `sign` gives with the account's key
  /// file. Both noexcept, allocation-free once `out` has capacity; the same per-object errors
  /// as `sign`, and `out` unchanged on error. They work for service-account keys too (tests).
  [[nodiscard]] SignError append_string_to_sign(ObjectRef const& object, Scratch& scratch,
                                                std::string& out) const noexcept;
  [[nodiscard]] SignError append_signed_url(ObjectRef const& object, Scratch& scratch,
                                            std::span<std::uint8_t const> signature,
                                            std::string& out) const noexcept;

  /// Stage outputs for tests (allocate; not for the hot path).
  [[nodiscard]] std::string canonical_request(std::string_view key) const;
  [[nodiscard]] std::string string_to_sign(std::string_view key) const;

  [[nodiscard]] Algorithm algorithm() const noexcept { return algorithm_; }

  /// The signed host, e.g. `storage.googleapis.com` or `bucket.storage.googleapis.com`.
  [[nodiscard]] std::string const& host() const noexcept { return host_; }

  /// Expiry instant of every URL of the batch.
  [[nodiscard]] SigningTime expires_at() const noexcept {
    return signing_time_ + std::chrono::seconds{expires_seconds_};
  }

 private:
  GcsPresigner() = default;
  void canonical_digest_hex(std::string_view encoded_key, char* out64) const noexcept;
  [[nodiscard]] bool rsa_sign(Scratch& scratch, std::uint8_t const* digest32,
                              std::size_t& sig_len) const noexcept;

  Algorithm algorithm_ = Algorithm::kHmacSha256;
  [[nodiscard]] SignError encode_key(ObjectRef const& object, Scratch& scratch,
                                     std::size_t& n) const noexcept;

  std::optional<ServiceAccountKey> rsa_key_;  // set for kRsaSha256 with a local key
  SigningTime signing_time_{};
  std::int64_t expires_seconds_ = 0;
  std::string method_;
  std::string host_;         // signed host (no port)
  std::string url_prefix_;   // "https://authority/bucket/" or "https://bucket.authority/"
  std::string path_prefix_;  // "/bucket/" or "/" (canonical URI head)
  std::string cr_suffix_;    // "\n<canonical query>\nhost:<host>\n\nhost\nUNSIGNED-PAYLOAD"
  std::string query_;        // "?X-Goog-...&X-Goog-Signature=" in the Node client's order
  std::string sts_prefix_;   // "GOOG4-...\n<date>\n<scope>\n"
  crypto::Sha256 cr_head_;   // midstate after "<METHOD>\n<path_prefix>"
  crypto::Sha256 sts_head_;  // after sts_prefix_ (RSA: plain SHA-256; HMAC: key_.inner())
  crypto::HmacSha256 key_;   // HMAC keyed with the derived signing key (HMAC keys only)
};

static_assert(Signer<GcsPresigner>);

}  // namespace presign::signers::gcs
