// GCS credentials as the user gives them (auth/gcs_key_file.hpp): key files recognised by
// type, and the chain --credentials, the GCS_HMAC pair, GOOGLE_APPLICATION_CREDENTIALS, with an
// injected environment. The key is Google's published dummy key (tests/vectors/gcs).
#include "presign/auth/gcs_key_file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <variant>

using namespace presign;
using namespace presign::auth::gcs;
using presign::auth::EnvLookup;
using presign::signers::gcs::Algorithm;
using presign::signers::gcs::algorithm_of;
using presign::signers::gcs::credential_id;
using presign::signers::gcs::HmacKey;
using presign::signers::gcs::ServiceAccountKey;

namespace {

std::string key_file() { return test::vectors_dir() + "/gcs/test_service_account.not-a-test.json"; }

constexpr char kClientEmail[] = "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com";

}  // namespace

TEST_SUITE("auth.gcs") {
  TEST_CASE("credential files are recognised by type and errors never quote key material") {
    std::string const sa = test::read_file(key_file());
    auto c = parse_credentials_json(sa, "sa.json");
    REQUIRE(c.has_value());
    CHECK(algorithm_of(*c) == Algorithm::kRsaSha256);
    CHECK(credential_id(*c) == kClientEmail);
    CHECK(std::get<ServiceAccountKey>(*c).signature_bytes() == 256);

    auto h = parse_credentials_json(
        R"({"type": "hmac_key", "access_id": "GOOG1EABC", "secret": "s3cr3t/with+chars="})",
        "h.json");
    REQUIRE(h.has_value());
    CHECK(algorithm_of(*h) == Algorithm::kHmacSha256);
    CHECK(std::get<HmacKey>(*h).secret == "s3cr3t/with+chars=");

    std::string const secret = "TOP-SECRET-VALUE";
    std::map<std::string, std::string> const bad = {
        {"not json", "{" + secret},
        {"array", "[\"" + secret + "\"]"},
        {"no type", R"({"secret": ")" + secret + R"("})"},
        {"authorized_user", R"({"type": "authorized_user", "client_secret": ")" + secret +
                                R"(", "refresh_token": "x"})"},
        {"junk type", R"({"type": ")" + secret + R"("})"},
        {"hmac without secret", R"({"type": "hmac_key", "access_id": "GOOG1E"})"},
        {"hmac without id", R"({"type": "hmac_key", "secret": ")" + secret + R"("})"},
        {"sa without key", R"({"type": "service_account", "client_email": "a@b.c"})"},
        {"sa with junk key",
         R"({"type": "service_account", "client_email": "a@b.c", "private_key": "-----BEGIN PRIVATE KEY-----\n)" +
             secret + R"(\n-----END PRIVATE KEY-----\n"})"},
    };
    for (auto const& [what_case, json] : bad) {
      std::string const& what = what_case;  // (clang 14 cannot capture a structured binding)
      CAPTURE(what);
      auto r = parse_credentials_json(json, "creds.json");
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kConfig);
      CHECK(r.error().detail.find("creds.json") != std::string::npos);
      CHECK(r.error().detail.find(secret) == std::string::npos);
    }
    auto au = parse_credentials_json(bad.at("authorized_user"), "adc.json");
    CHECK(au.error().detail.find("\"authorized_user\", which cannot sign URLs") !=
          std::string::npos);
    auto missing = load_credentials_file("/nonexistent/key.json");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().detail.find("/nonexistent/key.json") != std::string::npos);
  }

  TEST_CASE(
      "the credential chain is --credentials then the GCS_HMAC pair then "
      "GOOGLE_APPLICATION_CREDENTIALS") {
    std::map<std::string, std::string> vars;
    EnvLookup const env = [&vars](char const* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    auto none = resolve_credentials("", env);
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().kind == ErrorKind::kConfig);
    for (char const* looked : {"--credentials", "GCS_HMAC_ACCESS_ID", "GCS_HMAC_SECRET",
                               "GOOGLE_APPLICATION_CREDENTIALS"}) {
      CHECK(none.error().detail.find(looked) != std::string::npos);
    }
    vars["GOOGLE_APPLICATION_CREDENTIALS"] = key_file();
    CHECK(algorithm_of(resolve_credentials("", env).value()) == Algorithm::kRsaSha256);
    vars["GCS_HMAC_ACCESS_ID"] = "GOOG1EENV";
    auto half = resolve_credentials("", env);
    REQUIRE_FALSE(half.has_value());
    CHECK(half.error().detail.find("GCS_HMAC_SECRET") != std::string::npos);
    vars["GCS_HMAC_SECRET"] = "env-secret";
    auto hmac = resolve_credentials("", env).value();
    CHECK(credential_id(hmac) == "GOOG1EENV");
    CHECK(algorithm_of(resolve_credentials(key_file(), env).value()) == Algorithm::kRsaSha256);
    vars.clear();
    vars["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/adc.json";
    auto bad = resolve_credentials("", env);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().detail.starts_with("GOOGLE_APPLICATION_CREDENTIALS: "));
  }

  TEST_CASE("the key file gives client_email private_key_id and token_uri") {
    auto info = load_service_account_info(key_file());
    REQUIRE(info.has_value());
    CHECK(info->client_email == kClientEmail);
    CHECK(info->private_key_id == "ffffffffffffffffffffffffffffffffffffffff");
    CHECK(info->token_uri == "https://oauth2.googleapis.com/token");
    auto missing = load_service_account_info("/nonexistent/key.json");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().detail.find("/nonexistent/key.json") != std::string::npos);
  }
}
