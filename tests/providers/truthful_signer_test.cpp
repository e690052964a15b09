// URLs that say themselves when they stop working (providers/truthful_signer.hpp): with
// credentials ending before --expires and allow_shorter, the signer is made again so that the
// URL's own expiry (X-Amz-Expires, X-Goog-Expires, the SAS se) is the credentials' end.
#include "presign/providers/truthful_signer.hpp"

#include "azurite_key.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

namespace presign::providers {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

SigningTime const kTruthfulWhen{seconds{1'700'000'000}};  // 2023-11-14T22:13:20Z
std::int64_t const kWeek = 7 * 24 * 3600;

std::optional<std::string> no_env(char const*) { return std::nullopt; }

SignSettings week() {
  SignSettings s;
  s.expires_seconds = kWeek;
  s.expires_text = "7d";
  s.when = kTruthfulWhen;
  return s;
}

auth::Credentials ending(auth::Secret secret, std::optional<SigningTime> end) {
  auth::Credentials c(std::move(secret), "credential_process (profile ci)");
  c.expires = end;
  return c;
}

auth::Credentials aws_session(std::optional<SigningTime> end) {
  return ending(signers::sigv4::Credentials{"ASIAEXAMPLE", "secret-never-shown", "tok"}, end);
}

std::string truthful_url_of(AnySigner const& any, std::string_view key) {
  return std::visit(
      [&](auto const& signer) {
        using S = std::decay_t<decltype(signer)>;
        auto scratch = std::make_unique<typename S::Scratch>();
        std::string out;
        REQUIRE(signer.sign(ObjectRef{key, {}}, *scratch, out) == SignError::kOk);
        return out;
      },
      any);
}

Result<SignerSetup> make(std::string_view scheme, std::string const& uri,
                         auth::Credentials const& creds, bool allow, SignSettings s = week()) {
  auto p = provider_for(scheme);
  REQUIRE(p.has_value());
  auto u = parse_bucket_uri(uri);
  REQUIRE(u.has_value());
  return make_truthful_signer(**p, *u, std::move(s), creds, no_env, allow, kTruthfulWhen);
}

}  // namespace

TEST_SUITE("providers.truthful_signer") {
  TEST_CASE("an S3 URL signed with credentials ending first carries their end in X-Amz-Expires") {
    auto setup = make("s3", "s3://bucket", aws_session(kTruthfulWhen + hours{2}), true);
    REQUIRE(setup.has_value());
    CHECK(setup->expires_at == kTruthfulWhen + hours{2});
    REQUIRE(setup->warnings.size() == 1);
    std::string const url = truthful_url_of(setup->signer, "a.jpg");
    CHECK(url.find("X-Amz-Expires=7200&") != std::string::npos);
    CHECK(url.find("X-Amz-Date=20231114T221320Z") != std::string::npos);
  }

  TEST_CASE("credentials outliving the URL leave its asked expiry untouched") {
    auto setup = make("s3", "s3://bucket", aws_session(kTruthfulWhen + hours{24 * 8}), false);
    REQUIRE(setup.has_value());
    CHECK(setup->expires_at == kTruthfulWhen + seconds{kWeek});
    CHECK(setup->warnings.empty());
    CHECK(truthful_url_of(setup->signer, "a.jpg").find("X-Amz-Expires=604800&") !=
          std::string::npos);
  }

  TEST_CASE("without allow_shorter the credentials' earlier end is still refused") {
    auto setup = make("s3", "s3://bucket", aws_session(kTruthfulWhen + hours{2}), false);
    REQUIRE_FALSE(setup.has_value());
    CHECK(setup.error().kind == ErrorKind::kAuth);
  }

  TEST_CASE("credentials ending before the signing time are refused, naming both instants") {
    SignSettings s = week();
    s.when = kTruthfulWhen + hours{3};  // --signing-time in the future, past the credentials' end
    auto setup = make("s3", "s3://bucket", aws_session(kTruthfulWhen + hours{2}), true, s);
    REQUIRE_FALSE(setup.has_value());
    CHECK(setup.error().kind == ErrorKind::kAuth);
    CHECK(setup.error().detail.find(format_rfc3339(kTruthfulWhen + hours{2})) != std::string::npos);
    CHECK(setup.error().detail.find(format_rfc3339(kTruthfulWhen + hours{3})) != std::string::npos);
    CHECK(setup.error().detail.find("secret-never-shown") == std::string::npos);
  }

  TEST_CASE("a GCS V4 URL carries the credentials' end in X-Goog-Expires") {
    auto setup =
        make("gs", "gs://bucket",
             ending(signers::gcs::HmacKey{"GOOG1EXAMPLE", "hmac-secret"}, kTruthfulWhen + hours{1}),
             true);
    REQUIRE(setup.has_value());
    CHECK(setup->expires_at == kTruthfulWhen + hours{1});
    CHECK(truthful_url_of(setup->signer, "k").find("X-Goog-Expires=3600&") != std::string::npos);
  }

  TEST_CASE("an Azure SAS carries the credentials' end in se") {
    auth::Credentials c =
        ending(auth::azure::AccountCredentials{"devstoreaccount1", test::kAzuriteKey, "", "env"},
               kTruthfulWhen + hours{1});
    SignSettings s = week();
    s.endpoint = "http://127.0.0.1:10000/devstoreaccount1";
    auto setup = make("az", "az://devstoreaccount1/photos", c, true, s);
    REQUIRE(setup.has_value());
    std::string const url = truthful_url_of(setup->signer, "x.txt");
    // 2023-11-14T23:13:20Z, ':' percent-encoded in the query
    CHECK(url.find("se=2023-11-14T23%3A13%3A20Z") != std::string::npos);
  }
}

}  // namespace presign::providers
