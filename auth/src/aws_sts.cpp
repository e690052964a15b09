// STS AssumeRole (signed with the source credentials, SigV4 service "sts") and
// AssumeRoleWithWebIdentity (unsigned: the token is the proof), as botocore's
// AssumeRoleCredentialFetcher and AssumeRoleWithWebIdentityCredentialFetcher call them: a
// form-encoded POST of the Query protocol, answered in XML.
#include "aws_internal.hpp"
#include "presign/auth/aws.hpp"
#include "presign/auth/aws_sources.hpp"
#include "presign/signers/sigv4_request.hpp"
#include "presign/io/s3_lister.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace presign::auth::aws {
namespace {

namespace sigv4 = signers::sigv4;

// A form body is encoded as a query is (RFC 3986 unreserved kept), the S3 lister's encoder.
using Form = std::vector<std::pair<std::string, std::string>>;

// botocore names an unnamed session "botocore-session-<epoch seconds>"; ours says who we are.
std::string session_name(AssumeRoleParams const& p, SourceContext const& ctx) {
  if (!p.role_session_name.empty()) return p.role_session_name;
  return "presign-session-" + std::to_string(ctx.now().time_since_epoch().count());
}

Form base_form(std::string action, AssumeRoleParams const& p, SourceContext const& ctx) {
  Form f{{"Action", std::move(action)},
         {"Version", "2011-06-15"},
         {"RoleArn", p.role_arn},
         {"RoleSessionName", session_name(p, ctx)}};
  if (p.duration_seconds) f.emplace_back("DurationSeconds", std::to_string(*p.duration_seconds));
  return f;
}

// STS through the standard retry mode; botocore's default 60 s connect and read timeouts.
detail::CallPolicy sts_policy() { return detail::CallPolicy{}; }

Result<AwsKeys> post(SourceContext const& ctx, std::string const& region, std::string body,
                     std::string const& action, sigv4::Credentials const* signer) {
  std::string const endpoint = sts_endpoint(ctx.env, region);
  std::string const what = "STS " + action + " (" + io::describe_request("POST", endpoint) + ")";
  auto url = io::parse_url(endpoint);
  if (!url) return make_error(ErrorKind::kConfig, what + ": " + url.error().detail);
  io::HttpRequest req;
  req.method = "POST";
  req.url = endpoint;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  if (signer != nullptr) {
    sigv4::HttpRequestParts parts;
    parts.method = "POST";
    std::string_view target = url->target;
    parts.path = std::string(target.substr(0, target.find('?')));
    parts.headers = {{"host", url->host_header}, {"content-type", req.headers[0].second}};
    parts.payload_hash = sigv4::payload_sha256_hex(body);
    sigv4::HeaderSigningOptions o;
    o.region = region;
    o.service = "sts";
    o.path = sigv4::PathOptions{.normalize = true};
    o.content_sha256_header = false;
    auto signed_headers = sigv4::sign_request_headers(parts, *signer, o, ctx.now());
    if (!signed_headers)
      return make_error(ErrorKind::kConfig, what + ": " + signed_headers.error().detail);
    for (auto& h : signed_headers->headers) req.headers.push_back(std::move(h));
  }
  req.body = std::move(body);
  auto resp = detail::http_call(std::move(req), sts_policy(), what);
  if (!resp) return resp.error();
  auto keys = parse_sts_response(resp->status, resp->body, action);
  OPENSSL_cleanse(resp->body.data(), resp->body.size());
  if (!keys) {
    Error e = keys.error();
    e.detail = what + ": " + e.detail.substr(e.detail.find(':') + 2);
    return e;
  }
  return keys;
}

}  // namespace

std::string sts_endpoint(EnvLookup const& env, std::string const& region) {
  if (auto e = env("AWS_ENDPOINT_URL_STS")) return *e;
  if (auto e = env("AWS_ENDPOINT_URL")) return *e;
  return "https://sts." + region + ".amazonaws.com/";
}

Result<AwsKeys> assume_role(SourceContext const& ctx, AssumeRoleParams const& p,
                            sigv4::Credentials const& source) {
  Form f = base_form("AssumeRole", p, ctx);
  if (!p.external_id.empty()) f.emplace_back("ExternalId", p.external_id);
  return post(ctx, p.region, signers::encode_query(f), "AssumeRole", &source);
}

Result<AwsKeys> assume_role_with_web_identity(SourceContext const& ctx, AssumeRoleParams const& p,
                                              std::string const& token_file) {
  auto token = detail::read_small_file(token_file);
  if (!token) {
    return make_error(ErrorKind::kConfig, "web identity token: " + token.error().detail);
  }
  if (token->empty()) {
    return make_error(ErrorKind::kConfig, "web identity token file " + token_file + " is empty");
  }
  Form f = base_form("AssumeRoleWithWebIdentity", p, ctx);
  f.emplace_back("WebIdentityToken", std::move(*token));
  std::string body = signers::encode_query(f);
  for (auto& [k, v] : f) OPENSSL_cleanse(v.data(), v.size());
  return post(ctx, p.region, std::move(body), "AssumeRoleWithWebIdentity", nullptr);
}

AssumeRoleSource::AssumeRoleSource(std::shared_ptr<CredentialSource const> source,
                                   AssumeRoleParams params, EnvLookup env, std::string what,
                                   std::function<SigningTime()> now)
    : source_(std::move(source)),
      params_(std::move(params)),
      env_(std::move(env)),
      what_(std::move(what)),
      now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    };
  }
}

std::string AssumeRoleSource::describe() const {
  return "STS AssumeRole of " + params_.role_arn + " (" + what_ + "), signed with " +
         source_->describe();
}

Result<Credentials> AssumeRoleSource::fetch() const {
  auto source = source_->fetch();
  if (!source) {
    Error e = source.error();
    e.detail = what_ + " (role " + params_.role_arn + "): the source credentials: " + e.detail;
    return e;
  }
  auto const* keys = std::get_if<sigv4::Credentials>(&source->secret);
  if (keys == nullptr) {
    return make_error(ErrorKind::kConfig,
                      what_ + ": the source credentials (" + source->origin + ") are not AWS keys");
  }
  auto k = assume_role(SourceContext{env_, now_}, params_, *keys);
  if (auto* held = std::get_if<sigv4::Credentials>(&source->secret)) {
    OPENSSL_cleanse(held->secret_access_key.data(), held->secret_access_key.size());
  }
  if (!k) {
    Error e = k.error();
    e.detail = what_ + " (role " + params_.role_arn + "): " + e.detail;
    return e;
  }
  if (k->expires && *k->expires <= now_()) {
    return make_error(ErrorKind::kAuth, "the AWS credentials of " + what_ + " (role " +
                                            params_.role_arn + ") expired at " +
                                            format_rfc3339(*k->expires));
  }
  Credentials c{std::move(k->keys), "STS AssumeRole of " + params_.role_arn + " (" + what_ +
                                        ", source: " + source->origin + ")"};
  c.expires = k->expires;
  return c;
}

}  // namespace presign::auth::aws
