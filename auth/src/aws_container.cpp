// Container credentials (ECS task roles, EKS Pod Identity), as botocore's ContainerProvider
// and ContainerMetadataFetcher: a GET of the relative URI on 169.254.170.2 or of the full
// URI, whose host must be loopback or one of the ECS/EKS link-local addresses (so a
// misconfigured variable cannot send the authorization token anywhere else), 2 s timeout,
// 3 attempts 1 s apart.
#include "aws_internal.hpp"
#include "presign/auth/aws_sources.hpp"

#include <openssl/crypto.h>

#include <string>

namespace presign::auth::aws {
namespace {

// botocore's `_ALLOWED_HOSTS` plus its loopback check: 127.0.0.0/8, ::1, localhost, the ECS
// endpoint 169.254.170.2 and EKS Pod Identity's 169.254.170.23 and fd00:ec2::23.
bool allowed_host(std::string const& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23") {
    return true;
  }
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

}  // namespace

std::optional<Result<ContainerEndpoint>> container_endpoint(EnvLookup const& env) {
  using Found = std::optional<Result<ContainerEndpoint>>;
  auto const relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  auto const full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) return std::nullopt;
  if (relative) {
    // botocore's ContainerMetadataFetcher.full_url: the ECS agent's address, then the path.
    return Found(
        ContainerEndpoint{"http://169.254.170.2" + *relative,
                          "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"});
  }
  ContainerEndpoint ep{*full, "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI " +
                                  io::describe_request("GET", *full).substr(4) + ")"};
  auto parsed = io::parse_url(ep.url);
  if (!parsed) return Found(make_error(ErrorKind::kConfig, ep.what + ": " + parsed.error().detail));
  if (!parsed->tls && !allowed_host(parsed->host)) {
    return Found(make_error(
        ErrorKind::kConfig,
        ep.what + ": the host must be a loopback address, 169.254.170.2, 169.254.170.23 or "
                  "fd00:ec2::23 (as the AWS CLI requires for http)"));
  }
  return Found(std::move(ep));
}

std::optional<Result<AwsKeys>> container_credentials(SourceContext const& ctx) {
  auto endpoint = container_endpoint(ctx.env);
  if (!endpoint) return std::nullopt;
  if (!*endpoint) return std::optional<Result<AwsKeys>>(endpoint->error());
  std::string const url = std::move((*endpoint)->url);
  std::string const what = std::move((*endpoint)->what);
  io::HttpRequest req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}};
  // The authorization token: the file wins over the variable (botocore reads the file
  // anew on every fetch, so a rotated token is picked up).
  std::string token;
  if (auto file = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto t = detail::read_small_file(*file);
    if (!t) {
      return std::optional<Result<AwsKeys>>(
          make_error(ErrorKind::kConfig,
                     what + ": AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + t.error().detail));
    }
    token = std::move(*t);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  } else if (auto t = ctx.env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = *t;
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    OPENSSL_cleanse(token.data(), token.size());
    return std::optional<Result<AwsKeys>>(
        make_error(ErrorKind::kConfig, what + ": the authorization token holds a line break"));
  }
  if (!token.empty()) req.headers.emplace_back("Authorization", token);
  OPENSSL_cleanse(token.data(), token.size());

  detail::CallPolicy policy;
  policy.timeout = std::chrono::seconds(2);
  policy.attempts = 3;
  policy.pause = std::chrono::seconds(1);
  policy.jitter = false;
  auto resp = detail::http_call(std::move(req), policy, what);
  if (!resp) return std::optional<Result<AwsKeys>>(resp.error());
  if (resp->status != 200) {
    Error e = make_error(
        resp->status == 401 || resp->status == 403 ? ErrorKind::kAuth : ErrorKind::kProtocol,
        what + ": HTTP " + std::to_string(resp->status));
    e.http_status = resp->status;
    return std::optional<Result<AwsKeys>>(e);
  }
  auto keys = parse_metadata_credentials(resp->body, what);
  OPENSSL_cleanse(resp->body.data(), resp->body.size());
  return std::optional<Result<AwsKeys>>(std::move(keys));
}

}  // namespace presign::auth::aws
