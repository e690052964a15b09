// The AWS chain's network and process sources against the fake credential server
// (tests/support/fake_aws_creds_server.py on 127.0.0.1), reached through the SDK's own
// endpoint variables, with files in a temporary HOME: no real cloud, no real ~/.aws.
#include "presign/auth/aws.hpp"

#include "fake_aws_creds.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>

using namespace presign;
using namespace presign::auth::aws;
using presign::auth::EnvLookup;
using presign::test::FakeAwsCredsServer;
using presign::test::TempDir;
namespace fs = std::filesystem;

namespace {

// An environment of exactly these variables, IMDS off unless the test turns it on (so no
// test waits on 169.254.169.254).
EnvLookup sources_env(std::map<std::string, std::string> vars) {
  vars.try_emplace("AWS_EC2_METADATA_DISABLED", "true");
  return [vars = std::move(vars)](char const* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::string write(TempDir const& dir, std::string const& rel, std::string const& text) {
  fs::create_directories((dir.path() / rel).parent_path());
  return dir.write(rel, text);
}

// An executable script in `dir`.
std::string script(TempDir const& dir, std::string const& name, std::string const& body) {
  std::string const p = write(dir, name, "#!/bin/sh\n" + body);
  ::chmod(p.c_str(), 0755);
  return p;
}

Result<auth::Credentials> fetch(std::map<std::string, std::string> vars, std::string profile = {}) {
  return DefaultChainProvider(sources_env(std::move(vars)), ChainOptions{std::move(profile), {}})
      .fetch();
}

signers::sigv4::Credentials const& keys(auth::Credentials const& c) {
  return std::get<signers::sigv4::Credentials>(c.secret);
}

constexpr char const* kSourceProfile =
    "[profile base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = source-secret/+=\n";

std::string sso_token_json(std::string const& token, std::string const& expires) {
  return "{\"startUrl\":\"https://d-123.awsapps.com/start\",\"region\":\"us-east-1\","
         "\"accessToken\":\"" +
         token + "\",\"expiresAt\":\"" + expires + "\"}";
}

}  // namespace

TEST_SUITE("auth.aws_sources") {
  TEST_CASE("environment keys win over a profile unless --profile names one") {
    TempDir home;
    write(home, ".aws/credentials",
          "[dev]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
    std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                           {"AWS_PROFILE", "dev"},
                                           {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                           {"AWS_SECRET_ACCESS_KEY", "env-secret"}};
    auto a = fetch(env);
    REQUIRE(a.has_value());
    CHECK(keys(*a).access_key_id == "AKIDENV");
    auto b = fetch(env, "dev");  // --profile dev: botocore drops the environment's keys
    REQUIRE(b.has_value());
    CHECK(keys(*b).access_key_id == "AKIDFILE");
  }

  TEST_CASE("AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN calls AssumeRoleWithWebIdentity") {
    FakeAwsCredsServer srv;
    TempDir home;
    std::string const token = write(home, "token.jwt", "eyJ.web.identity");
    auto c = fetch({{"HOME", home.path().string()},
                    {"AWS_WEB_IDENTITY_TOKEN_FILE", token},
                    {"AWS_ROLE_ARN", "arn:aws:iam::123:role/web"},
                    {"AWS_ROLE_SESSION_NAME", "s1"},
                    {"AWS_ENDPOINT_URL_STS", srv.url() + "/sts"}});
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
    CHECK_FALSE(keys(*c).session_token.empty());
    CHECK(c->expires.has_value());
    CHECK(c->origin.find("AssumeRoleWithWebIdentity") != std::string::npos);
  }

  TEST_CASE("web_identity_token_file in a profile is used, and STS honours AWS_ENDPOINT_URL") {
    FakeAwsCredsServer srv;
    TempDir home;
    std::string const token = write(home, "token.jwt", "eyJ.profile.token");
    write(home, ".aws/config",
          "[profile w]\nrole_arn = arn:aws:iam::123:role/w\n"
          "web_identity_token_file = " +
              token + "\n");
    auto c = fetch({{"HOME", home.path().string()},
                    {"AWS_PROFILE", "w"},
                    {"AWS_ENDPOINT_URL", srv.url() + "/sts"}});
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
  }

  TEST_CASE("role_arn with source_profile calls AssumeRole signed with the source keys") {
    FakeAwsCredsServer srv;  // it verifies the SigV4 signature with AKIDSOURCE's secret
    TempDir home;
    write(home, ".aws/config",
          std::string(kSourceProfile) +
              "[profile r]\nrole_arn = arn:aws:iam::123:role/r\n"
              "source_profile = base\nexternal_id = ext-1\n"
              "role_session_name = mine\nduration_seconds = 900\n");
    auto c = fetch({{"HOME", home.path().string()},
                    {"AWS_PROFILE", "r"},
                    {"AWS_REGION", "eu-west-1"},
                    {"AWS_ENDPOINT_URL_STS", srv.url() + "/sts"}});
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
    REQUIRE(c->expires.has_value());
    // duration_seconds = 900 reached STS: the credentials live about 15 minutes.
    auto const left = *c->expires - std::chrono::time_point_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now());
    CHECK(left.count() <= 905);
    CHECK(left.count() >= 800);
    CHECK(c->origin.find("profile 'r'") != std::string::npos);
  }

  TEST_CASE("a role chain of two profiles assumes both roles in turn") {
    FakeAwsCredsServer srv;  // the second AssumeRole must be signed with the first's keys
    TempDir home;
    write(home, ".aws/config",
          std::string(kSourceProfile) +
              "[profile first]\nrole_arn = arn:aws:iam::1:role/first\n"
              "source_profile = base\n"
              "[profile second]\nrole_arn = arn:aws:iam::2:role/second\n"
              "source_profile = first\n");
    std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                           {"AWS_ENDPOINT_URL_STS", srv.url() + "/sts"}};
    auto one = fetch(env, "first");
    auto two = fetch(env, "second");
    REQUIRE_MESSAGE(one.has_value(), one.error().detail);
    REQUIRE_MESSAGE(two.has_value(), two.error().detail);
    CHECK(keys(*two).access_key_id != keys(*one).access_key_id);
    CHECK(two->origin.find("profile 'first'") != std::string::npos);
  }

  TEST_CASE("a source_profile loop is refused with the profiles it visited") {
    TempDir home;
    write(home, ".aws/config",
          "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
          "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n");
    auto c = fetch({{"HOME", home.path().string()}}, "a");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find("loop") != std::string::npos);
    CHECK(c.error().detail.find("'a' -> 'b' -> 'a'") != std::string::npos);
  }

  TEST_CASE("a profile may be its own source_profile when it holds static keys") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          "[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
          "aws_access_key_id = AKIDSOURCE\naws_secret_access_key = source-secret/+=\n");
    auto c = fetch({{"HOME", home.path().string()}, {"AWS_ENDPOINT_URL_STS", srv.url()}}, "self");
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
  }

  TEST_CASE("credential_source Environment, EcsContainer and Ec2InstanceMetadata feed AssumeRole") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          "[profile e]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n"
          "[profile c]\nrole_arn = arn:aws:iam::1:role/c\ncredential_source = EcsContainer\n"
          "[profile i]\nrole_arn = arn:aws:iam::1:role/i\n"
          "credential_source = Ec2InstanceMetadata\n"
          "[profile bad]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Moon\n");
    std::map<std::string, std::string> env{
        {"HOME", home.path().string()},
        {"AWS_ENDPOINT_URL_STS", srv.url() + "/sts"},
        {"AWS_ACCESS_KEY_ID", "AKIDENV"},
        {"AWS_SECRET_ACCESS_KEY", "env-secret"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.url() + "/container/creds"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"},
        {"AWS_EC2_METADATA_DISABLED", "false"},
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url()}};
    for (char const* p : {"e", "c", "i"}) {
      CAPTURE(p);
      auto c = fetch(env, p);
      REQUIRE_MESSAGE(c.has_value(), c.error().detail);
      CHECK(c->origin.find("credential_source") != std::string::npos);
    }
    auto bad = fetch(env, "bad");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().detail.find("'Moon'") != std::string::npos);
  }

  TEST_CASE("an STS refusal carries the HTTP status and STS's Code and Message") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          std::string(kSourceProfile) +
              "[profile r]\nrole_arn = arn:aws:iam::1:role/denied\n"
              "source_profile = base\n");
    auto c = fetch({{"HOME", home.path().string()}, {"AWS_ENDPOINT_URL_STS", srv.url()}}, "r");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kAuth);
    CHECK(c.error().http_status == 403);
    CHECK(c.error().provider_code == "AccessDenied");
    CHECK(c.error().detail.find("AssumeRole") != std::string::npos);
    CHECK(c.error().detail.find("not authorized to assume") != std::string::npos);
    CHECK(c.error().detail.find("source-secret") == std::string::npos);
  }

  TEST_CASE("credential_process runs without a shell, its words split as shlex splits them") {
    TempDir home;
    std::string const helper = script(
        home, "helper.sh",
        "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"proc-secret\", "
        "\"SessionToken\": \"proc-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}' \"$1|$2\"\n");
    write(home, ".aws/config",
          "[default]\ncredential_process = " + helper + " 'two words' \"it's\"\n");
    auto c = fetch({{"HOME", home.path().string()}});
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id == "two words|it's");
    CHECK(keys(*c).secret_access_key == "proc-secret");
    CHECK(keys(*c).session_token == "proc-token");
    REQUIRE(c->expires.has_value());
    CHECK(format_rfc3339(*c->expires) == "2099-01-01T00:00:00Z");
  }

  TEST_CASE("credential_process failing, printing garbage or missing a field is a clear error") {
    TempDir home;
    struct Case {
      char const* body;
      char const* expect;
    };
    std::vector<Case> const cases{
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leak-me\"}'; exit 3",
         "exited with status 3"},
        {"echo 'not json at all leak-me'", "not valid JSON"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SessionToken\":\"leak-me\"}'",
         "\"SecretAccessKey\""},
        {"echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leak-me\"}'",
         "\"Version\" must be 1"},
    };
    for (auto const& k : cases) {
      CAPTURE(k.expect);
      std::string const helper = script(home, "h.sh", k.body);
      write(home, ".aws/config", "[default]\ncredential_process = " + helper + "\n");
      auto c = fetch({{"HOME", home.path().string()}});
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().kind == ErrorKind::kConfig);
      CHECK(c.error().detail.find(k.expect) != std::string::npos);
      CHECK(c.error().detail.find("credential_process") != std::string::npos);
      CHECK(c.error().detail.find("leak-me") == std::string::npos);
    }
  }

  TEST_CASE("expired credentials are an error naming the source and the time") {
    TempDir home;
    std::string const helper =
        script(home, "h.sh",
               "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
               "\"Expiration\":\"2001-01-01T00:00:00Z\"}'\n");
    write(home, ".aws/config", "[default]\ncredential_process = " + helper + "\n");
    auto c = fetch({{"HOME", home.path().string()}});
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kAuth);
    CHECK(c.error().detail.find("expired at 2001-01-01T00:00:00Z") != std::string::npos);
    CHECK(c.error().detail.find("credential_process") != std::string::npos);
  }

  TEST_CASE("an sso_session profile reads the token cached under the session name's SHA-1") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          "[profile s]\nsso_session = my-sso\nsso_account_id = 111122223333\n"
          "sso_role_name = Reader\n"
          "[sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\n"
          "sso_region = us-east-1\n");
    CHECK(sso_cache_file_name("my-sso") == "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
    write(home, ".aws/sso/cache/" + sso_cache_file_name("my-sso"),
          sso_token_json("sso-access-token", "2099-01-01T00:00:00Z"));
    auto c = fetch({{"HOME", home.path().string()}, {"AWS_ENDPOINT_URL_SSO", srv.url()}}, "s");
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
    CHECK(c->expires.has_value());
  }

  TEST_CASE("a legacy SSO profile reads the token cached under the start URL's SHA-1") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          "[profile old]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n"
          "sso_account_id = 111122223333\nsso_role_name = Reader\n");
    CHECK(sso_cache_file_name("https://d-123.awsapps.com/start") ==
          "2b829a45f04c9828cb45b7d092d8e4aa30818393.json");
    write(home, ".aws/sso/cache/" + sso_cache_file_name("https://d-123.awsapps.com/start"),
          sso_token_json("sso-access-token", "2099-01-01T00:00:00Z"));
    auto c = fetch({{"HOME", home.path().string()}, {"AWS_ENDPOINT_URL_SSO", srv.url()}}, "old");
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(keys(*c).access_key_id.starts_with("ASIA"));
  }

  TEST_CASE("a missing or expired SSO token asks the user to run aws sso login") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(home, ".aws/config",
          "[profile old]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n"
          "sso_account_id = 111122223333\nsso_role_name = Reader\n");
    std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                           {"AWS_ENDPOINT_URL_SSO", srv.url()}};
    auto missing = fetch(env, "old");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::kAuth);
    CHECK(missing.error().detail.find("aws sso login --profile old") != std::string::npos);

    write(home, ".aws/sso/cache/" + sso_cache_file_name("https://d-123.awsapps.com/start"),
          sso_token_json("stale-token-value", "2001-01-01T00:00:00Z"));
    auto expired = fetch(env, "old");
    REQUIRE_FALSE(expired.has_value());
    CHECK(expired.error().detail.find("expired") != std::string::npos);
    CHECK(expired.error().detail.find("aws sso login") != std::string::npos);
    CHECK(expired.error().detail.find("stale-token-value") == std::string::npos);

    // A token the portal refuses (401) says the same.
    write(home, ".aws/sso/cache/" + sso_cache_file_name("https://d-123.awsapps.com/start"),
          sso_token_json("expired-token", "2099-01-01T00:00:00Z"));
    auto refused = fetch(env, "old");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().http_status == 401);
    CHECK(refused.error().detail.find("aws sso login") != std::string::npos);
  }

  TEST_CASE("container credentials send the authorization token from the variable or the file") {
    FakeAwsCredsServer srv;
    TempDir home;
    std::string const token_file = write(home, "ctoken", "container-auth-token\n");
    auto by_var = fetch({{"HOME", home.path().string()},
                         {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.url() + "/container/v1"},
                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"}});
    REQUIRE_MESSAGE(by_var.has_value(), by_var.error().detail);
    CHECK(by_var->expires.has_value());
    auto by_file = fetch({{"HOME", home.path().string()},
                          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.url() + "/container/v1"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}});
    REQUIRE_MESSAGE(by_file.has_value(), by_file.error().detail);
    CHECK(keys(*by_file).access_key_id == keys(*by_var).access_key_id);
    auto wrong = fetch({{"HOME", home.path().string()},
                        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.url() + "/container/v1"},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value"}});
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().http_status == 401);
    CHECK(wrong.error().detail.find("wrong-token-value") == std::string::npos);
  }

  TEST_CASE("a container FULL_URI on a host that is not allowed is refused before any request") {
    auto c = fetch({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.169.254/creds"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"}});
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find("loopback") != std::string::npos);
  }

  TEST_CASE("a container RELATIVE_URI is asked for on 169.254.170.2 and wins over FULL_URI") {
    // The ECS agent's address is unreachable here: the URL is checked without a request.
    auto ep = container_endpoint(
        sources_env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/7f2c-task?x=1"},
                     {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/other"}}));
    REQUIRE(ep.has_value());
    REQUIRE(ep->has_value());
    CHECK((*ep)->url == "http://169.254.170.2/v2/credentials/7f2c-task?x=1");
    CHECK((*ep)->what.find("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != std::string::npos);
    auto full = container_endpoint(sources_env(
        {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"}}));
    REQUIRE(full.has_value());
    REQUIRE(full->has_value());
    CHECK((*full)->url == "http://169.254.170.23/v1/credentials");
    CHECK_FALSE(container_endpoint(sources_env({})).has_value());
  }

  TEST_CASE("IMDSv2 fetches a session token, the role name and the role's credentials") {
    FakeAwsCredsServer srv;
    TempDir home;
    auto c = fetch({{"HOME", home.path().string()},
                    {"AWS_EC2_METADATA_DISABLED", "false"},
                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url() + "/"}});
    REQUIRE_MESSAGE(c.has_value(), c.error().detail);
    CHECK(c->origin == "EC2 instance metadata");
    CHECK(c->expires.has_value());
  }

  TEST_CASE("IMDS answering 401 without a session token is a clear error") {
    FakeAwsCredsServer srv;
    TempDir home;
    write(
        home, ".aws/config",
        "[profile i]\nrole_arn = arn:aws:iam::1:role/i\ncredential_source = Ec2InstanceMetadata\n");
    std::map<std::string, std::string> env{
        {"HOME", home.path().string()},
        {"AWS_EC2_METADATA_DISABLED", "false"},
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.url() + "/imds-v1only"}};
    // At the end of the chain, as in botocore, a failed IMDS means "no credentials", with why.
    auto c = fetch(env);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find("no AWS credentials found") != std::string::npos);
    CHECK(c.error().detail.find("HTTP 401 (IMDS requires a session token") != std::string::npos);
    // Named as a credential_source, the failure is the error itself.
    auto named = fetch(env, "i");
    REQUIRE_FALSE(named.has_value());
    CHECK(named.error().kind == ErrorKind::kAuth);
    CHECK(named.error().http_status == 401);
    CHECK(named.error().detail.find("requires a session token") != std::string::npos);
  }

  TEST_CASE("IMDS that does not answer within its 1 s timeout leaves a note in the final error") {
    TempDir home;
    // A port nothing listens on: refused at once (the common case off EC2 is a timeout).
    auto c = fetch({{"HOME", home.path().string()},
                    {"AWS_EC2_METADATA_DISABLED", "false"},
                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find("no AWS credentials found") != std::string::npos);
    CHECK(c.error().detail.find("EC2 instance metadata") != std::string::npos);
  }

  TEST_CASE("a malformed config line is an error naming the file and the line") {
    TempDir home;
    std::string const conf =
        write(home, ".aws/config", "[default]\nregion = x\nthis line is wrong\n");
    auto c = fetch({{"HOME", home.path().string()}});
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().detail.find(conf + " line 3") != std::string::npos);
  }

  TEST_CASE("no error message holds a secret or a token") {
    FakeAwsCredsServer srv;
    TempDir home;
    std::string const jwt = write(home, "token.jwt", "web-identity-secret-token");
    write(home, ".aws/config",
          "[profile r]\nrole_arn = arn:aws:iam::1:role/denied\nsource_profile = src\n"
          "[profile src]\naws_access_key_id = AKIDSOURCE\n"
          "aws_secret_access_key = source-secret/+=\naws_session_token = src-session-token\n");
    std::vector<Result<auth::Credentials>> errors;
    errors.push_back(
        fetch({{"HOME", home.path().string()}, {"AWS_ENDPOINT_URL_STS", srv.url()}}, "r"));
    errors.push_back(fetch({{"HOME", home.path().string()},
                            {"AWS_WEB_IDENTITY_TOKEN_FILE", jwt},
                            {"AWS_ROLE_ARN", "arn:aws:iam::1:role/denied"},
                            {"AWS_ENDPOINT_URL_STS", srv.url()}}));
    errors.push_back(fetch({{"HOME", home.path().string()},
                            {"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.url() + "/container"},
                            {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-secret-token"}}));
    errors.push_back(fetch({{"AWS_ACCESS_KEY_ID", "AKID"}}));
    errors.push_back(fetch({{"AWS_SECRET_ACCESS_KEY", "env-secret-value"}}));
    for (auto const& e : errors) {
      REQUIRE_FALSE(e.has_value());
      std::string const& d = e.error().detail;
      CAPTURE(d);
      for (char const* secret : {"source-secret", "src-session-token", "web-identity-secret-token",
                                 "container-secret-token", "env-secret-value"}) {
        CHECK(d.find(secret) == std::string::npos);
      }
    }
  }

  TEST_CASE("shell_split follows shlex: quotes, escapes, and refuses an unclosed quote") {
    auto w = shell_split(R"(  /bin/x 'a b' "c \"d\" \$e \n" f\ g '' )");
    REQUIRE(w.has_value());
    std::vector<std::string> const want{"/bin/x", "a b", "c \"d\" \\$e \\n", "f g", ""};
    CHECK(*w == want);
    CHECK_FALSE(shell_split("a 'b").has_value());
    CHECK_FALSE(shell_split("a \"b").has_value());
    CHECK_FALSE(shell_split("a \\").has_value());
    CHECK(shell_split("")->empty());
  }

  TEST_CASE("parse_sts_response reads Credentials and the ErrorResponse's Code and Message") {
    auto ok = parse_sts_response(
        200,
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
        "<AssumedRoleUser><Arn>x</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIA1</"
        "AccessKeyId>"
        "<SecretAccessKey>s&amp;1</SecretAccessKey><SessionToken>t1</SessionToken>"
        "<Expiration>2030-01-02T03:04:05.123Z</Expiration></Credentials></AssumeRoleResult>"
        "</AssumeRoleResponse>",
        "AssumeRole");
    REQUIRE_MESSAGE(ok.has_value(), ok.error().detail);
    CHECK(ok->keys.secret_access_key == "s&1");
    CHECK(format_rfc3339(*ok->expires) == "2030-01-02T03:04:05Z");
    auto err = parse_sts_response(
        400,
        "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredTokenException</Code>"
        "<Message>Token expired</Message></Error></ErrorResponse>",
        "AssumeRoleWithWebIdentity");
    REQUIRE_FALSE(err.has_value());
    CHECK(err.error().provider_code == "ExpiredTokenException");
    CHECK(err.error().detail ==
          "STS AssumeRoleWithWebIdentity: HTTP 400 ExpiredTokenException: Token expired");
    auto bad = parse_sts_response(200, "<AssumeRoleResponse><x>", "AssumeRole");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::kProtocol);
  }

  TEST_CASE("sts_endpoint is regional unless AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL says") {
    CHECK(sts_endpoint(sources_env({}), "eu-west-1") == "https://sts.eu-west-1.amazonaws.com/");
    CHECK(sts_endpoint(sources_env({{"AWS_ENDPOINT_URL", "http://a"}}), "x") == "http://a");
    CHECK(sts_endpoint(
              sources_env({{"AWS_ENDPOINT_URL", "http://a"}, {"AWS_ENDPOINT_URL_STS", "http://b"}}),
              "x") == "http://b");
  }
}
