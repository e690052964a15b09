// The AWS CLI credential/region/endpoint chain, with an injected environment and files in a
// temporary HOME, so the real environment and ~/.aws are never read.
#include "presign/auth/aws.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace presign;
using namespace presign::auth::aws;
using presign::auth::EnvLookup;
using presign::auth::process_env;
using presign::test::TempDir;
namespace fs = std::filesystem;

namespace {

// An environment made of exactly these variables, plus AWS_EC2_METADATA_DISABLED (so that
// the end of the chain never waits on 169.254.169.254; aws_sources_test.cpp covers IMDS).
EnvLookup env_of(std::map<std::string, std::string> vars) {
  vars.try_emplace("AWS_EC2_METADATA_DISABLED", "true");
  return [vars = std::move(vars)](char const* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char const* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char const* kOtherSecret = "OTHERSECRETdoNotLeakThisValue0000000000";

}  // namespace

TEST_SUITE("auth.aws") {
  TEST_CASE("credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY first") {
    TempDir home;
    home.write(".aws/credentials",
               "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()},
                                   {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                   {"AWS_SECRET_ACCESS_KEY", kSecret}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDENV");
    CHECK(c->secret_access_key == kSecret);
    CHECK(c->session_token.empty());
  }

  TEST_CASE("the session token comes from AWS_SESSION_TOKEN with environment credentials") {
    DefaultChainProvider p(env_of({{"HOME", "/nonexistent"},
                                   {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                   {"AWS_SECRET_ACCESS_KEY", kSecret},
                                   {"AWS_SESSION_TOKEN", "TOKEN+/="}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->session_token == "TOKEN+/=");
  }

  TEST_CASE("half of the environment credentials is an error that names the missing variable") {
    {
      DefaultChainProvider p(env_of({{"HOME", "/nonexistent"}, {"AWS_ACCESS_KEY_ID", "AKIDENV"}}));
      auto const c = p.credentials();
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().kind == ErrorKind::kConfig);
      CHECK(c.error().detail.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
    }
    {
      // Even with a usable profile on disk: a half-set environment is a mistake to report.
      TempDir home;
      home.write(".aws/credentials",
                 "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
      DefaultChainProvider p(
          env_of({{"HOME", home.path().string()}, {"AWS_SECRET_ACCESS_KEY", kSecret}}));
      auto const c = p.credentials();
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().detail.find("AWS_ACCESS_KEY_ID") != std::string::npos);
      CHECK(c.error().detail.find(kSecret) == std::string::npos);
    }
  }

  TEST_CASE("the default profile is read from ~/.aws/credentials, with its session token") {
    TempDir home;
    home.write(".aws/credentials",
               "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " +
                   std::string(kSecret) + "\naws_session_token = FILETOKEN\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDFILE");
    CHECK(c->secret_access_key == kSecret);
    CHECK(c->session_token == "FILETOKEN");
  }

  TEST_CASE("AWS_PROFILE selects a section of the credentials file") {
    TempDir home;
    home.write(".aws/credentials",
               "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
               "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s2\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}, {"AWS_PROFILE", "dev"}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDDEV");
    CHECK(c->secret_access_key == "s2");
  }

  TEST_CASE("AWS_PROFILE wins over AWS_DEFAULT_PROFILE") {
    TempDir home;
    home.write(".aws/credentials",
               "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = sa\n"
               "[b]\naws_access_key_id = AKIDB\naws_secret_access_key = sb\n");
    DefaultChainProvider p(env_of(
        {{"HOME", home.path().string()}, {"AWS_PROFILE", "b"}, {"AWS_DEFAULT_PROFILE", "a"}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDB");
  }

  TEST_CASE("a named profile is found in ~/.aws/config under [profile NAME] only") {
    TempDir home;
    home.write(".aws/config",
               "[dev]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n"
               "[profile dev]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sconf\n"
               "aws_session_token = CONFTOKEN\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}, {"AWS_PROFILE", "dev"}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDCONF");
    CHECK(c->secret_access_key == "sconf");
    CHECK(c->session_token == "CONFTOKEN");
  }

  TEST_CASE("the default profile is found in ~/.aws/config under [default]") {
    TempDir home;
    home.write(".aws/config",
               "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sconf\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDCONF");
  }

  TEST_CASE("the credentials file wins over the config file for the same profile") {
    TempDir home;
    home.write(".aws/credentials",
               "[dev]\naws_access_key_id = AKIDCRED\naws_secret_access_key = scred\n");
    home.write(".aws/config",
               "[profile dev]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sconf\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}, {"AWS_PROFILE", "dev"}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDCRED");
  }

  TEST_CASE("an incomplete profile in the credentials file falls through to the config file") {
    TempDir home;
    home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\n");
    home.write(".aws/config",
               "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sconf\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE(c.has_value());
    CHECK(c->access_key_id == "AKIDCONF");
  }

  TEST_CASE("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE replace the files under HOME") {
    TempDir home;
    TempDir elsewhere;
    home.write(".aws/credentials",
               "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = shome\n");
    home.write(".aws/config",
               "[default]\naws_access_key_id = AKIDHOMECONF\naws_secret_access_key = shc\n");
    std::string const cred = elsewhere.write(
        "creds.ini", "[default]\naws_access_key_id = AKIDOVR\naws_secret_access_key = sovr\n");
    std::string const conf = elsewhere.write(
        "conf.ini", "[default]\naws_access_key_id = AKIDOVRCONF\naws_secret_access_key = soc\n");
    {
      DefaultChainProvider p(
          env_of({{"HOME", home.path().string()}, {"AWS_SHARED_CREDENTIALS_FILE", cred}}));
      auto const c = p.credentials();
      REQUIRE(c.has_value());
      CHECK(c->access_key_id == "AKIDOVR");
    }
    {
      // The override points at a missing file: HOME's credentials file is not consulted; the
      // config file (HOME's, then the override) is.
      DefaultChainProvider p(env_of(
          {{"HOME", home.path().string()}, {"AWS_SHARED_CREDENTIALS_FILE", cred + ".missing"}}));
      auto const c = p.credentials();
      REQUIRE(c.has_value());
      CHECK(c->access_key_id == "AKIDHOMECONF");
    }
    {
      DefaultChainProvider p(env_of({{"HOME", home.path().string()},
                                     {"AWS_SHARED_CREDENTIALS_FILE", cred + ".missing"},
                                     {"AWS_CONFIG_FILE", conf}}));
      auto const c = p.credentials();
      REQUIRE(c.has_value());
      CHECK(c->access_key_id == "AKIDOVRCONF");
    }
  }

  TEST_CASE("without HOME the shared files are not read from the working directory") {
    // The AWS CLI has no ~ without a home: it then reads no shared file unless
    // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE name one. A relative "./.aws/credentials"
    // would pick up whatever directory the job happens to run in.
    TempDir cwd;
    cwd.write(".aws/credentials",
              "[default]\naws_access_key_id = AKIDCWD\naws_secret_access_key = scwd\n");
    cwd.write(".aws/config",
              "[default]\nregion = eu-north-1\naws_access_key_id = AKIDCWDCONF\n"
              "aws_secret_access_key = scwdconf\n");
    fs::path const before = fs::current_path();
    fs::current_path(cwd.path());
    struct Restore {
      fs::path dir;
      ~Restore() {
        std::error_code ec;
        fs::current_path(dir, ec);
      }
    } const restore{before};
    {
      DefaultChainProvider p(env_of({}));
      auto const c = p.credentials();
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().kind == ErrorKind::kConfig);
      std::string const& d = c.error().detail;
      CHECK(d.find("HOME") != std::string::npos);
      CHECK(d.find("./.aws") == std::string::npos);
      CHECK(d.find("AWS_SHARED_CREDENTIALS_FILE") != std::string::npos);
    }
    CHECK(resolve_region(env_of({}), "") == "us-east-1");
    {
      // An empty HOME is no home either (process_env() already reports it as unset).
      DefaultChainProvider p(env_of({{"HOME", ""}}));
      auto const c = p.credentials();
      REQUIRE_FALSE(c.has_value());
      CHECK(c.error().detail.find("AKIDCWD") == std::string::npos);
      CHECK(resolve_region(env_of({{"HOME", ""}}), "") == "us-east-1");
    }
    {
      // The overrides still name files to read, HOME or not.
      TempDir elsewhere;
      std::string const cred = elsewhere.write(
          "creds.ini", "[default]\naws_access_key_id = AKIDOVR\naws_secret_access_key = sovr\n");
      std::string const conf = elsewhere.write("conf.ini", "[default]\nregion = sa-east-1\n");
      DefaultChainProvider p(env_of({{"AWS_SHARED_CREDENTIALS_FILE", cred}}));
      auto const c = p.credentials();
      REQUIRE(c.has_value());
      CHECK(c->access_key_id == "AKIDOVR");
      CHECK(resolve_region(env_of({{"AWS_CONFIG_FILE", conf}}), "") == "sa-east-1");
    }
    {
      // Only the config override is set: it is read, and the credentials file is not.
      TempDir elsewhere;
      std::string const conf = elsewhere.write(
          "conf.ini", "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sc\n");
      DefaultChainProvider p(env_of({{"AWS_CONFIG_FILE", conf}}));
      auto const c = p.credentials();
      REQUIRE(c.has_value());
      CHECK(c->access_key_id == "AKIDCONF");
    }
  }

  TEST_CASE("no credentials anywhere is an error naming every place looked at") {
    TempDir home;
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    std::string const& d = c.error().detail;
    CHECK(d.find("AWS_ACCESS_KEY_ID") != std::string::npos);
    CHECK(d.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
    CHECK(d.find("'default'") != std::string::npos);
    CHECK(d.find((home.path() / ".aws/credentials").string()) != std::string::npos);
    CHECK(d.find((home.path() / ".aws/config").string()) != std::string::npos);
  }

  TEST_CASE("a missing named profile is reported as not found, with the override paths") {
    TempDir home;
    std::string const cred = home.write("c.ini", "[default]\naws_access_key_id = AKID\n");
    std::string const conf = home.write("f.ini", "[profile other]\nregion = eu-west-1\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()},
                                   {"AWS_PROFILE", "nope"},
                                   {"AWS_SHARED_CREDENTIALS_FILE", cred},
                                   {"AWS_CONFIG_FILE", conf}}));
    auto const c = p.credentials();
    REQUIRE_FALSE(c.has_value());
    std::string const& d = c.error().detail;
    CHECK(d.find("'nope'") != std::string::npos);
    CHECK(d.find("was not found") != std::string::npos);
    CHECK(d.find(cred) != std::string::npos);
    CHECK(d.find(conf) != std::string::npos);
  }

  TEST_CASE("an error never contains a secret value found in a file") {
    TempDir home;
    // Secrets present, but the key ids are missing/empty, so neither profile is usable.
    home.write(".aws/credentials", "[default]\naws_secret_access_key = " + std::string(kSecret) +
                                       "\naws_session_token = SECRETTOKENVALUE\n");
    home.write(".aws/config", "[default]\naws_access_key_id =\naws_secret_access_key = " +
                                  std::string(kOtherSecret) + "\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE_FALSE(c.has_value());
    std::string const& d = c.error().detail;
    CHECK(d.find(kSecret) == std::string::npos);
    CHECK(d.find(kOtherSecret) == std::string::npos);
    CHECK(d.find("SECRETTOKENVALUE") == std::string::npos);
  }

  TEST_CASE("a credentials path that cannot be read as a file is an error, not a silent skip") {
    TempDir home;
    fs::create_directories(home.path() / ".aws/credentials");  // a directory, not a file
    home.write(".aws/config",
               "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = sconf\n");
    DefaultChainProvider p(env_of({{"HOME", home.path().string()}}));
    auto const c = p.credentials();
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find((home.path() / ".aws/credentials").string()) != std::string::npos);
  }

  TEST_CASE("resolve_region prefers the flag, then AWS_REGION, AWS_DEFAULT_REGION, the profile") {
    TempDir home;
    home.write(".aws/config",
               "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-south-1\n");
    std::string const h = home.path().string();
    CHECK(resolve_region(env_of({{"HOME", h}, {"AWS_REGION", "us-west-2"}}), "eu-west-3") ==
          "eu-west-3");
    CHECK(
        resolve_region(
            env_of({{"HOME", h}, {"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "us-west-1"}}),
            "") == "us-west-2");
    CHECK(resolve_region(env_of({{"HOME", h}, {"AWS_DEFAULT_REGION", "us-west-1"}}), "") ==
          "us-west-1");
    CHECK(resolve_region(env_of({{"HOME", h}}), "") == "eu-central-1");
    CHECK(resolve_region(env_of({{"HOME", h}, {"AWS_PROFILE", "dev"}}), "") == "ap-south-1");
    CHECK(resolve_region(env_of({{"HOME", h}, {"AWS_PROFILE", "missing"}}), "") == "us-east-1");
    CHECK(resolve_region(env_of({{"HOME", "/nonexistent"}}), "") == "us-east-1");
    std::string const conf = home.write("other.ini", "[default]\nregion = sa-east-1\n");
    CHECK(resolve_region(env_of({{"HOME", h}, {"AWS_CONFIG_FILE", conf}}), "") == "sa-east-1");
  }

  TEST_CASE("resolve_s3_endpoint prefers the flag, then AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL") {
    auto const both =
        env_of({{"AWS_ENDPOINT_URL_S3", "http://s3:1"}, {"AWS_ENDPOINT_URL", "http://all:2"}});
    CHECK(resolve_s3_endpoint(both, "http://flag:3") == "http://flag:3");
    CHECK(resolve_s3_endpoint(both, "") == "http://s3:1");
    CHECK(resolve_s3_endpoint(env_of({{"AWS_ENDPOINT_URL", "http://all:2"}}), "") ==
          "http://all:2");
    CHECK(resolve_s3_endpoint(env_of({}), "").empty());
  }

  TEST_CASE("process_env treats empty variables as unset") {
    ::setenv("PRESIGN_TEST_EMPTY_VAR", "", 1);
    ::setenv("PRESIGN_TEST_SET_VAR", "x y", 1);
    auto const env = process_env();
    CHECK_FALSE(env("PRESIGN_TEST_EMPTY_VAR").has_value());
    CHECK(env("PRESIGN_TEST_SET_VAR") == std::optional<std::string>("x y"));
    CHECK_FALSE(env("PRESIGN_TEST_SURELY_UNSET_VAR_12345").has_value());
    ::unsetenv("PRESIGN_TEST_EMPTY_VAR");
    ::unsetenv("PRESIGN_TEST_SET_VAR");
  }

  TEST_CASE("parse_ini handles comments, spaces around '=', CRLF and odd lines") {
    IniFile const ini = parse_ini(
        "# leading comment\r\n"
        "ignored = before any section\r\n"
        "[default]\r\n"
        "aws_access_key_id=AKID\r\n"
        "  aws_secret_access_key   =   s e c r e t  \r\n"
        "; semicolon comment\r\n"
        "   # indented comment\r\n"
        "no equals sign here\r\n"
        "empty =\r\n"
        "equals = a=b=c\r\n"
        "\r\n"
        "[ profile dev ]\n"
        "region = eu-west-1\n"
        "region = eu-west-2\n"
        "[broken\n"
        "lost = yes\n"
        "[tail]\n"
        "last=no newline");
    REQUIRE(ini.count("default") == 1);
    auto const& d = ini.at("default");
    CHECK(d.at("aws_access_key_id") == "AKID");
    CHECK(d.at("aws_secret_access_key") == "s e c r e t");
    CHECK(d.at("empty").empty());
    CHECK(d.at("equals") == "a=b=c");
    CHECK(d.count("ignored") == 0);
    CHECK(d.count("no equals sign here") == 0);
    CHECK(d.size() == 4);
    REQUIRE(ini.count("profile dev") == 1);
    CHECK(ini.at("profile dev").at("region") == "eu-west-2");  // the last value wins
    CHECK(ini.count("broken") == 0);
    for (auto const& [name, kv] : ini) CHECK(kv.count("lost") == 0);
    REQUIRE(ini.count("tail") == 1);
    CHECK(ini.at("tail").at("last") == "no newline");
    CHECK(parse_ini("").empty());
    CHECK(parse_ini("\n\n# only comments\n").empty());
    CHECK(parse_ini("[empty]\n").at("empty").empty());
  }
}
