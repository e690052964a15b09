#pragma once
/// The stages of the AWS default chain (aws.hpp), public for tests and fuzzing: the shared
/// config/credentials files, the documents the sources answer with, and each source on its
/// own. The chain calls them in botocore's order (`create_credential_resolver`).
///
/// Secrets: no error built here holds an access key secret, a session token, a web-identity
/// token, an SSO access token or a container authorization token. Messages name the source,
/// the file (and line), the HTTP status and the service's error Code/Message.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/sigv4.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace presign::auth::aws {

/// An INI file as botocore reads it: `[section]`, `key = value` (or `key: value`), `#`/`;`
/// comment lines. Section names are kept verbatim ("default", "profile dev").
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

/// Lenient: lines that are not a section, a comment or `key = value` are skipped.
IniFile parse_ini(std::string_view text);

/// Strict, as botocore (configparser) is: a line outside any section, a section header
/// without `]`, or a line with neither `=` nor `:` is an error naming `path` and the line
/// number. An indented line continues the previous value (botocore's nested `s3 =` blocks).
/// Key names are lower-cased (configparser's `optionxform`).
Result<IniFile> parse_ini_strict(std::string_view text, std::string_view path);

/// One profile: its keys and where it was read, for messages ("profile 'dev' in FILE").
struct Profile {
  std::map<std::string, std::string> values;
  std::string where;
  /// The value of `key`, or nullptr when absent (an empty value counts as present, as in
  /// botocore).
  [[nodiscard]] std::string const* get(std::string const& key) const;
};

/// The shared files as botocore's `Session.full_config` sees them.
struct SharedConfig {
  /// Config-file profiles (`[default]`, `[profile NAME]`) merged with credentials-file
  /// sections (the credentials file wins key by key).
  std::map<std::string, Profile> profiles;
  /// The two files apart (static keys are looked for in each, credentials file first).
  std::map<std::string, Profile> credentials_file_profiles;
  std::map<std::string, Profile> config_file_profiles;
  /// `[sso-session NAME]` sections of the config file.
  std::map<std::string, Profile> sso_sessions;
  std::string credentials_place;  ///< its path, or why none was read
  std::string config_place;
};

/// Reads `AWS_SHARED_CREDENTIALS_FILE` (else ~/.aws/credentials) and `AWS_CONFIG_FILE`
/// (else ~/.aws/config). A missing file is empty; an unreadable or malformed one is kConfig.
Result<SharedConfig> load_shared_config(EnvLookup const& env);

/// Temporary (or static) AWS keys and when they stop working.
struct AwsKeys {
  signers::sigv4::Credentials keys;
  std::optional<SigningTime> expires;
};

/// ISO 8601 / RFC 3339 instants as AWS writes them (`2026-12-05T06:00:00Z`, with fractions
/// or an offset).
Result<SigningTime> parse_aws_time(std::string_view text);

/// `credential_process` output (Version 1): AccessKeyId, SecretAccessKey, optional
/// SessionToken and Expiration. `what` names the command for messages. kConfig errors.
Result<AwsKeys> parse_process_output(std::string_view json, std::string_view what);

/// An STS answer to `action` ("AssumeRole", "AssumeRoleWithWebIdentity"): the
/// `<Credentials>` of a 2xx body, or the `<ErrorResponse>`'s Code and Message (kAuth for
/// 4xx, kUnavailable for 5xx, kProtocol for a body that is neither).
Result<AwsKeys> parse_sts_response(int status, std::string_view body, std::string_view action);

/// The JSON of IMDS and container endpoints: AccessKeyId, SecretAccessKey, Token,
/// Expiration. `what` names the source. kProtocol errors.
Result<AwsKeys> parse_metadata_credentials(std::string_view json, std::string_view what);

/// The SSO portal's GetRoleCredentials answer: `{"roleCredentials":{accessKeyId,
/// secretAccessKey, sessionToken, expiration (epoch milliseconds)}}`.
Result<AwsKeys> parse_sso_role_credentials(std::string_view json);

/// Splits a command line as botocore's `compat_shell_split` does on POSIX (`shlex.split`):
/// whitespace separates words, single quotes are literal, inside double quotes a backslash
/// escapes only `"` and `\\` (shlex's rule, not a shell's: `\$` stays two characters), a
/// backslash outside quotes escapes the next character. nullopt on an unclosed quote or a
/// trailing backslash.
std::optional<std::vector<std::string>> shell_split(std::string_view command);

/// What every source needs: the environment and the clock.
struct SourceContext {
  EnvLookup env;
  std::function<SigningTime()> now;
};

/// Runs `command` (credential_process of `profile_where`) without a shell, reads its
/// standard output (standard error passes through to ours, as the AWS SDK for Go does, so
/// the helper's own messages reach the user and never our error values).
Result<AwsKeys> run_credential_process(std::string const& command, std::string const& where);

/// STS endpoint for `region`: `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else
/// `https://sts.REGION.amazonaws.com` (botocore's regional endpoint).
std::string sts_endpoint(EnvLookup const& env, std::string const& region);

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;  ///< empty: "presign-session-<epoch seconds>"
  std::string external_id;
  std::optional<int> duration_seconds;
  std::string region;
};

/// STS AssumeRole, signed with `source` (SigV4, service "sts").
Result<AwsKeys> assume_role(SourceContext const& ctx, AssumeRoleParams const& p,
                            signers::sigv4::Credentials const& source);

/// STS AssumeRoleWithWebIdentity (unsigned), the token read from `token_file`.
Result<AwsKeys> assume_role_with_web_identity(SourceContext const& ctx, AssumeRoleParams const& p,
                                              std::string const& token_file);

/// Where container credentials are asked for, and how messages name it.
struct ContainerEndpoint {
  std::string url;
  std::string what;
};

/// `http://169.254.170.2` + `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (which wins, as in
/// botocore), else `AWS_CONTAINER_CREDENTIALS_FULL_URI` once its host passed the check below
/// (kConfig otherwise). nullopt when neither variable is set. Reads nothing else.
std::optional<Result<ContainerEndpoint>> container_endpoint(EnvLookup const& env);

/// Container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on 169.254.170.2) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (loopback, 169.254.170.2, 169.254.170.23 or
/// fd00:ec2::23 only), with `AWS_CONTAINER_AUTHORIZATION_TOKEN` or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`. nullopt when neither URI variable is set.
std::optional<Result<AwsKeys>> container_credentials(SourceContext const& ctx);

/// EC2 instance metadata (IMDSv2). nullopt when `AWS_EC2_METADATA_DISABLED=true` or when no
/// role is found (the chain then reports "no credentials").
std::optional<Result<AwsKeys>> imds_credentials(SourceContext const& ctx);

/// SSO: the cached token of `profile` (sso_session or legacy sso_start_url) and the portal's
/// GetRoleCredentials. `config` for the sso-session sections.
Result<AwsKeys> sso_credentials(SourceContext const& ctx, SharedConfig const& config,
                                Profile const& profile, std::string const& profile_name);

/// The cache file name of an SSO token: hex SHA-1 of the session name (sso_session) or of the
/// start URL (legacy), plus ".json".
std::string sso_cache_file_name(std::string_view key);

}  // namespace presign::auth::aws
