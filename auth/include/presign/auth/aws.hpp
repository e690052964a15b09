#pragma once
/// Where AWS credentials and the region come from, as the AWS CLI finds them.
///
/// The default chain below is a `CredentialSource` (credentials.hpp); a stored cloud
/// integration (the service, later) supplies a `StaticSource` instead. Nothing here logs or
/// returns secret values in error messages.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/signers/sigv4.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace presign::auth::aws {

namespace sigv4 = signers::sigv4;

/// An INI file as the AWS CLI reads it: `[section]`, `key = value`, `#`/`;` comments.
/// Section names are kept verbatim ("default", "profile dev").
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

/// The AWS CLI chain: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`),
/// then the profile (`AWS_PROFILE`, else "default") in the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials) and then in the config file
/// (`AWS_CONFIG_FILE`, else ~/.aws/config, section "profile NAME"). With HOME unset or empty
/// there is no ~/.aws: only files named by the two variables are read (as the AWS CLI does),
/// never a relative ./.aws.
class DefaultChainProvider final : public CredentialSource {
 public:
  explicit DefaultChainProvider(EnvLookup env) : env_(std::move(env)) {}
  /// The access key alone.
  [[nodiscard]] Result<sigv4::Credentials> credentials() const;
  /// The access key with where it was found (the environment, or the profile and its file).
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  EnvLookup env_;
};

/// Region: `explicit_region` if non-empty, else AWS_REGION, AWS_DEFAULT_REGION, the profile's
/// `region` in the config file (as located by DefaultChainProvider), else "us-east-1".
std::string resolve_region(EnvLookup const& env, std::string const& explicit_region);

/// Endpoint: `explicit_endpoint` if non-empty, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else "".
std::string resolve_s3_endpoint(EnvLookup const& env, std::string const& explicit_endpoint);

}  // namespace presign::auth::aws
