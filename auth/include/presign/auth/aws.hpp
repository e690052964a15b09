#pragma once
/// Where AWS credentials and the region come from, as the AWS CLI (botocore) finds them.
///
/// The default chain below is a `CredentialSource` (credentials.hpp); a stored cloud
/// integration (the service, later) supplies a `StaticSource` instead. Nothing here logs or
/// returns secret values in error messages. The stages (files, documents, each source) are in
/// aws_sources.hpp.

#include "presign/auth/aws_sources.hpp"
#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/signers/sigv4.hpp"

#include <functional>
#include <memory>
#include <string>

namespace presign::auth::aws {

namespace sigv4 = signers::sigv4;

struct ChainOptions {
  /// `--profile`: names the profile and, as in botocore, skips the environment's keys.
  /// Empty: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
  std::string profile;
  /// The clock (expiry checks, SigV4 dates of STS calls); empty: the system clock.
  std::function<SigningTime()> now;
};

/// botocore's chain (`create_credential_resolver`), in its order:
///  1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), unless
///     `--profile` was given;
///  2. the profile's `role_arn` with `source_profile` (chains followed, loops refused) or
///     `credential_source` (Environment, Ec2InstanceMetadata, EcsContainer) → STS AssumeRole;
///  3. `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`), or the
///     profile's `web_identity_token_file` → STS AssumeRoleWithWebIdentity;
///  4. the profile's SSO settings (`sso_session`, or legacy `sso_start_url`) → the cached
///     token and the portal's GetRoleCredentials;
///  5. static keys of the profile in the shared credentials file
///     (`AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials);
///  6. the profile's `credential_process`;
///  7. static keys of the profile in the config file (`AWS_CONFIG_FILE`, else ~/.aws/config,
///     section `[profile NAME]`);
///  8. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`);
///  9. EC2 instance metadata (IMDSv2).
/// With HOME unset or empty there is no ~/.aws: only files named by the two variables are
/// read (as the AWS CLI does), never a relative ./.aws.
class DefaultChainProvider final : public CredentialSource {
 public:
  explicit DefaultChainProvider(EnvLookup env, ChainOptions options = {});
  /// The access key alone.
  [[nodiscard]] Result<sigv4::Credentials> credentials() const;
  /// The access key with where it was found and, for temporary credentials, when they expire.
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  EnvLookup env_;
  ChainOptions options_;
};

/// A role assumed through STS AssumeRole (aws_sts.cpp), signed with the credentials another
/// source finds: a stored integration's role, with the environment's chain as its source
/// (botocore's `credential_source = Environment`, the role named by the integration rather than
/// a profile). Every fetch asks the source and STS again, so a listing's refresh
/// (refreshing.hpp) gets fresh credentials from the same place. The origin names the role and
/// the source, never a key.
class AssumeRoleSource final : public CredentialSource {
 public:
  /// `what` names who asks, for messages ("integration 'prod'").
  AssumeRoleSource(std::shared_ptr<CredentialSource const> source, AssumeRoleParams params,
                   EnvLookup env, std::string what, std::function<SigningTime()> now = {});
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::shared_ptr<CredentialSource const> source_;
  AssumeRoleParams params_;
  EnvLookup env_;
  std::string what_;
  std::function<SigningTime()> now_;
};

/// Region: `explicit_region` if non-empty, else AWS_REGION, AWS_DEFAULT_REGION, the profile's
/// `region` in the config file (`profile`, else as DefaultChainProvider names it), else
/// "us-east-1".
std::string resolve_region(EnvLookup const& env, std::string const& explicit_region,
                           std::string const& profile = {});

/// Endpoint: `explicit_endpoint` if non-empty, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else "".
std::string resolve_s3_endpoint(EnvLookup const& env, std::string const& explicit_endpoint);

}  // namespace presign::auth::aws
