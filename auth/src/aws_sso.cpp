// IAM Identity Center (SSO) profiles, as botocore's SSOProvider: the access token cached by
// `aws sso login` in ~/.aws/sso/cache/<sha1>.json (SHA-1 of the sso_session name, or of the
// start URL for a legacy profile), then the portal's GetRoleCredentials
// (`GET /federation/credentials?account_id=&role_name=` with `x-amz-sso_bearer_token`).
// Tokens are not refreshed here: an expired one asks the user to log in again.
#include "aws_internal.hpp"
#include "presign/auth/aws_sources.hpp"
#include "presign/core/text.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <string>

namespace presign::auth::aws {
namespace {

struct SsoSettings {
  std::string start_url;
  std::string region;
  std::string account_id;
  std::string role_name;
  std::string cache_key;  // session name, or start URL (legacy)
  std::string login_hint;
};

Result<SsoSettings> settings(SharedConfig const& config, Profile const& profile,
                             std::string const& profile_name) {
  SsoSettings s;
  auto get = [&](char const* k) {
    auto v = profile.get(k);
    return v ? *v : std::string{};
  };
  s.account_id = get("sso_account_id");
  s.role_name = get("sso_role_name");
  s.login_hint = "run aws sso login --profile " + profile_name;
  if (auto const* session = profile.get("sso_session")) {
    auto it = config.sso_sessions.find(*session);
    if (it == config.sso_sessions.end()) {
      return make_error(ErrorKind::kConfig, "profile '" + profile_name + "' names sso_session '" +
                                                *session + "', which is not in " +
                                                config.config_place);
    }
    auto const& sv = it->second;
    s.start_url = sv.get("sso_start_url") ? *sv.get("sso_start_url") : "";
    s.region = sv.get("sso_region") ? *sv.get("sso_region") : "";
    // botocore: a profile may repeat the session's values, but not contradict them.
    for (auto const* k : {"sso_start_url", "sso_region"}) {
      auto const* pv = profile.get(k);
      auto const* svv = sv.get(k);
      if (pv && svv && *pv != *svv) {
        return make_error(ErrorKind::kConfig, std::string("profile '") + profile_name + "': " + k +
                                                  " differs from sso-session '" + *session + "'");
      }
    }
    s.cache_key = *session;
  } else {
    s.start_url = get("sso_start_url");
    s.region = get("sso_region");
    s.cache_key = s.start_url;
  }
  std::string missing;
  for (auto const& [name, v] : {std::pair{"sso_start_url", &s.start_url},
                                {"sso_region", &s.region},
                                {"sso_account_id", &s.account_id},
                                {"sso_role_name", &s.role_name}}) {
    if (v->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    return make_error(ErrorKind::kConfig, "SSO profile '" + profile_name + "' lacks " + missing +
                                              " (" + profile.where + ")");
  }
  return s;
}

// The cached access token; kAuth with the login hint when it is missing or expired.
Result<std::string> cached_token(SourceContext const& ctx, SsoSettings const& s) {
  auto home = ctx.env("HOME");
  auto no_token = [&](std::string why) {
    return make_error(ErrorKind::kAuth, "SSO: " + why + "; " + s.login_hint);
  };
  if (!home) return no_token("no SSO token cache (HOME is not set)");
  std::string const path = *home + "/.aws/sso/cache/" + sso_cache_file_name(s.cache_key);
  auto text = detail::read_small_file(path);
  if (!text) return no_token("no cached SSO token (" + path + " cannot be read)");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(*text);
  OPENSSL_cleanse(text->data(), text->size());
  struct Wipe {
    simdjson::padded_string& p;
    ~Wipe() { OPENSSL_cleanse(p.data(), p.size()); }
  } const wipe{padded};
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
    return no_token("the cached SSO token " + path + " is not a JSON object");
  }
  std::string_view token;
  std::string_view expires;
  if (obj["accessToken"].get_string().get(token) != simdjson::SUCCESS || token.empty() ||
      obj["expiresAt"].get_string().get(expires) != simdjson::SUCCESS) {
    return no_token("the cached SSO token " + path + " lacks accessToken or expiresAt");
  }
  auto when = parse_aws_time(expires);
  if (!when) return no_token("the cached SSO token " + path + " has an unreadable expiresAt");
  if (*when <= ctx.now()) {
    return no_token("the SSO token in " + path + " expired at " + format_rfc3339(*when));
  }
  return std::string(token);
}

}  // namespace

std::string sso_cache_file_name(std::string_view key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(key.data(), key.size(), md, &n, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out + ".json";
}

Result<AwsKeys> sso_credentials(SourceContext const& ctx, SharedConfig const& config,
                                Profile const& profile, std::string const& profile_name) {
  auto s = settings(config, profile, profile_name);
  if (!s) return s.error();
  auto token = cached_token(ctx, *s);
  if (!token) return token.error();
  std::string base;
  if (auto e = ctx.env("AWS_ENDPOINT_URL_SSO"))
    base = *e;
  else if (auto e2 = ctx.env("AWS_ENDPOINT_URL"))
    base = *e2;
  else
    base = "https://portal.sso." + s->region + ".amazonaws.com";
  while (!base.empty() && base.back() == '/') base.pop_back();
  io::HttpRequest req;
  req.url = base + "/federation/credentials?account_id=";
  signers::append_uri_encoded(req.url, s->account_id, false);
  req.url += "&role_name=";
  signers::append_uri_encoded(req.url, s->role_name, false);
  req.headers = {{"x-amz-sso_bearer_token", *token}};
  OPENSSL_cleanse(token->data(), token->size());
  std::string const what = "SSO GetRoleCredentials (" + io::describe_request("GET", req.url) + ")";
  auto resp = detail::http_call(std::move(req), detail::CallPolicy{}, what);
  if (!resp) return resp.error();
  if (resp->status != 200) {
    bool const unauthorized = resp->status == 401 || resp->status == 403;
    Error e = make_error(
        unauthorized ? ErrorKind::kAuth : ErrorKind::kProtocol,
        what + ": HTTP " + std::to_string(resp->status) +
            (unauthorized ? " (the SSO session is invalid or expired; " + s->login_hint + ")"
                          : ""));
    e.http_status = resp->status;
    return e;
  }
  auto keys = parse_sso_role_credentials(resp->body);
  OPENSSL_cleanse(resp->body.data(), resp->body.size());
  return keys;
}

}  // namespace presign::auth::aws
