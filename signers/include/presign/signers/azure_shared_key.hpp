#pragma once
/// Azure Storage "Shared Key" request authorization (the `Authorization: SharedKey
/// ACCOUNT:SIGNATURE` header), for the service API calls presign makes itself: List Blobs.
/// Service versions 2009-09-19 and later (the only layout still accepted by the service).
///
/// Stages, each public so tests can compare them byte for byte with the Azure SDK for Python
/// (`azure.storage.blob._shared.authentication.SharedKeyCredentialPolicy`, Debian's
/// python3-azure-storage) and with Azurite (`BlobSharedKeyAuthenticator`):
///
///   canonicalized_headers  every `x-ms-*` header: name lower-cased and trimmed, value trimmed
///                          of leading and trailing spaces and tabs, `name:value\n`, sorted by
///                          name in byte order (x-ms names are `[a-z0-9-]`, where byte order,
///                          the SDK's weight table and Azurite's localeCompare agree). A name
///                          given twice keeps the values comma-joined in the order given.
///   canonicalized_resource `/ACCOUNT` + the request's URL path exactly as sent (still
///                          percent-encoded), then for each query parameter, names lower-cased
///                          and sorted, `\nname:value` with the *decoded* value; a name given
///                          more than once has its values sorted and comma-joined. Path-style
///                          emulator URLs carry the account in the path too, so Azurite's
///                          `http://127.0.0.1:PORT/devstoreaccount1/c` signs
///                          `/devstoreaccount1/devstoreaccount1/c`, as the Python SDK does.
///   string_to_sign         VERB, Content-Encoding, Content-Language, Content-Length (empty
///                          when "0"), Content-MD5, Content-Type, Date, If-Modified-Since,
///                          If-Match, If-None-Match, If-Unmodified-Since, Range, each followed
///                          by '\n' (an absent header is an empty line), then the canonicalized
///                          headers and the canonicalized resource (no final '\n').
///   authorization          `SharedKey ACCOUNT:` + base64(HMAC-SHA256(decoded key, sts)).
///
/// Secrets: the key is never part of an `Error`; a bad key is reported as "not base64".
/// These functions allocate: they run once per listing request, not per URL.

#include "presign/core/error.hpp"
#include "presign/signers/crypto.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::signers::azure::shared_key {

using NameValues = std::vector<std::pair<std::string, std::string>>;

/// One request as Shared Key sees it.
struct Request {
  std::string method = "GET";
  /// The URL path as sent on the wire (percent-encoded), e.g. "/devstoreaccount1/c" or "/c".
  std::string path = "/";
  /// Query parameters, *decoded* names and values, in any order.
  NameValues query;
  /// Every header sent that matters to the signature (standard ones and x-ms-*); names in
  /// any case. Host, User-Agent and the like may be present: they are not signed.
  NameValues headers;
};

/// See the file comment.
std::string canonicalized_headers(NameValues const& headers);
std::string canonicalized_resource(std::string_view account, Request const& request);
std::string string_to_sign(std::string_view account, Request const& request);
/// `SharedKey ACCOUNT:SIGNATURE` for `string_to_sign`, keyed with the *decoded* account key.
std::string authorization(std::string_view account, std::string_view decoded_key,
                          std::string_view string_to_sign);

/// Decodes an account key as the portal and connection strings give it (standard base64).
/// kConfig "the account key of ACCOUNT ... is not base64" otherwise; never quotes the key.
Result<std::string> decode_account_key(std::string_view account, std::string_view key_base64);

/// Signs requests for one account. Holds the HMAC midstates of the key, so the decoded key
/// is needed only at construction.
class Signer {
 public:
  Signer(std::string account, std::string_view decoded_key);

  /// The Authorization header value for `request` (whose headers must already hold x-ms-date
  /// and x-ms-version), and the string to sign for diagnostics and tests.
  [[nodiscard]] std::string authorization(Request const& request) const;
  [[nodiscard]] std::string string_to_sign(Request const& request) const;
  [[nodiscard]] std::string const& account() const noexcept { return account_; }

 private:
  std::string account_;
  crypto::HmacSha256 key_;
};

}  // namespace presign::signers::azure::shared_key
