// Entra ID tokens for Azure Storage: client secret, workload identity, managed identity
// (App Service and IMDS), in DefaultAzureCredential's order (see azure_entra.hpp).
#include "presign/auth/azure_entra.hpp"

#include "aws_internal.hpp"  // http_call and read_small_file: shared by every HTTP source

#include "presign/core/text.hpp"
#include "presign/io/http_client.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace presign::auth::azure {
namespace {

using aws::detail::CallPolicy;
using aws::detail::http_call;

Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

struct Cleanse {
  std::string& s;
  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

SigningTime now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void add_form(std::string& body, std::string_view name, std::string_view value) {
  if (!body.empty()) body += '&';
  body += name;
  body += '=';
  signers::append_uri_encoded(body, value, /*keep_slash=*/false);
}

// A short, printable `error` code from an OAuth error answer ("invalid_client"), else "".
// Only the code: error_description may echo request details.
std::string oauth_error_code(std::string const& body) {
  simdjson::dom::parser parser;
  simdjson::padded_string copy(body);
  simdjson::dom::element doc;
  std::string_view code;
  if (parser.parse(copy).get(doc) != simdjson::SUCCESS) return {};
  if (doc["error"].get_string().get(code) != simdjson::SUCCESS) return {};
  if (code.size() > 64) return {};
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.')) {
      return {};
    }
  }
  return std::string(code);
}

// scheme://authority/path of `url`, without its query (which may name a client id).
std::string without_query(std::string const& url) { return url.substr(0, url.find('?')); }

// Sends a token request and reads the answer, mapping failures to messages about `origin`.
Result<EntraToken> request_token(io::HttpRequest req, CallPolicy const& policy,
                                 std::string const& origin, std::string const& hint) {
  std::string const where = without_query(req.url);
  Cleanse wipe_body{req.body};
  auto resp = http_call(std::move(req), policy, "the Entra ID token request to " + where);
  if (!resp) {
    return config_error("could not get an Entra ID token from " + origin + ": " +
                        resp.error().detail);
  }
  Cleanse wipe_answer{resp->body};
  if (resp->status < 200 || resp->status > 299) {
    std::string const code = oauth_error_code(resp->body);
    std::string const what =
        "HTTP " + std::to_string(resp->status) + (code.empty() ? std::string() : ", error " + code);
    Error e = make_error(resp->status == 400 || resp->status == 401 || resp->status == 403
                             ? ErrorKind::kAuth
                             : ErrorKind::kConfig,
                         "the Entra ID token endpoint " + where + " refused " + origin + " (" +
                             what + ")" + (hint.empty() ? "" : "; " + hint));
    e.http_status = resp->status;
    e.provider_code = code;
    return e;
  }
  return parse_token_response(resp->body, now_seconds(), origin);
}

// AZURE_AUTHORITY_HOST (or the public cloud's), checked: https, or http on a loopback address.
Result<std::string> authority_host(EnvLookup const& env) {
  std::string host = std::string(kPublicAuthorityHost);
  if (auto v = env("AZURE_AUTHORITY_HOST")) host = *v;
  while (!host.empty() && host.back() == '/') host.pop_back();
  auto const parsed = io::parse_url(host + "/");
  bool const loopback = host.starts_with("http://127.") || host.starts_with("http://localhost") ||
                        host.starts_with("http://[::1]");
  if (!parsed || host.find('?') != std::string::npos ||
      (!host.starts_with("https://") && !loopback)) {
    return config_error(
        "AZURE_AUTHORITY_HOST must be an https:// URL (http:// only on a loopback address)");
  }
  return host;
}

// Client secret or federated token (workload identity): the v2.0 token endpoint.
class ConfidentialClientSource final : public EntraTokenSource {
 public:
  ConfidentialClientSource(EnvLookup env, bool federated)
      : env_(std::move(env)), federated_(federated) {}

  [[nodiscard]] std::string describe() const override {
    return federated_ ? "workload identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, "
                        "AZURE_FEDERATED_TOKEN_FILE)"
                      : "a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
  }

  [[nodiscard]] Result<EntraToken> fetch() const override {
    std::string const origin = describe();
    auto host = authority_host(env_);
    if (!host) return host.error();
    std::string const tenant = env_("AZURE_TENANT_ID").value_or("");
    std::string const client = env_("AZURE_CLIENT_ID").value_or("");
    bool const tenant_ok =
        !tenant.empty() && tenant.size() <= 128 &&
        tenant.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
            std::string::npos;
    if (!tenant_ok) {
      return config_error(
          "AZURE_TENANT_ID is not a tenant id or domain (letters, digits, '-', '.')");
    }
    io::HttpRequest req;
    req.method = "POST";
    req.url = *host + "/" + tenant + "/oauth2/v2.0/token";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    if (federated_) {
      std::string const file = env_("AZURE_FEDERATED_TOKEN_FILE").value_or("");
      auto assertion = aws::detail::read_small_file(file);
      if (!assertion) {
        return config_error("workload identity (AZURE_FEDERATED_TOKEN_FILE): " +
                            assertion.error().detail);
      }
      Cleanse wipe{*assertion};
      while (!assertion->empty() &&
             (assertion->back() == '\n' || assertion->back() == '\r' || assertion->back() == ' ')) {
        assertion->pop_back();
      }
      if (assertion->empty()) {
        return config_error("workload identity: AZURE_FEDERATED_TOKEN_FILE " + file + " is empty");
      }
      add_form(req.body, "client_assertion", *assertion);
      add_form(req.body, "client_assertion_type",
               "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    } else {
      auto secret = env_("AZURE_CLIENT_SECRET").value_or("");
      Cleanse wipe{secret};
      add_form(req.body, "client_secret", secret);
    }
    add_form(req.body, "client_id", client);
    add_form(req.body, "grant_type", "client_credentials");
    add_form(req.body, "scope", kStorageScope);
    // MSAL's confidential client: a 10 s-ish budget, retried once on 5xx and transport faults.
    CallPolicy const policy{std::chrono::milliseconds{10'000}, 2, std::chrono::milliseconds{500},
                            true};
    return request_token(std::move(req), policy, origin,
                         federated_ ? "check AZURE_CLIENT_ID, AZURE_TENANT_ID and the token "
                                      "in AZURE_FEDERATED_TOKEN_FILE"
                                    : "check AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                                      "AZURE_CLIENT_SECRET");
  }

 private:
  EnvLookup env_;
  bool federated_;
};

// Managed identity: App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER) or IMDS.
class ManagedIdentitySource final : public EntraTokenSource {
 public:
  explicit ManagedIdentitySource(EnvLookup env) : env_(std::move(env)) {
    app_service_ = env_("IDENTITY_ENDPOINT").has_value() && env_("IDENTITY_HEADER").has_value();
  }

  [[nodiscard]] std::string describe() const override {
    return app_service_ ? "managed identity (IDENTITY_ENDPOINT and IDENTITY_HEADER)"
                        : "managed identity (IMDS at " + imds_base() + ")";
  }

  [[nodiscard]] Result<EntraToken> fetch() const override {
    io::HttpRequest req;
    req.method = "GET";
    std::string query;
    CallPolicy policy;
    if (app_service_) {
      req.url = *env_("IDENTITY_ENDPOINT");
      add_form(query, "api-version", "2019-08-01");
      std::string header = *env_("IDENTITY_HEADER");
      req.headers = {{"X-IDENTITY-HEADER", header}};
      OPENSSL_cleanse(header.data(), header.size());
      policy =
          CallPolicy{std::chrono::milliseconds{10'000}, 3, std::chrono::milliseconds{800}, true};
    } else {
      req.url = imds_base() + "/metadata/identity/oauth2/token";
      add_form(query, "api-version", "2018-02-01");
      req.headers = {{"Metadata", "true"}};
      // DefaultAzureCredential probes IMDS briefly: a machine without one fails in ~1 s.
      policy = CallPolicy{std::chrono::milliseconds{1000}, 1, std::chrono::milliseconds{0}, false};
    }
    add_form(query, "resource", kStorageResource);
    if (auto id = env_("AZURE_CLIENT_ID")) add_form(query, "client_id", *id);
    req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + query;
    if (!io::parse_url(req.url)) {
      return config_error(app_service_ ? "IDENTITY_ENDPOINT is not an http(s) URL"
                                       : "AZURE_POD_IDENTITY_AUTHORITY_HOST is not an http URL");
    }
    return request_token(std::move(req), policy, describe(),
                         app_service_ ? "check the identity assigned to the app"
                                      : "check the identity assigned to the machine");
  }

 private:
  std::string imds_base() const {
    std::string base = env_("AZURE_POD_IDENTITY_AUTHORITY_HOST").value_or(std::string(kImdsHost));
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }

  EnvLookup env_;
  bool app_service_ = false;
};

// AZURE_TOKEN_CREDENTIALS: whether `name` (an azure-identity class name) may be used.
bool allowed(EnvLookup const& env, std::string_view name) {
  auto v = env("AZURE_TOKEN_CREDENTIALS");
  if (!v) return true;
  std::string const want = ascii_to_lower(*v);
  if (want == "prod") return true;
  if (want == "dev") return false;
  return want == ascii_to_lower(std::string(name));
}

bool read_number(simdjson::dom::element e, std::int64_t& out) {
  std::int64_t n = 0;
  if (e.get_int64().get(n) == simdjson::SUCCESS) {
    out = n;
    return true;
  }
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > 18) return false;
  n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  out = n;
  return true;
}

}  // namespace

std::unique_ptr<EntraTokenSource> default_entra_source(EnvLookup env) {
  bool const tenant = env("AZURE_TENANT_ID").has_value();
  bool const client = env("AZURE_CLIENT_ID").has_value();
  if (tenant && client && env("AZURE_CLIENT_SECRET") && allowed(env, "EnvironmentCredential")) {
    return std::make_unique<ConfidentialClientSource>(std::move(env), false);
  }
  if (tenant && client && env("AZURE_FEDERATED_TOKEN_FILE") &&
      allowed(env, "WorkloadIdentityCredential")) {
    return std::make_unique<ConfidentialClientSource>(std::move(env), true);
  }
  if (allowed(env, "ManagedIdentityCredential")) {
    return std::make_unique<ManagedIdentitySource>(std::move(env));
  }
  return nullptr;
}

std::string describe_entra_chain() {
  return "an Entra ID token from AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, "
         "else AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE, else managed "
         "identity (IDENTITY_ENDPOINT + IDENTITY_HEADER, else IMDS)";
}

Result<EntraToken> parse_token_response(std::string_view json, SigningTime now,
                                        std::string const& origin) {
  auto bad = [&](char const* why) {
    return config_error("the Entra ID token answer for " + origin + " is not usable: " + why);
  };
  simdjson::dom::parser parser;
  std::string copy(json);
  Cleanse wipe{copy};
  simdjson::padded_string padded(copy);
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj)) {
    OPENSSL_cleanse(padded.data(), padded.size());
    return bad("not a JSON object");
  }
  EntraToken t;
  t.origin = origin;
  std::string_view token;
  bool const has_token = obj["access_token"].get_string().get(token) == simdjson::SUCCESS;
  if (has_token) t.token = std::string(token);
  std::int64_t n = 0;
  simdjson::dom::element e;
  bool have_expiry = false;
  if (obj["expires_on"].get(e) == simdjson::SUCCESS && read_number(e, n) && n > 0) {
    t.expires = SigningTime{std::chrono::seconds{n}};
    have_expiry = true;
  } else if (obj["expires_in"].get(e) == simdjson::SUCCESS && read_number(e, n) && n > 0) {
    t.expires = now + std::chrono::seconds{n};
    have_expiry = true;
  }
  OPENSSL_cleanse(padded.data(), padded.size());
  if (!has_token || t.token.empty()) return bad("no access_token");
  if (t.token.size() > 16384 || t.token.find_first_of(" \r\n\t\"") != std::string::npos) {
    OPENSSL_cleanse(t.token.data(), t.token.size());
    return bad("the access_token is not a bearer token");
  }
  if (!have_expiry) {
    OPENSSL_cleanse(t.token.data(), t.token.size());
    return bad("no expires_on or expires_in");
  }
  return t;
}

}  // namespace presign::auth::azure
