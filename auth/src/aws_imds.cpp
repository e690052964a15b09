// EC2 instance metadata (IMDSv2), as botocore's InstanceMetadataFetcher: PUT a session token
// (TTL 21600 s), GET the role name, GET the role's credentials, each with the token. One
// attempt of 1 s by default (`metadata_service_timeout`, `metadata_service_num_attempts`,
// from AWS_METADATA_SERVICE_TIMEOUT and AWS_METADATA_SERVICE_NUM_ATTEMPTS).
#include "aws_internal.hpp"
#include "presign/auth/aws_sources.hpp"
#include "presign/core/text.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <string>

namespace presign::auth::aws {
namespace {

int env_int(EnvLookup const& env, char const* name, int fallback) {
  auto v = env(name);
  if (!v) return fallback;
  int out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size() || out < 1) return fallback;
  return out;
}

std::string base_url(EnvLookup const& env) {
  std::string base;
  if (auto e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    base = *e;
  } else if (auto m = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
             m && ascii_to_lower(*m) == "ipv6") {
    base = "http://[fd00:ec2::254]";
  } else {
    base = "http://169.254.169.254";
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

}  // namespace

std::optional<Result<AwsKeys>> imds_credentials(SourceContext const& ctx) {
  if (detail::env_true(ctx.env, "AWS_EC2_METADATA_DISABLED")) return std::nullopt;
  detail::CallPolicy policy;
  policy.timeout = std::chrono::seconds(env_int(ctx.env, "AWS_METADATA_SERVICE_TIMEOUT", 1));
  policy.attempts = env_int(ctx.env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1);
  policy.pause = std::chrono::milliseconds(0);
  policy.jitter = false;
  std::string const base = base_url(ctx.env);
  std::string const what = "EC2 instance metadata (" + base + ")";
  auto fail = [&](ErrorKind kind, std::string why, int status = 0) {
    Error e = make_error(kind, what + ": " + std::move(why));
    e.http_status = status;
    return std::optional<Result<AwsKeys>>(e);
  };

  // The session token. 403/404/405: IMDSv1 only (botocore then goes on without a token);
  // 400: a bad request (botocore's BadIMDSRequestError).
  io::HttpRequest put;
  put.method = "PUT";
  put.url = base + "/latest/api/token";
  put.headers = {{"x-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto t = detail::http_call(std::move(put), policy, what);
  if (!t) return std::optional<Result<AwsKeys>>(t.error());
  std::string token;
  int token_status = t->status;
  if (t->status == 200) {
    token = std::move(t->body);
  } else if (t->status == 400) {
    return fail(ErrorKind::kProtocol, "PUT /latest/api/token: HTTP 400 (bad request)", 400);
  } else if (t->status != 403 && t->status != 404 && t->status != 405) {
    return fail(ErrorKind::kProtocol, "PUT /latest/api/token: HTTP " + std::to_string(t->status),
                t->status);
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } const wipe{token};

  auto get = [&](std::string const& path) {
    io::HttpRequest g;
    g.url = base + path;
    if (!token.empty()) g.headers = {{"x-aws-ec2-metadata-token", token}};
    return detail::http_call(std::move(g), policy, what);
  };
  auto explain = [&](std::string const& step, int status) {
    std::string why = step + ": HTTP " + std::to_string(status);
    if (status == 401) {
      why += token.empty()
                 ? " (IMDS requires a session token, and PUT /latest/api/token gave HTTP " +
                       std::to_string(token_status) + ")"
                 : " (the session token was refused)";
    } else if (status == 404) {
      why += " (no IAM role is attached to this instance)";
    }
    return why;
  };
  std::string const path = "/latest/meta-data/iam/security-credentials/";
  auto role = get(path);
  if (!role) return std::optional<Result<AwsKeys>>(role.error());
  if (role->status != 200) {
    return fail(role->status == 401 ? ErrorKind::kAuth : ErrorKind::kConfig,
                explain("GET " + path, role->status), role->status);
  }
  std::string name = role->body.substr(0, role->body.find('\n'));
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
  if (name.empty()) return fail(ErrorKind::kConfig, "no IAM role is attached to this instance");
  if (name.find_first_of("/?#% ") != std::string::npos) {
    return fail(ErrorKind::kProtocol, "the role name it gave is not a path segment");
  }
  auto creds = get(path + name);
  if (!creds) return std::optional<Result<AwsKeys>>(creds.error());
  if (creds->status != 200) {
    return fail(creds->status == 401 ? ErrorKind::kAuth : ErrorKind::kProtocol,
                explain("GET " + path + name, creds->status), creds->status);
  }
  auto keys = parse_metadata_credentials(creds->body, what + " role '" + name + "'");
  OPENSSL_cleanse(creds->body.data(), creds->body.size());
  return std::optional<Result<AwsKeys>>(std::move(keys));
}

}  // namespace presign::auth::aws
