#pragma once
/// Get User Delegation Key: the key a user delegation SAS is signed with, asked of the Blob
/// service with an Entra ID token (azure_entra.hpp).
///
/// Request: `POST {blob endpoint}/?restype=service&comp=userdelegationkey` with
/// `Authorization: Bearer TOKEN`, `x-ms-version`, `x-ms-date` and the body
/// `<?xml version="1.0" encoding="utf-8"?><KeyInfo><Start>T</Start><Expiry>T</Expiry></KeyInfo>`
/// (times `YYYY-MM-DDTHH:MM:SSZ`; the service allows an expiry at most 7 days ahead).
/// Answer: `<UserDelegationKey>` with SignedOid, SignedTid, SignedStart, SignedExpiry,
/// SignedService, SignedVersion and Value, read with io's strict XML reader.

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/azure_sas.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace presign::auth::azure {

/// The longest a user delegation key may live (the service refuses a later Expiry).
inline constexpr std::chrono::seconds kMaxDelegationKeyLifetime{7 * 24 * 3600};

/// Reads a Get User Delegation Key answer. Every field is required and non-empty, SignedExpiry
/// must be an RFC 3339 time, Value valid base64. kProtocol errors naming the field; the Value
/// is never quoted. Public for the fuzz target (tests/fuzz/azure_udk_fuzz.cpp).
Result<signers::azure::UserDelegationKey> parse_user_delegation_key(std::string_view xml);

/// The key's SignedExpiry as a time (parse_user_delegation_key has checked it parses).
Result<SigningTime> delegation_key_expiry(signers::azure::UserDelegationKey const& key);

struct DelegationKeyRequest {
  std::string endpoint;  ///< the blob endpoint, e.g. https://ACCOUNT.blob.core.windows.net
  std::string token;     ///< Entra ID access token (secret)
  SigningTime start{};
  SigningTime expiry{};
  std::string version;  ///< x-ms-version
};

/// Sends the request (retried on 5xx and transport faults, Azure's storage policy). Errors:
/// kAuth for 401/403 (naming the account's endpoint and the service's error code), kConfig for
/// anything else; never the token.
Result<signers::azure::UserDelegationKey> get_user_delegation_key(DelegationKeyRequest request);

}  // namespace presign::auth::azure
