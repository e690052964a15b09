// The IAM Credentials part of the fake GCS server (fake_gcs_server.hpp): signBlob, which signs
// with the server's key, and generateAccessToken, which issues tokens of a service account
// that the JSON listing accepts and that IAM itself does not (a caller's own token is needed
// to call IAM, as Google's).

#include "fake_gcs_detail.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace presign::test::fake_gcs {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kIamPrefix = "/v1/projects/-/serviceAccounts/";
constexpr std::string_view kSignBlob = ":signBlob";
constexpr std::string_view kGenerate = ":generateAccessToken";

Reply unauthenticated() {
  return json_reply(401, R"({"error":{"code":401,"message":"Request had invalid )"
                         R"(authentication credentials.","status":"UNAUTHENTICATED"}})");
}

Reply permission_denied(std::string_view permission) {
  return json_reply(403, R"({"error":{"code":403,"message":"Permission ')" +
                             std::string(permission) +
                             R"(' denied on resource (or it may not exist).",)"
                             R"("status":"PERMISSION_DENIED"}})");
}

Reply not_found() { return json_reply(404, R"({"error":{"code":404,"status":"NOT_FOUND"}})"); }

Reply invalid_argument(std::string_view why) {
  return json_reply(400, R"({"error":{"code":400,"message":")" + json_escape(why) +
                             R"(","status":"INVALID_ARGUMENT"}})");
}

Reply sign_blob(Request const& req, std::string_view email, IamHost& host) {
  {
    std::lock_guard lock(host.mutex);
    std::uint64_t const i = host.counters.sign_requests++;
    if (!host.caller_token(req[http::field::authorization])) {
      ++host.counters.sign_unauthorized;
      return unauthenticated();
    }
    if (i < host.opts.sign_script.size() && host.opts.sign_script[i] != GcsFault::kNone) {
      ++host.counters.sign_faults;
      switch (host.opts.sign_script[i]) {
        case GcsFault::kTooManyRequests429:
          return json_reply(429, R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}})");
        case GcsFault::kUnavailable503:
          return json_reply(503, R"({"error":{"code":503,"status":"UNAVAILABLE"}})");
        case GcsFault::kMalformed200:
          return json_reply(200, R"({"keyId":"k","signedBlob":"%%not base64%%"})");
        case GcsFault::kUnauthorized401:
          return json_reply(401, R"({"error":{"code":401,"status":"UNAUTHENTICATED"}})");
        case GcsFault::kNone:
          break;
      }
    }
    if (host.opts.sign_deny_after > 0 && i >= host.opts.sign_deny_after) {
      // The permission withdrawn mid-job: every later call is refused.
      ++host.counters.sign_denied;
      return permission_denied("iam.serviceAccounts.signBlob");
    }
  }
  if (email.starts_with("denied")) return permission_denied("iam.serviceAccounts.signBlob");
  if (email != host.opts.client_email) return not_found();
  simdjson::dom::parser parser;
  simdjson::padded_string body(req.body());
  simdjson::dom::element doc;
  std::string_view b64;
  std::string payload;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["payload"].get_string().get(b64) != simdjson::SUCCESS ||
      !signers::crypto::base64_decode(b64, payload)) {
    return json_reply(400, R"({"error":{"code":400,"status":"INVALID_ARGUMENT"}})");
  }
  if (host.opts.sign_blob_fixed) {
    std::lock_guard lock(host.mutex);
    if (!host.fixed_answer.empty()) {
      ++host.counters.signatures;
      return json_reply(200, host.fixed_answer);
    }
    payload.clear();
  }
  // RSASSA-PKCS1-v1_5 with SHA-256 over the payload, outside the lock (the key is read-only).
  std::string sig(static_cast<std::size_t>(EVP_PKEY_get_size(host.pkey)), '\0');
  std::size_t len = sig.size();
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool const ok =
      md != nullptr && EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, host.pkey) == 1 &&
      EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<unsigned char const*>(payload.data()), payload.size()) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) return json_reply(500, R"({"error":{"code":500,"status":"INTERNAL"}})");
  sig.resize(len);
  std::string out = R"({"keyId":"fake-key-id","signedBlob":")";
  out += signers::crypto::base64_encode(
      std::span<std::uint8_t const>(reinterpret_cast<std::uint8_t const*>(sig.data()), len));
  out += "\"}";
  std::lock_guard lock(host.mutex);
  ++host.counters.signatures;
  if (host.opts.sign_blob_fixed) host.fixed_answer = out;
  return json_reply(200, std::move(out));
}

// `{"scope": [..], "lifetime": "Ns"}`: at least one scope string, a lifetime of 1..3600 s
// when given (Google's default is 3600 s, its maximum 12 h with a policy; 1 h here).
Reply generate_access_token(Request const& req, std::string_view email, IamHost& host) {
  std::lock_guard lock(host.mutex);
  std::uint64_t const i = host.counters.generate_requests++;
  if (!host.caller_token(req[http::field::authorization])) {
    ++host.counters.generate_unauthorized;
    return unauthenticated();
  }
  if (i < host.opts.generate_script.size()) {
    switch (host.opts.generate_script[i]) {
      case GcsFault::kTooManyRequests429:
        return json_reply(429, R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}})");
      case GcsFault::kUnavailable503:
        return json_reply(503, R"({"error":{"code":503,"status":"UNAVAILABLE"}})");
      case GcsFault::kMalformed200:
        return json_reply(200, R"({"accessToken":"ya29.half-an-answer"})");
      case GcsFault::kUnauthorized401:
        return unauthenticated();
      case GcsFault::kNone:
        break;
    }
  }
  if (email.starts_with("denied")) return permission_denied("iam.serviceAccounts.getAccessToken");
  if (email != host.opts.client_email) return not_found();
  simdjson::dom::parser parser;
  simdjson::padded_string body(req.body());
  simdjson::dom::element doc;
  simdjson::dom::array scopes;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["scope"].get_array().get(scopes) != simdjson::SUCCESS || scopes.size() == 0) {
    return invalid_argument("scope is required");
  }
  for (auto s : scopes) {
    if (!s.is_string()) return invalid_argument("scope must be strings");
  }
  std::int64_t lifetime = 3600;
  std::string_view text;
  if (auto e = doc["lifetime"]; e.error() == simdjson::SUCCESS) {
    if (e.get_string().get(text) != simdjson::SUCCESS || text.size() < 2 || text.back() != 's') {
      return invalid_argument("lifetime must be a duration in seconds such as \"3600s\"");
    }
    lifetime = 0;
    for (char c : text.substr(0, text.size() - 1)) {
      if (c < '0' || c > '9' || lifetime > 100000) return invalid_argument("bad lifetime");
      lifetime = lifetime * 10 + (c - '0');
    }
    if (lifetime < 1 || lifetime > 3600) return invalid_argument("lifetime out of range");
  }
  std::string const token =
      host.issue_impersonated(std::string(email), std::chrono::seconds(lifetime));
  ++host.counters.access_tokens_generated;
  auto const expires = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                       std::chrono::seconds(lifetime);
  return json_reply(200, "{\"accessToken\":\"" + token + "\",\"expireTime\":\"" +
                             format_rfc3339(expires) + "\"}");
}

}  // namespace

bool is_iam_request(std::string_view target) {
  return target.starts_with(kIamPrefix) &&
         (target.ends_with(kSignBlob) || target.ends_with(kGenerate));
}

Reply iam_reply(Request const& req, IamHost& host) {
  std::string_view const target = req.target();
  if (req.method() != http::verb::post || !is_iam_request(target)) return not_found();
  std::string_view const rest = target.substr(kIamPrefix.size());
  if (rest.ends_with(kSignBlob)) {
    return sign_blob(req, rest.substr(0, rest.size() - kSignBlob.size()), host);
  }
  return generate_access_token(req, rest.substr(0, rest.size() - kGenerate.size()), host);
}

}  // namespace presign::test::fake_gcs
