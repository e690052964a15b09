// The GCS credential chain's keyless sources (auth/gcs.hpp): ADC user credentials from a
// file, gcloud's ADC file, the metadata server named by GCE_METADATA_HOST, and
// --impersonate-service-account over each, with an injected environment. No request is made
// here (the metadata server is asked only for its default account, which these cases do not
// need; io_tests and tests/scripts/gcs_keyless.sh cover the network).
#include "presign/auth/gcs.hpp"
#include "presign/auth/gcs_key_file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <variant>

using namespace presign;
using namespace presign::auth;
using namespace presign::auth::gcs;

namespace {

constexpr char kTarget[] = "target-sa@dummy-project-id.iam.gserviceaccount.com";

std::string adc_json(std::string const& extra = {}) {
  return R"({"type": "authorized_user", "client_id": "cid.apps", "client_secret": "s3cret-value",)"
         R"( "refresh_token": "1//refresh-value")" +
         extra + "}";
}

struct Env {
  std::map<std::string, std::string> vars;
  [[nodiscard]] EnvLookup lookup() const {
    return [this](char const* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

Result<Credentials> fetch(Env const& env, std::string const& impersonate, bool listing = false,
                          std::string const& file = {}) {
  return DefaultChain(file, "", listing, env.lookup(), impersonate).fetch();
}

}  // namespace

TEST_SUITE("auth.gcs_keyless") {
  TEST_CASE("parse_authorized_user takes token_uri and names a missing field, never a value") {
    auto k =
        parse_authorized_user(adc_json(R"(, "token_uri": "http://127.0.0.1:9/token")"), "adc.json");
    REQUIRE(k.has_value());
    CHECK(k->source == GcsKeyless::TokenSource::kAuthorizedUser);
    CHECK(k->client_id == "cid.apps");
    CHECK(k->refresh_token == "1//refresh-value");
    CHECK(k->token_uri == "http://127.0.0.1:9/token");
    CHECK(parse_authorized_user(adc_json(), "adc.json")->token_uri ==
          "https://oauth2.googleapis.com/token");
    auto missing = parse_authorized_user(R"({"type":"authorized_user","client_id":"c",)"
                                         R"("client_secret":"s3cret-value"})",
                                         "adc.json");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::kConfig);
    CHECK(missing.error().detail.find("refresh_token") != std::string::npos);
    CHECK(missing.error().detail.find("s3cret") == std::string::npos);
    CHECK_FALSE(parse_authorized_user("not json", "adc.json").has_value());
    CHECK_FALSE(parse_authorized_user(R"({"type":"service_account"})", "adc.json").has_value());
    CHECK_FALSE(parse_authorized_user(adc_json(R"(, "token_uri": 5)"), "adc.json").has_value());
    CHECK(credentials_type(adc_json()) == "authorized_user");
    CHECK(credentials_type("[1]").empty());
  }

  TEST_CASE("ADC user credentials sign only as --impersonate-service-account") {
    test::TempDir dir;
    Env env;
    env.vars["GOOGLE_APPLICATION_CREDENTIALS"] = dir.write("adc.json", adc_json());
    auto alone = fetch(env, "");
    REQUIRE_FALSE(alone.has_value());
    CHECK(alone.error().kind == ErrorKind::kConfig);
    CHECK(alone.error().detail.find("--impersonate-service-account") != std::string::npos);
    CHECK(alone.error().detail.find("s3cret") == std::string::npos);

    auto signing = fetch(env, kTarget);
    REQUIRE(signing.has_value());
    auto const& k = std::get<GcsKeyless>(signing->secret);
    CHECK(k.source == GcsKeyless::TokenSource::kAuthorizedUser);
    CHECK(k.sign_as == kTarget);
    CHECK(k.impersonated);  // named by the option: listing acts as that account too
    CHECK_FALSE(signing->expires.has_value());

    // Listing needs no account to sign as; without the option it lists as the user.
    auto listing = fetch(env, "", /*listing=*/true);
    REQUIRE(listing.has_value());
    CHECK(std::holds_alternative<GcsKeyless>(listing->secret));
    CHECK_FALSE(std::get<GcsKeyless>(listing->secret).impersonated);

    // The same file given with --credentials.
    auto explicit_file = fetch(Env{}, kTarget, false, dir.file("adc.json"));
    REQUIRE(explicit_file.has_value());
    CHECK(std::holds_alternative<GcsKeyless>(explicit_file->secret));
  }

  TEST_CASE("gcloud's ADC file is found under CLOUDSDK_CONFIG or HOME when nothing is named") {
    test::TempDir dir;
    dir.write("application_default_credentials.json", adc_json());
    Env env;
    env.vars["CLOUDSDK_CONFIG"] = dir.path().string();
    CHECK(adc_well_known_file(env.lookup()) == dir.file("application_default_credentials.json"));
    auto c = fetch(env, kTarget);
    REQUIRE(c.has_value());
    CHECK(std::get<GcsKeyless>(c->secret).source == GcsKeyless::TokenSource::kAuthorizedUser);
    Env home;
    home.vars["HOME"] = "/home/someone";
    CHECK(adc_well_known_file(home.lookup()) ==
          "/home/someone/.config/gcloud/application_default_credentials.json");
  }

  TEST_CASE("GCE_METADATA_HOST names the metadata server as the token source") {
    Env env;
    env.vars["GCE_METADATA_HOST"] = "127.0.0.1:1";
    env.vars["HOME"] = "/nonexistent-home";
    auto c = fetch(env, kTarget);  // an account to sign as: no request
    REQUIRE(c.has_value());
    auto const& k = std::get<GcsKeyless>(c->secret);
    CHECK(k.source == GcsKeyless::TokenSource::kMetadataServer);
    CHECK(k.metadata_host == "127.0.0.1:1");
    CHECK(k.sign_as == kTarget);
    CHECK(k.impersonated);
    // Listing without the option: the metadata server's own account lists as itself.
    auto listing = fetch(env, "", /*listing=*/true);
    REQUIRE(listing.has_value());
    CHECK_FALSE(std::get<GcsKeyless>(listing->secret).impersonated);
    CHECK(c->origin.find("GCE_METADATA_HOST") != std::string::npos);
    // Without one, the default account is asked for: nothing listens, so kAuth.
    auto down = fetch(env, "");
    REQUIRE_FALSE(down.has_value());
    CHECK(down.error().kind == ErrorKind::kAuth);
    CHECK(down.error().detail.find("metadata server at 127.0.0.1:1") != std::string::npos);
  }

  TEST_CASE("a service-account key signs locally, or keyless as --impersonate-service-account") {
    std::string const key = test::vectors_dir() + "/gcs/test_service_account.not-a-test.json";
    auto local = fetch(Env{}, "", false, key);
    REQUIRE(local.has_value());
    CHECK(std::holds_alternative<signers::gcs::ServiceAccountKey>(local->secret));
    auto keyless = fetch(Env{}, kTarget, false, key);
    REQUIRE(keyless.has_value());
    auto const& k = std::get<GcsKeyless>(keyless->secret);
    CHECK(k.source == GcsKeyless::TokenSource::kServiceAccountKey);
    CHECK(k.key.has_value());
    CHECK(k.impersonated);
    CHECK(keyless->key_file == key);
  }

  TEST_CASE("an HMAC key refuses --impersonate-service-account") {
    Env env;
    env.vars["GCS_HMAC_ACCESS_ID"] = "GOOG1EXAMPLE";
    env.vars["GCS_HMAC_SECRET"] = "hmac-secret";
    auto c = fetch(env, kTarget);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kUsage);
    CHECK(fetch(env, "").has_value());
  }

  TEST_CASE("with no credentials at all the message names ADC and the metadata server") {
    Env env;
    env.vars["HOME"] = "/nonexistent-home";
    auto c = fetch(env, "");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().detail.find("application_default_credentials.json") != std::string::npos);
    CHECK(c.error().detail.find("GCE_METADATA_HOST") != std::string::npos);
  }
}
