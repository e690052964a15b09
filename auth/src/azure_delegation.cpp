// Get User Delegation Key, the request (see azure_delegation.hpp); the answer's parser is
// azure_delegation_parse.cpp.
#include "presign/auth/azure_delegation.hpp"

#include "aws_internal.hpp"  // http_call: one HTTP call with timeouts and retries

#include "presign/core/http_date.hpp"
#include "presign/io/http_client.hpp"
#include "presign/io/retry.hpp"

#include <openssl/crypto.h>

#include <utility>

namespace presign::auth::azure {
Result<signers::azure::UserDelegationKey> get_user_delegation_key(DelegationKeyRequest r) {
  std::string base = r.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  io::HttpRequest req;
  req.method = "POST";
  req.url = base + "/?restype=service&comp=userdelegationkey";
  std::string const where = base + "/?comp=userdelegationkey";
  auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  req.headers = {{"Authorization", "Bearer " + r.token},
                 {"x-ms-version", r.version},
                 {"x-ms-date", format_http_date(now)},
                 {"Content-Type", "application/xml"}};
  OPENSSL_cleanse(r.token.data(), r.token.size());
  req.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>" +
             format_rfc3339(r.start) + "</Start><Expiry>" + format_rfc3339(r.expiry) +
             "</Expiry></KeyInfo>";
  // Azure Storage's retry policy: 4 attempts, 0.8 s base (docs/RELIABILITY.md §1.2).
  aws::detail::CallPolicy const policy{std::chrono::milliseconds{30'000}, 4,
                                       std::chrono::milliseconds{800}, true};
  auto resp = aws::detail::http_call(std::move(req), policy, "Get User Delegation Key at " + where);
  if (!resp) {
    Error e = resp.error();
    e.kind = ErrorKind::kConfig;
    return e;
  }
  if (resp->status < 200 || resp->status > 299) {
    Error e = io::error_from_response(*resp, "POST", where);
    bool const refused = resp->status == 401 || resp->status == 403;
    e.kind = refused ? ErrorKind::kAuth : ErrorKind::kConfig;
    e.detail = std::string(refused ? "Azure Storage refused the Entra ID token"
                                   : "Azure Storage did not give a user delegation key") +
               " (Get User Delegation Key" +
               (refused ? ": the identity needs a role such as Storage Blob Delegator, or "
                          "the token's audience or tenant is wrong"
                        : "") +
               "); " + e.detail;
    return e;
  }
  auto key = parse_user_delegation_key(resp->body);
  OPENSSL_cleanse(resp->body.data(), resp->body.size());
  if (!key) {
    Error e = key.error();
    e.kind = ErrorKind::kConfig;
    e.detail = where + ": " + e.detail;
    return e;
  }
  return key;
}

}  // namespace presign::auth::azure
