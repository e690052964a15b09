// Get User Delegation Key, the answer's parser (see azure_delegation.hpp), apart from the
// request so the fuzz target (tests/fuzz/azure_udk_fuzz.cpp) links no HTTP client.
#include "presign/auth/azure_delegation.hpp"

#include "presign/core/base64.hpp"
#include "presign/io/xml_fields.hpp"

#include <openssl/crypto.h>

#include <utility>

namespace presign::auth::azure {
namespace {

Error protocol_error(std::string m) { return make_error(ErrorKind::kProtocol, std::move(m)); }

}  // namespace

Result<signers::azure::UserDelegationKey> parse_user_delegation_key(std::string_view xml) {
  auto doc = io::read_xml_fields(xml, {},
                                 {"SignedOid", "SignedTid", "SignedStart", "SignedExpiry",
                                  "SignedService", "SignedVersion", "Value"});
  auto wipe = [&] {
    if (!doc) return;
    for (auto& [k, v] : doc->values) OPENSSL_cleanse(v.data(), v.size());
  };
  if (!doc) {
    // Where only: the reader's reason may quote bytes of the Value.
    return protocol_error("the user delegation key answer is not well-formed XML");
  }
  if (doc->root != "UserDelegationKey") {
    wipe();
    return protocol_error("the user delegation key answer's root element is <" +
                          doc->root.substr(0, 64) + ">, not <UserDelegationKey>");
  }
  signers::azure::UserDelegationKey k;
  for (auto const& [name, field] : {std::pair{"SignedOid", &k.signed_oid},
                                    {"SignedTid", &k.signed_tid},
                                    {"SignedStart", &k.signed_start},
                                    {"SignedExpiry", &k.signed_expiry},
                                    {"SignedService", &k.signed_service},
                                    {"SignedVersion", &k.signed_version},
                                    {"Value", &k.value}}) {
    auto it = doc->values.find(name);
    if (it == doc->values.end() || it->second.empty()) {
      wipe();
      OPENSSL_cleanse(k.value.data(), k.value.size());
      return protocol_error(std::string("the user delegation key answer has no ") + name);
    }
    *field = it->second;
  }
  wipe();
  std::string decoded;
  bool const base64_ok = base64_decode(k.value, decoded) && !decoded.empty();
  OPENSSL_cleanse(decoded.data(), decoded.size());
  if (!base64_ok) {
    OPENSSL_cleanse(k.value.data(), k.value.size());
    return protocol_error("the user delegation key's Value is not base64 (not shown)");
  }
  if (!parse_rfc3339(k.signed_expiry)) {
    OPENSSL_cleanse(k.value.data(), k.value.size());
    return protocol_error("the user delegation key's SignedExpiry is not an RFC 3339 time");
  }
  return k;
}

Result<SigningTime> delegation_key_expiry(signers::azure::UserDelegationKey const& key) {
  return parse_rfc3339(key.signed_expiry);
}

}  // namespace presign::auth::azure
