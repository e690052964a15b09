#pragma once
/// Azure Blob Storage SAS: a service SAS signed with the account key (shared key), or a user
/// delegation SAS signed with a user delegation key (Get User Delegation Key, with an Entra ID
/// token), byte-identical to the Azure SDK for Python (`azure.storage.blob.generate_blob_sas`
/// with `account_key=` or `user_delegation_key=`, azure-storage-blob 12.15.0b1), parameter
/// order included; the one deliberate difference is a blob name with a backslash, signed as
/// the service reads it (see `canonicalized_resource`).
///
/// Two layers, as in sigv4.hpp:
///   - Stages, public for tests: `make_sas_fields` (validate and normalise a config) →
///     `canonicalized_resource` → `string_to_sign` → `sas_signature` → `sas_token`. They
///     allocate; they are for tests, tools and one-off tokens (a container SAS included).
///   - `AzureSasSigner`, the batch hot path: `create` validates the config, decodes the key
///     and folds the constant head of the string to sign into the HMAC inner midstate;
///     `sign` is noexcept, computes one HMAC-SHA256 per URL and allocates nothing once warm.
///
/// String to sign, every sv from 2020-12-06 on (16 fields joined by '\n', no trailing '\n';
/// an absent field is an empty line; values are the raw, decoded values):
///   sp, st, se, "/blob/ACCOUNT/CONTAINER/BLOB", si, sip, spr, sv, sr, snapshot time or
///   version id, ses, rscc, rscd, rsce, rscl, rsct.
/// Sources that agree: Microsoft's "Create a service SAS" (2020-12-06 and later; its code
/// block drops the final rsct, a docs typo), azure-sdk-for-cpp `BlobSasBuilder`, the Python
/// SDK `_BlobSharedAccessHelper.add_resource_signature`, Azurite
/// `generateBlobSASSignature20201206` (see tests/vectors/azure-sas/NOTES.md).
///
/// User delegation SAS (Microsoft's "Create a user delegation SAS"; Python SDK
/// `add_resource_signature(user_delegation_key=...)`; Azurite `generateBlobSASSignatureWithUDK*`,
/// the live verifier): no si; in its place after the resource come skoid, sktid, skt, ske, sks,
/// skv, saoid, suoid (always empty here), scid; from sv 2025-07-05 on two more (skdutid,
/// sduoid, empty here) after scid; from sv 2026-04-06 on two more (srh, srq, empty here) after
/// ses. The rest is as above. The HMAC key is the base64-decoded key `Value`.
///
/// Token: `st, se, sp, sip, spr, sv, si, sr, rscc, rscd, rsce, rscl, rsct, ses, sig`, each
/// present only when non-empty (a user delegation SAS puts `saoid, scid, skoid, sktid, skt,
/// ske, sks, skv` between ses and sig), values percent-encoded as Python's `urllib.parse.quote`
/// does (RFC 3986 unreserved characters and '/' kept). The snapshot time / version id is signed
/// but, as the Python SDK does, left out of the token: the URL carries it itself as
/// `?snapshot=T&...` or `?versionid=T&...` (placed first, as `BlobClient.url` does).

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/signer.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace presign::signers::azure {

/// The default `sv`: the newest service version that Azurite 3.37.0 (the live verifier)
/// accepts; its shared-key service-SAS layout is the 16-field one above.
inline constexpr std::string_view kDefaultSasVersion = "2026-06-06";
/// The Python SDK's (azure-storage-blob 12.15.0b1) `sv`, which the published vectors
/// (tests/vectors/azure-sas) use.
inline constexpr std::string_view kPythonSdkSasVersion = "2021-12-02";

/// Azure limits blob names to 1,024 characters (not bytes). A name is UTF-8, so at most
/// 4 × 1,024 bytes; names over either bound, and names that are not valid UTF-8, are
/// per-object errors.
inline constexpr std::size_t kMaxBlobNameChars = 1024;
inline constexpr std::size_t kMaxBlobNameBytes = 4 * kMaxBlobNameChars;

/// True for the service versions whose shared-key service-SAS string to sign this file
/// implements: the published versions from 2020-12-06 to 2026-10-06 (the newest one
/// azure-sdk-for-cpp uses with the same 16 fields). Older layouts (13 and 15 fields) and
/// unknown future versions are refused: a wrong layout would only show up as 403s.
[[nodiscard]] bool is_supported_sas_version(std::string_view sv) noexcept;
/// "2020-12-06, 2021-02-12, ..." for error messages and help.
std::string supported_sas_versions();

/// A user delegation key, the fields as Get User Delegation Key answered them (they enter the
/// string to sign and the token verbatim).
struct UserDelegationKey {
  std::string signed_oid;      ///< skoid
  std::string signed_tid;      ///< sktid
  std::string signed_start;    ///< skt, e.g. 2024-01-01T00:00:00Z
  std::string signed_expiry;   ///< ske
  std::string signed_service;  ///< sks ("b")
  std::string signed_version;  ///< skv
  std::string value;           ///< the key, base64 (secret)
};

/// Everything constant for one batch of SAS URLs. A plain aggregate (the Azure SDKs'
/// `BlobSasBuilder` idea); `AzureSasSigner::create` / `make_sas_fields` validate it.
struct AzureSasConfig {
  std::string account;      ///< storage account name, e.g. "devstoreaccount1"
  std::string account_key;  ///< the account key, base64 as the portal shows it (secret)
  /// Set: a user delegation SAS signed with this key (then `account_key` is not used and
  /// `policy_id` is refused).
  std::optional<UserDelegationKey> delegation_key;
  std::string authorized_object_id;  ///< saoid (user delegation only)
  std::string correlation_id;        ///< scid (user delegation only)
  std::string container;             ///< container name (3-63 of a-z 0-9 '-', or $root/$web/$logs)
  /// Empty: `https://ACCOUNT.blob.core.windows.net`. Otherwise `http(s)://host[:port][/path]`
  /// with the account in the path for path-style emulators, e.g.
  /// `http://127.0.0.1:10000/devstoreaccount1`. A trailing '/' is dropped. Not signed.
  std::string endpoint;
  /// sp: letters of "racwdxytmei" (blob) or "racwdxyltfmei" (container), any order, no
  /// repeats; written in that canonical order. Empty only together with `policy_id`.
  std::string permissions = "r";
  std::optional<SigningTime> start;   ///< st; omitted when empty
  std::optional<SigningTime> expiry;  ///< se; required unless `policy_id` is set
  /// sip: "" (any), "A.B.C.D", "A.B.C.D-E.F.G.H" (first <= last) or a CIDR "A.B.C.D/N",
  /// which is written as the range it covers (host bits ignored; /32 as the single address).
  /// IPv4 only: Azure does not accept IPv6 in sip.
  std::string ip;
  std::string protocol;  ///< spr: "" (omitted: the service allows both), "https" or "https,http"
  std::string version = std::string(kDefaultSasVersion);  ///< sv, see is_supported_sas_version
  std::string cache_control;                              ///< rscc: Cache-Control of the response
  std::string content_disposition;                        ///< rscd
  std::string content_encoding;                           ///< rsce
  std::string content_language;                           ///< rscl
  std::string content_type;                               ///< rsct
  /// sr=bs: a snapshot time `YYYY-MM-DDTHH:MM:SS[.fffffff]Z`; URLs get `snapshot=T`.
  std::string snapshot;
  /// sr=bv: a version id (same format as a snapshot time); URLs get `versionid=T`.
  std::string version_id;
  std::string encryption_scope;  ///< ses
  std::string policy_id;         ///< si: a stored access policy on the container (<= 64 chars)
};

/// Which resource a SAS is for (the `sr` field).
enum class SasResource : std::uint8_t { kBlob, kContainer };

/// The validated, normalised values of one SAS, decoded (as they enter the string to sign).
/// Empty means absent.
struct SasFields {
  std::string permissions, start, expiry, identifier, ip, protocol, version;
  std::string resource;        ///< sr: "b", "bs", "bv" or "c"
  std::string snapshot_time;   ///< the snapshot time or version id (field 10), never in the token
  std::string snapshot_param;  ///< "snapshot", "versionid" or "" (the URL parameter for it)
  std::string encryption_scope;
  std::string cache_control, content_disposition, content_encoding, content_language, content_type;
  /// A user delegation SAS: the key's fields (skoid ... skv) and saoid, scid.
  bool user_delegation = false;
  std::string key_oid, key_tid, key_start, key_expiry, key_service, key_version;
  std::string authorized_oid, correlation_id;
};

/// Validates every SAS field of `config` (not the account, key, container or endpoint) and
/// normalises it: permissions in canonical order, times as `YYYY-MM-DDTHH:MM:SSZ`, sip as an
/// address or a range. Errors are kUsage and name the field and the rule.
Result<SasFields> make_sas_fields(AzureSasConfig const& config, SasResource resource);

/// Everything `AzureSasSigner::create` checks except the key: account, container, endpoint
/// and every SAS field (kUsage errors). Lets a caller report usage errors before it looks for
/// credentials.
Result<void> validate_config_except_key(AzureSasConfig const& config);

/// sip normalisation on its own (see AzureSasConfig::ip); "" stays "".
Result<std::string> normalize_ip_range(std::string_view ip);

/// "/blob/ACCOUNT/CONTAINER/BLOB", or "/blob/ACCOUNT/CONTAINER" when `blob` is empty. The raw
/// (decoded) name, never percent-encoded, with every backslash written as '/': the service reads a
/// backslash in a blob name as '/' and verifies the SAS against that name (Azurite's
/// blobStorageContext middleware: "Azure Storage Server will replace [backslash] with "/" in the
/// blob names"). Here presign deliberately differs from the Python SDK, which signs the
/// backslash and so makes SAS URLs the service refuses (403).
std::string canonicalized_resource(std::string_view account, std::string_view container,
                                   std::string_view blob);

/// The string to sign (see the file comment): `string_to_sign_head` (fields before the
/// resource, each followed by '\n'), the resource, then `string_to_sign_tail` (every field
/// after it, each preceded by '\n').
std::string string_to_sign(SasFields const& fields, std::string_view canonicalized_resource);
std::string string_to_sign_head(SasFields const& fields);
std::string string_to_sign_tail(SasFields const& fields);

/// base64(HMAC-SHA256(key, string_to_sign)), with `key` the *decoded* account key (or user
/// delegation key).
std::string sas_signature(std::span<std::uint8_t const> key, std::string_view string_to_sign);

/// The SAS token (no leading '?') in the Python SDK's order, `sig` last.
std::string sas_token(SasFields const& fields, std::string_view signature_base64);

/// A container SAS (sr=c) for `config.container`: validates like `create`, then returns the
/// string to sign or the token. Allocating; for tools and tests.
Result<std::string> container_string_to_sign(AzureSasConfig const& config);
Result<std::string> container_sas_token(AzureSasConfig const& config);

// ---- The batch signer ---------------------------------------------------------------------

/// Blob service SAS URLs for one container: `ENDPOINT/CONTAINER/BLOB?[snapshot=T&]TOKEN`.
/// Immutable after `create`; share one across threads, one Scratch per thread.
class AzureSasSigner {
 public:
  /// Per-worker scratch (20 KiB): the URL being assembled (the percent-encoded name takes
  /// 3 bytes per name byte at most; 4 KiB hold the endpoint, container, query and sig), and
  /// the signed copy of a name that contains a backslash (see canonicalized_resource). Its
  /// buffers are the signer's alone.
  class Scratch {
    friend class AzureSasSigner;
    char url[3 * kMaxBlobNameBytes + 4096];
    char signed_name[kMaxBlobNameBytes];
  };

  /// Validates `config` (account, base64 key — the account key, or the user delegation key's
  /// value when one is given —, container, endpoint, every SAS field), decodes the key once and
  /// precomputes the URL pieces and the HMAC midstate after "sp\nst\nse\n/blob/ACCOUNT/CONTAINER/".
  /// Errors: kUsage for bad options, kConfig for a bad key; messages never contain the key. The key
  /// copy in the config is wiped.
  static Result<AzureSasSigner> create(AzureSasConfig config);

  /// Appends the SAS URL of blob `object.key` to `out`: the name percent-encoded with '/'
  /// kept, one HMAC over the raw name. noexcept; allocation-free once `out` has capacity.
  /// On error `out` is unchanged: kEmptyKey, kKeyTooLong (over 1,024 characters or 4,096
  /// bytes), kInvalidKey (not UTF-8). `object.version` is not used: snapshots and versions
  /// are chosen for the whole batch (AzureSasConfig::snapshot / version_id).
  [[nodiscard]] SignError sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept;

  /// Stage outputs for one blob (allocate; not for the hot path).
  [[nodiscard]] std::string string_to_sign(std::string_view blob) const;
  [[nodiscard]] std::string sas_token(std::string_view blob) const;

  /// The validated, normalised SAS fields every URL of the batch carries.
  [[nodiscard]] SasFields const& fields() const noexcept { return fields_; }
  /// `ENDPOINT/CONTAINER/`, the head of every URL.
  [[nodiscard]] std::string const& url_prefix() const noexcept { return url_prefix_; }
  /// True when the URLs are https:// (false for an http:// endpoint such as Azurite's).
  [[nodiscard]] bool endpoint_is_https() const noexcept { return https_; }

 private:
  AzureSasSigner() = default;

  std::string account_;
  std::string container_;
  SasFields fields_;
  std::string url_prefix_;   // "https://acct.blob.core.windows.net/container/"
  std::string query_head_;   // "?[snapshot=T&]st=...&sr=b[&rsc..][&ses=..]&sig="
  std::string sts_tail_;     // string_to_sign_tail: "\nsi\nsip\n...\nrsct"
  crypto::HmacSha256 key_;   // keyed with the decoded account key
  crypto::Sha256 sts_head_;  // key_.inner() after "sp\nst\nse\n/blob/ACCOUNT/CONTAINER/"
  bool https_ = true;
  bool assemble_ = true;  // the constant URL pieces fit in Scratch::url beside the name
};

static_assert(Signer<AzureSasSigner>);

}  // namespace presign::signers::azure
