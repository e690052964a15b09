// The truth about a URL's lifetime (providers/lifetime.hpp): URLs signed with credentials that
// expire first are refused before any work, or signed with --allow-shorter-expiry and given
// the credentials' expiry. Links presign_providers only.
#include "presign/providers/lifetime.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace presign::providers {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

SigningTime const kWhen{seconds{1'700'000'000}};  // 2023-11-14T22:13:20Z

// An S3 signer for `expires` seconds from kWhen, signing with session credentials (the
// secret and token are distinctive, so a message that leaked them would be caught).
SignerSetup s3_setup(std::int64_t expires) {
  auto p = provider_for("s3");
  REQUIRE(p.has_value());
  auto uri = parse_bucket_uri("s3://bucket/");
  REQUIRE(uri.has_value());
  SignSettings s;
  s.expires_seconds = expires;
  s.expires_text = std::to_string(expires);
  s.when = kWhen;
  auth::Credentials c(
      signers::sigv4::Credentials{"ASIAEXAMPLE", "secret-never-shown", "token-never-shown"},
      "credential_process (profile ci)");
  auto setup = (*p)->make_signer(
      *uri, s, c, [](char const*) -> std::optional<std::string> { return std::nullopt; });
  REQUIRE(setup.has_value());
  return std::move(*setup);
}

auth::Credentials session(std::optional<SigningTime> expires) {
  auth::Credentials c(
      signers::sigv4::Credentials{"ASIAEXAMPLE", "secret-never-shown", "token-never-shown"},
      "credential_process (profile ci)");
  c.expires = expires;
  return c;
}

void no_secret_in(std::string const& text) {
  CHECK(text.find("secret-never-shown") == std::string::npos);
  CHECK(text.find("token-never-shown") == std::string::npos);
}

}  // namespace

TEST_SUITE("providers.lifetime") {
  TEST_CASE("credentials without an expiry leave the URL's own expiry") {
    auto setup = s3_setup(7 * 24 * 3600);
    auto t = effective_expiry(setup, session(std::nullopt), false, kWhen);
    REQUIRE(t.has_value());
    CHECK(*t == kWhen + hours{7 * 24});
    CHECK(setup.warnings.empty());
  }

  TEST_CASE("credentials that outlive the URLs change nothing") {
    auto setup = s3_setup(3600);
    auto t = effective_expiry(setup, session(kWhen + hours{12}), false, kWhen);
    REQUIRE(t.has_value());
    CHECK(*t == kWhen + hours{1});
    CHECK(setup.warnings.empty());
    // Ending at the very second the URLs do is not shorter.
    auto exact = effective_expiry(setup, session(kWhen + hours{1}), false, kWhen);
    REQUIRE(exact.has_value());
    CHECK(*exact == kWhen + hours{1});
  }

  TEST_CASE("credentials ending an hour in are refused for 7-day URLs, naming both instants") {
    auto setup = s3_setup(7 * 24 * 3600);
    auto t = effective_expiry(setup, session(kWhen + hours{1}), false, kWhen);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::kAuth);
    std::string const& m = t.error().detail;
    CHECK(m.find("2023-11-14T23:13:20Z") != std::string::npos);  // the credentials' end
    CHECK(m.find("2023-11-21T22:13:20Z") != std::string::npos);  // the URLs' own expiry
    CHECK(m.find("credential_process (profile ci)") != std::string::npos);
    CHECK(m.find("--allow-shorter-expiry") != std::string::npos);
    no_secret_in(m);
    CHECK(setup.warnings.empty());
  }

  TEST_CASE("with allow_shorter the credentials' end is the expiry, and a warning says so") {
    auto setup = s3_setup(7 * 24 * 3600);
    auto t = effective_expiry(setup, session(kWhen + hours{1}), true, kWhen);
    REQUIRE(t.has_value());
    CHECK(*t == kWhen + hours{1});
    REQUIRE(setup.warnings.size() == 1);
    CHECK(setup.warnings[0].find("2023-11-14T23:13:20Z") != std::string::npos);
    CHECK(setup.warnings[0].find("2023-11-21T22:13:20Z") != std::string::npos);
    no_secret_in(setup.warnings[0]);
    // The URL itself still says what was asked: only the truth about it changes.
    CHECK(setup.expires_at == kWhen + hours{7 * 24});
  }

  TEST_CASE("credentials already expired are refused even with allow_shorter") {
    auto setup = s3_setup(3600);
    for (bool allow : {false, true}) {
      auto t = effective_expiry(setup, session(kWhen - seconds{1}), allow, kWhen);
      REQUIRE_FALSE(t.has_value());
      CHECK(t.error().kind == ErrorKind::kAuth);
      CHECK(t.error().detail.find("expired at 2023-11-14T22:13:19Z") != std::string::npos);
      no_secret_in(t.error().detail);
    }
  }

  TEST_CASE("a GCS keyless signature lives the URL's 7 days, whatever its OAuth token's expiry") {
    // The signing account's own key signs through IAM signBlob: the caller's one-hour token
    // asks for the signature and may expire without ending the URL.
    auto setup = s3_setup(7 * 24 * 3600);  // the URL's own expiry; the signer is irrelevant
    auth::GcsKeyless k;
    k.sign_as = "sa@dummy-project-id.iam.gserviceaccount.com";
    auth::Credentials c(k, "GCE_METADATA_HOST=127.0.0.1:1");
    c.expires = kWhen + hours{1};
    auto t = effective_expiry(setup, c, false, kWhen);
    REQUIRE(t.has_value());
    CHECK(*t == kWhen + hours{7 * 24});
    CHECK(setup.warnings.empty());
  }

  TEST_CASE("a user delegation key's expiry caps the URLs, not the Entra token's") {
    // What the Azure provider hands over for a user delegation SAS: the key's SignedExpiry
    // as the credentials' end; the token that fetched it (creds.expires) may end sooner.
    auto setup = s3_setup(3 * 24 * 3600);
    setup.credentials_end = kWhen + hours{24};
    setup.credentials_origin = "the user delegation key (got with a client secret)";
    auth::Credentials token(auth::OAuthToken{"token-never-shown"}, "a client secret");
    token.expires = kWhen + hours{1};
    auto refused = effective_expiry(setup, token, false, kWhen);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::kAuth);
    CHECK(refused.error().detail.find("the user delegation key (got with a client secret)") !=
          std::string::npos);
    CHECK(refused.error().detail.find("2023-11-15T22:13:20Z") != std::string::npos);
    no_secret_in(refused.error().detail);
    auto allowed = effective_expiry(setup, token, true, kWhen);
    REQUIRE(allowed.has_value());
    CHECK(*allowed == kWhen + hours{24});
    // A key that outlives the URLs leaves their own expiry, though the token ends in an hour.
    setup.credentials_end = kWhen + hours{7 * 24};
    auto full = effective_expiry(setup, token, false, kWhen);
    REQUIRE(full.has_value());
    CHECK(*full == kWhen + hours{3 * 24});
  }
}

}  // namespace presign::providers
