#pragma once
/// AWS Signature Version 4: the generic staged algorithm and the S3 query presigner.
///
/// The stages are public so tests can check each against published vectors (aws-c-auth's
/// `private/aws_signing.h` idea): canonical request → string to sign → signature. The
/// `S3Presigner` precomputes everything constant for a batch (signing key, midstates, URL
/// and query skeletons) and signs one object per call (`sign`) or up to 16 in lockstep
/// (`sign_group`, multi-buffer SHA-256) on the hot path.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/sha256_multi.hpp"
#include "presign/signers/signer.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::signers::sigv4 {

/// Static AWS-style credentials. `session_token` may be empty.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// ---- Generic stages (any service; also used for header auth by the listers) ----

/// An HTTP request as the canonicalisation sees it. Query values are *decoded*; they are
/// encoded (RFC 3986, `/` included) by `canonical_request`.
struct HttpRequestParts {
  std::string method;
  std::string path;  ///< the raw path of the request line, e.g. "/a%20b/c"
  std::vector<std::pair<std::string, std::string>> query;    ///< decoded name/value pairs
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in any case
  std::string payload_hash;  ///< hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

/// Canonical URI options: generic services normalise the path (dot segments removed,
/// repeated '/' folded, trailing '/' kept); S3 signs the path exactly as given.
struct PathOptions {
  bool normalize = true;
};

/// Canonical URI of the raw `path` (stage 1a): optionally normalised, then every byte outside
/// the unreserved set and '/' percent-encoded once.
std::string canonical_uri(std::string_view path, PathOptions options);

/// Canonical request (stage 1). Query pairs are sorted by encoded name then value; header
/// names are lower-cased, values trimmed with inner runs of spaces folded, duplicates joined
/// with ','. Returns the signed-headers list through `signed_headers` when non-null.
std::string canonical_request(HttpRequestParts const& req, PathOptions options,
                              std::string* signed_headers = nullptr);

/// `YYYYMMDD/region/service/aws4_request` (or the given terminator, e.g. goog4_request).
std::string credential_scope(std::string_view day, std::string_view region,
                             std::string_view service,
                             std::string_view terminator = "aws4_request");

/// String to sign (stage 2): algorithm, date, scope, hex SHA-256 of the canonical request.
std::string string_to_sign(std::string_view algorithm, std::string_view amz_date,
                           std::string_view scope, std::string_view canonical_request);

/// Signing key: HMAC chain secret → day → region → service → terminator. `key_prefix` is
/// "AWS4" for AWS and "GOOG4" for GCS HMAC keys.
crypto::Digest derive_signing_key(std::string_view secret, std::string_view day,
                                  std::string_view region, std::string_view service,
                                  std::string_view key_prefix = "AWS4",
                                  std::string_view terminator = "aws4_request");

/// Hex HMAC-SHA256 of the string to sign under the signing key (stage 3).
std::string signature(crypto::Digest const& signing_key, std::string_view string_to_sign);

// ---- S3 query presigning ----

enum class Addressing : std::uint8_t { kAuto, kVirtual, kPath };

/// Everything constant for one batch of S3 presigned URLs.
struct S3PresignConfig {
  Credentials credentials;
  std::string region = "us-east-1";
  std::string bucket;
  /// Empty for AWS; otherwise `scheme://host[:port]` (MinIO, R2, an emulator). A trailing
  /// '/' is accepted; any other path is refused.
  std::string endpoint;
  Addressing addressing = Addressing::kAuto;
  std::string method = "GET";  ///< GET, PUT or HEAD
  std::int64_t expires_seconds = 3600;
  SigningTime signing_time{};
  std::string response_content_disposition;  ///< signed `response-content-disposition`, if set
  std::string response_content_type;         ///< signed `response-content-type`, if set
};

/// S3 allows presigned URLs to live 1 s to 7 days.
inline constexpr std::int64_t kS3MaxExpiresSeconds = 604800;

/// True when botocore would address `bucket` virtual-hosted in auto mode: 3–63 chars of
/// lower-case letters, digits and '-', starting and ending alphanumeric, no dots.
bool is_dns_compatible_bucket(std::string_view bucket) noexcept;

/// S3 SigV4 query presigner (UNSIGNED-PAYLOAD, host the only signed header, key encoded once
/// with '/' kept, no dot-segment normalisation), byte-identical to botocore's
/// `generate_presigned_url`, parameter order included.
class S3Presigner {
 public:
  /// Per-worker scratch (one per thread; not shared). `sign` uses only `encoded_key`. The
  /// group fields belong to `sign_group` / `append_group_url`: the canonical-request tails of
  /// up to 16 lanes (allocated on the first `sign_group`, ~16 × 3.4 KB with a typical query,
  /// then reused), the string-to-sign tails and the hex signatures. Move-only; its state is
  /// the signer's alone.
  class Scratch {
   public:
    /// For tests: the lane buffer and its size (null and 0 until the first `sign_group`).
    [[nodiscard]] char const* lanes_for_test() const noexcept { return lanes.get(); }
    [[nodiscard]] std::size_t lanes_bytes_for_test() const noexcept { return lanes_bytes; }

   private:
    friend class S3Presigner;

    char encoded_key[3 * kMaxKeyBytes];

    std::unique_ptr<char[]> lanes;  ///< kMaxSignGroup canonical-request tails, `stride` apart
    std::size_t lanes_bytes = 0;    ///< size of `lanes`
    /// Which signer's constants the lanes hold (its `lanes_id_`; 0 = none), and where each
    /// lane's copy of the canonical suffix starts: a key of the same encoded length as the
    /// lane's last one finds the suffix already in place.
    std::uint64_t lanes_owner = 0;
    std::size_t suffix_at[kMaxSignGroup] = {};
    char const* key[kMaxSignGroup] = {};  ///< encoded key of each signed object
    std::size_t key_size[kMaxSignGroup] = {};
    SignError error[kMaxSignGroup] = {};
    alignas(64) char sts[kMaxSignGroup][128] = {};  ///< string-to-sign tails (rest + 64 hex)
    char signature[kMaxSignGroup][64] = {};         ///< hex signature of each signed object
  };

  /// Validates `config` (bucket, region, method, expiry 1..604800, endpoint) and derives the
  /// signing key once. Errors are kUsage/kConfig with a message naming the bad value.
  static Result<S3Presigner> create(S3PresignConfig config);

  /// Appends the presigned URL of `object.key` to `out`. noexcept; allocation-free once `out`
  /// has capacity. On error (`kEmptyKey`, `kKeyTooLong`) `out` is unchanged.
  [[nodiscard]] SignError sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept;

  /// Signs the first min(16, objects.size()) objects in lockstep (see `GroupSigner`): their
  /// canonical requests hashed together with `crypto::sha256_finish_many`, whose lower-case
  /// hex lands straight in each lane's string to sign, then the HMACs together with
  /// `crypto::hmac_sha256_finish_many` (the ipad block and the constant head of the string to
  /// sign folded into one shared midstate). `errors[i]` is what `sign` returns for
  /// `objects[i]`. Returns how many objects it took: all of the first 16, or just one if the
  /// scratch's lane buffer could not be allocated (that object is then signed the
  /// single-stream way). noexcept; allocation-free once `scratch` has been used once.
  [[nodiscard]] std::size_t sign_group(std::span<ObjectRef const> objects, Scratch& scratch,
                                       std::span<SignError, kMaxSignGroup> errors) const noexcept;

  /// Appends the URL of object `i` of the last `sign_group` on `scratch` to `out`: the bytes
  /// `sign` appends for it. Appends nothing when that object failed or `i` is out of range.
  /// noexcept; allocation-free once `out` has capacity.
  void append_group_url(Scratch const& scratch, std::size_t i, std::string& out) const noexcept;

  /// Stage outputs for tests (allocate; not for the hot path).
  [[nodiscard]] std::string canonical_request(std::string_view key) const;
  [[nodiscard]] std::string string_to_sign(std::string_view key) const;

  [[nodiscard]] S3PresignConfig const& config() const noexcept { return config_; }
  /// The host that is signed (and appears in URLs), e.g. `bucket.s3.amazonaws.com`.
  [[nodiscard]] std::string const& host() const noexcept { return host_; }
  /// Expiry instant of every URL of the batch.
  [[nodiscard]] SigningTime expires_at() const noexcept {
    return config_.signing_time + std::chrono::seconds{config_.expires_seconds};
  }

 private:
  S3Presigner() = default;
  void signature_hex(std::string_view encoded_key, char* out64) const noexcept;

  S3PresignConfig config_;
  std::string host_;         // signed host (default port stripped)
  std::string url_prefix_;   // "https://host/" or "https://host/bucket/"
  std::string path_prefix_;  // "/" or "/bucket/" (canonical URI head)
  std::string cr_suffix_;    // "\n<canonical query>\nhost:<host>\n\nhost\nUNSIGNED-PAYLOAD"
  std::string query_;        // "?...&X-Amz-Signature=" in botocore's order
  std::string sts_prefix_;   // "AWS4-HMAC-SHA256\n<date>\n<scope>\n"
  crypto::Sha256 cr_head_;   // midstate after "<METHOD>\n<path_prefix>"
  crypto::HmacSha256 key_;   // HMAC keyed with the derived signing key
  crypto::Sha256 sts_head_;  // key_.inner() after absorbing sts_prefix_

  // The same constants as whole-block midstates for the multi-buffer path (sign_group). A
  // lane's message is then "<*_rest_><per-object bytes>" resumed from the midstate.
  crypto::Sha256Midstate cr_mid_{};     // "<METHOD>\n<path_prefix>", whole blocks only
  std::string cr_rest_;                 // its remaining bytes (< 64)
  crypto::Sha256Midstate sts_mid_{};    // ipad block + sts_prefix_, whole blocks only
  std::string sts_rest_;                // the rest of sts_prefix_ (< 64 bytes)
  crypto::Sha256Midstate mac_outer_{};  // opad block of the signing key
  std::size_t lane_stride_ = 0;         // bytes per canonical-request tail in Scratch::lanes
  std::uint64_t lanes_id_ = 0;          // unique per create(); copies share it (same constants)
};

static_assert(Signer<S3Presigner>);
static_assert(GroupSigner<S3Presigner>);

}  // namespace presign::signers::sigv4
