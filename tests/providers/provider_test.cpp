// The provider modules (providers/): URIs, which settings apply to which cloud, validation
// before any credential is looked up, and credentials found through the injected environment.
// Links presign_providers only (and what it depends on): no CLI, no pipeline.
#include "presign/providers/provider.hpp"

#include "azurite_key.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace presign::providers {
namespace {

using test::kAzuriteKey;

// An environment that holds exactly `vars` and records every name asked for.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::shared_ptr<std::vector<std::string>> asked = std::make_shared<std::vector<std::string>>();

  [[nodiscard]] EnvLookup lookup() const {
    return [vars = vars, asked = asked](char const* name) -> std::optional<std::string> {
      asked->emplace_back(name);
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

Provider const& provider(std::string_view scheme) {
  auto p = provider_for(scheme);
  REQUIRE(p.has_value());
  return **p;
}

BucketUri uri(std::string_view text) {
  auto u = parse_bucket_uri(text);
  REQUIRE(u.has_value());
  return *u;
}

SignSettings settings(std::int64_t expires = 3600) {
  SignSettings s;
  s.expires_seconds = expires;
  s.expires_text = std::to_string(expires);
  s.when = SigningTime{std::chrono::seconds{1'700'000'000}};
  return s;
}

// The URL `signer` gives `key` (any of the three signers).
std::string url_of(AnySigner const& any, std::string_view key) {
  return std::visit(
      [&](auto const& signer) {
        using S = std::decay_t<decltype(signer)>;
        auto scratch = std::make_unique<typename S::Scratch>();
        std::string out;
        ObjectRef const object{key, {}};
        REQUIRE(signer.sign(object, *scratch, out) == SignError::kOk);
        return out;
      },
      any);
}

// What the program does to sign: check the settings, find the credentials, make the signer.
Result<SignerSetup> sign_setup(Provider const& p, BucketUri const& u, SignSettings const& s,
                               EnvLookup const& env) {
  if (auto r = p.check_sign(u, s); !r) return r.error();
  auto creds = p.credential_source(u, {s.credentials_file, "", false, "", ""}, env)->fetch();
  if (!creds) return creds.error();
  return p.make_signer(u, s, *creds, env);
}

// What `presign ls` does: check the settings, find credentials for listing, make the fetcher.
Result<std::unique_ptr<io::PageFetcher>> list_setup(Provider const& p, BucketUri const& u,
                                                    ListSettings const& s, EnvLookup const& env) {
  if (auto r = p.check_list(u, s, env); !r) return r.error();
  auto creds =
      p.credential_source(u, {s.credentials_file, s.access_token, true, "", ""}, env)->fetch();
  if (!creds) return creds.error();
  return p.make_page_fetcher(u, s, *creds, env);
}

}  // namespace

TEST_SUITE("providers.uri") {
  TEST_CASE("a bucket URI splits into scheme, bucket and prefix at the first slash") {
    auto u = uri("s3://bucket/a/b/");
    CHECK(u.scheme == "s3");
    CHECK(u.bucket == "bucket");
    CHECK(u.prefix == "a/b/");
    CHECK(uri("gs://bkt").prefix.empty());
  }

  TEST_CASE("a URI without a scheme or without a bucket is a usage error") {
    for (char const* bad : {"bucket/prefix", "s3://", "s3:///prefix"}) {
      auto u = parse_bucket_uri(bad);
      REQUIRE_FALSE(u.has_value());
      CHECK(u.error().kind == ErrorKind::kUsage);
    }
  }

  TEST_CASE("an unknown scheme is refused with the list of supported ones") {
    auto p = provider_for("ftp");
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().kind == ErrorKind::kUsage);
    CHECK(p.error().detail == "unsupported scheme 'ftp://' (supported: s3://, gs://, az://)");
    CHECK(provider("s3").scheme() == "s3");
    CHECK(provider("gs").scheme() == "gs");
    CHECK(provider("az").scheme() == "az");
  }

  TEST_CASE("an az URI names the account, then the container, then the listing prefix") {
    Provider const& az = provider("az");
    auto const u = uri("az://acct/photos/2024/");
    CHECK(az.listing_prefix(u) == "2024/");
    CHECK(az.location(u).bucket == "photos");
    CHECK(az.location(u).uri_prefix == "az://acct/photos/");
    CHECK(az.listing_prefix(uri("az://acct/photos")).empty());
    Provider const& s3 = provider("s3");
    CHECK(s3.listing_prefix(uri("s3://b/x/y")) == "x/y");
    CHECK(s3.location(uri("s3://b/x")).uri_prefix == "s3://b/");
  }
}

TEST_SUITE("providers.validate") {
  TEST_CASE("settings of another cloud are refused before any credential is looked up") {
    FakeEnv env;
    SignSettings s = settings();
    s.ip = "10.0.0.1";
    for (char const* scheme : {"s3", "gs"}) {
      auto r =
          sign_setup(provider(scheme), uri(std::string(scheme) + "://bucket"), s, env.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail == "--ip does not apply to " + std::string(scheme) + "://");
    }
    SignSettings r3 = settings();
    r3.region = "us-east-1";
    auto r = sign_setup(provider("az"), uri("az://acct/photos"), r3, env.lookup());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail == "--region does not apply to az://");
    CHECK(env.asked->empty());
  }

  TEST_CASE("--profile (an AWS profile) is refused for gs:// and az://, signing and listing") {
    FakeEnv env;
    SignSettings s = settings();
    s.profile = "dev";
    ListSettings l;
    l.profile = "dev";
    for (char const* u : {"gs://bucket", "az://acct/photos"}) {
      BucketUri const target = uri(u);
      Provider const& p = provider(target.scheme);
      std::string const want = "--profile does not apply to " + target.scheme + "://";
      auto r = sign_setup(p, target, s, env.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail == want);
      auto f = list_setup(p, target, l, env.lookup());
      REQUIRE_FALSE(f.has_value());
      CHECK(f.error().kind == ErrorKind::kUsage);
      CHECK(f.error().detail == want);
    }
    CHECK(env.asked->empty());
  }

  TEST_CASE("--impersonate-service-account is refused for s3:// and az://, signing and listing") {
    FakeEnv env;
    SignSettings s = settings();
    s.impersonate_service_account = "sa@p.iam.gserviceaccount.com";
    ListSettings l;
    l.impersonate_service_account = s.impersonate_service_account;
    for (char const* u : {"s3://bucket", "az://acct/photos"}) {
      BucketUri const target = uri(u);
      Provider const& p = provider(target.scheme);
      std::string const want =
          "--impersonate-service-account does not apply to " + target.scheme + "://";
      auto r = sign_setup(p, target, s, env.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail == want);
      auto f = list_setup(p, target, l, env.lookup());
      REQUIRE_FALSE(f.has_value());
      CHECK(f.error().kind == ErrorKind::kUsage);
      CHECK(f.error().detail == want);
    }
  }

  TEST_CASE("an expiry past seven days is a usage error for S3 and GCS, not for Azure") {
    FakeEnv env;
    SignSettings const s = settings(604801);
    for (char const* scheme : {"s3", "gs"}) {
      auto r = provider(scheme).check_sign(uri(std::string(scheme) + "://bucket"), s);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.find("--expires 604801 is out of range") == 0);
    }
    CHECK(provider("az").check_sign(uri("az://acct/photos"), s).has_value());
  }

  TEST_CASE("a bad GCS bucket name is a usage error even where no credentials exist") {
    FakeEnv env;
    auto r = sign_setup(provider("gs"), uri("gs://Bad_Bucket"), settings(), env.lookup());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kUsage);
    CHECK(env.asked->empty());
  }

  TEST_CASE("an az URI without a container is a usage error for signing and listing") {
    auto const u = uri("az://acct");
    auto s = provider("az").check_sign(u, settings());
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().detail ==
          "'az://acct' names no container: use az://ACCOUNT/CONTAINER[/PREFIX]");
    auto l = provider("az").check_list(u, ListSettings{}, FakeEnv{}.lookup());
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error().detail == s.error().detail);
  }

  TEST_CASE("the listing page size is bounded by each provider's maximum") {
    ListSettings s;
    s.page_size = 1001;
    for (char const* scheme : {"s3", "gs"}) {
      auto r =
          provider(scheme).check_list(uri(std::string(scheme) + "://bkt"), s, FakeEnv{}.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().detail == "--page-size 1001 is out of range: " + std::string(scheme) +
                                    ":// lists 1 to 1000 keys a request");
    }
    s.page_size = 5000;
    CHECK(provider("az").check_list(uri("az://acct/photos"), s, FakeEnv{}.lookup()).has_value());
  }

  TEST_CASE("start-after is an S3 listing setting only") {
    ListSettings s;
    s.start_after = "k";
    CHECK(provider("s3").check_list(uri("s3://bkt"), s, FakeEnv{}.lookup()).has_value());
    for (char const* u : {"gs://bkt", "az://acct/photos"}) {
      auto r = provider(std::string_view(u, 2)).check_list(uri(u), s, FakeEnv{}.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().detail == "--start-after applies to s3:// only");
    }
  }

  TEST_CASE("a CA bundle and no certificate verification together are refused by every provider") {
    ListSettings s;
    s.ca_bundle = "ca.pem";
    s.no_verify_ssl = true;
    for (char const* u : {"s3://bkt", "gs://bkt", "az://acct/photos"}) {
      auto r = provider(std::string_view(u, 2)).check_list(uri(u), s, FakeEnv{}.lookup());
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().detail == "--ca-bundle and --no-verify-ssl contradict each other");
    }
  }
}

TEST_SUITE("providers.credentials") {
  TEST_CASE("an S3 signer takes its keys, region and endpoint from the injected environment") {
    FakeEnv env{{{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                 {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                 {"AWS_REGION", "eu-west-3"},
                 {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4569"}}};
    auto setup = sign_setup(provider("s3"), uri("s3://bucket"), settings(), env.lookup());
    REQUIRE(setup.has_value());
    CHECK(setup->expires_at == settings().when + std::chrono::seconds{3600});
    std::string const url = url_of(setup->signer, "a b.txt");
    CHECK(url.starts_with("http://127.0.0.1:4569/bucket/a%20b.txt?"));
    CHECK(url.find("AKIDEXAMPLE%2F20231114%2Feu-west-3%2Fs3%2Faws4_request") != std::string::npos);
    CHECK(url.find("wJalrXUtnFEMI") == std::string::npos);
  }

  TEST_CASE("without AWS credentials anywhere, signing and listing S3 are credential errors") {
    // No HOME: no ~/.aws either; no instance metadata (no wait on 169.254.169.254).
    FakeEnv env{{{"AWS_EC2_METADATA_DISABLED", "true"}}};
    auto signer = sign_setup(provider("s3"), uri("s3://bucket"), settings(), env.lookup());
    REQUIRE_FALSE(signer.has_value());
    CHECK(signer.error().kind == ErrorKind::kConfig);
    auto fetcher = list_setup(provider("s3"), uri("s3://bucket"), ListSettings{}, env.lookup());
    REQUIRE_FALSE(fetcher.has_value());
    CHECK(fetcher.error().kind == ErrorKind::kConfig);
  }

  TEST_CASE("--profile names the S3 credentials and the region, over the environment's keys") {
    std::string dir = (std::filesystem::temp_directory_path() / "presign-profile-XXXXXX").string();
    REQUIRE(::mkdtemp(dir.data()) != nullptr);
    std::string const config = dir + "/config";
    std::ofstream(config) << "[profile dev]\nregion = ap-south-1\naws_access_key_id = AKIDDEV\n"
                             "aws_secret_access_key = dev-secret\n";
    struct Cleanup {
      std::string d;
      ~Cleanup() { std::filesystem::remove_all(d); }
    } const cleanup{dir};
    FakeEnv env{{{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                 {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                 {"AWS_CONFIG_FILE", config},
                 {"AWS_EC2_METADATA_DISABLED", "true"}}};
    SignSettings s = settings();
    s.profile = "dev";
    Provider const& p = provider("s3");
    auto creds =
        p.credential_source(uri("s3://bucket"), {"", "", false, "dev", ""}, env.lookup())->fetch();
    REQUIRE(creds.has_value());
    auto setup = p.make_signer(uri("s3://bucket"), s, *creds, env.lookup());
    REQUIRE(setup.has_value());
    std::string const url = url_of(setup->signer, "k");
    CHECK(url.find("AKIDDEV%2F20231114%2Fap-south-1%2Fs3") != std::string::npos);
  }

  TEST_CASE("a GCS signer uses an HMAC key from the environment, path style by default") {
    FakeEnv env{{{"GCS_HMAC_ACCESS_ID", "GOOG1EXAMPLE"}, {"GCS_HMAC_SECRET", "c2VjcmV0"}}};
    auto setup = sign_setup(provider("gs"), uri("gs://my-bucket"), settings(), env.lookup());
    REQUIRE(setup.has_value());
    std::string const url = url_of(setup->signer, "k");
    CHECK(
        url.starts_with("https://storage.googleapis.com/my-bucket/k?X-Goog-Algorithm="
                        "GOOG4-HMAC-SHA256&X-Goog-Credential=GOOG1EXAMPLE%2F"));
  }

  TEST_CASE("a GCS listing with an access token in the environment needs no key") {
    FakeEnv env{{{"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.example"}}};
    auto fetcher = list_setup(provider("gs"), uri("gs://bkt/p/"), ListSettings{}, env.lookup());
    REQUIRE(fetcher.has_value());
    CHECK((*fetcher)->describe().find("gs://bkt/p/") != std::string::npos);
    CHECK((*fetcher)->describe().find("ya29") == std::string::npos);
  }

  TEST_CASE(
      "an Azure signer takes the account key from the environment and warns about "
      "https-only over http") {
    FakeEnv env{{{"AZURE_STORAGE_KEY", kAzuriteKey}}};
    SignSettings s = settings();
    s.endpoint = "http://127.0.0.1:10000/devstoreaccount1";
    s.https_only = true;
    auto setup = sign_setup(provider("az"), uri("az://devstoreaccount1/photos"), s, env.lookup());
    REQUIRE(setup.has_value());
    REQUIRE(setup->warnings.size() == 1);
    CHECK(setup->warnings[0].find("--https-only with an http:// endpoint") == 0);
    std::string const url = url_of(setup->signer, "x.txt");
    CHECK(url.starts_with("http://127.0.0.1:10000/devstoreaccount1/photos/x.txt?"));
    CHECK(url.find("spr=https") != std::string::npos);
    CHECK(url.find("Eby8vd") == std::string::npos);
  }

  TEST_CASE("an Azure account named by the environment must be the URI's") {
    FakeEnv env{{{"AZURE_STORAGE_KEY", kAzuriteKey}, {"AZURE_STORAGE_ACCOUNT", "other"}}};
    auto setup =
        sign_setup(provider("az"), uri("az://devstoreaccount1/photos"), settings(), env.lookup());
    REQUIRE_FALSE(setup.has_value());
    CHECK(setup.error().kind == ErrorKind::kConfig);
    CHECK(setup.error().detail.find(kAzuriteKey) == std::string::npos);
  }

  TEST_CASE("credentials found once serve the signer and the lister, without the environment") {
    // A stored integration's keys: a static source. The environment is asked for the region
    // and endpoint defaults only, never for a secret.
    FakeEnv env;
    auth::Credentials const keys{
        signers::sigv4::Credentials{"AKIDSTORED", "stored/secret+key0123456789", ""},
        "integration 'prod'"};
    auto creds = auth::StaticSource(keys).fetch();
    REQUIRE(creds.has_value());
    Provider const& s3 = provider("s3");
    auto const u = uri("s3://bucket/p/");
    auto setup = s3.make_signer(u, settings(), *creds, env.lookup());
    REQUIRE(setup.has_value());
    CHECK(url_of(setup->signer, "k").find("AKIDSTORED%2F") != std::string::npos);
    auto fetcher = s3.make_page_fetcher(u, ListSettings{}, *creds, env.lookup());
    REQUIRE(fetcher.has_value());
    for (auto const& name : *env.asked) {
      CHECK(name.find("ACCESS_KEY") == std::string::npos);
      CHECK(name.find("SECRET") == std::string::npos);
    }
  }

  TEST_CASE("credentials of another cloud are a configuration error that names their origin") {
    FakeEnv env;
    auth::Credentials const gcs{signers::gcs::HmacKey{"GOOG1ID", "hmac-secret-value"},
                                "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET"};
    auto r = provider("s3").make_signer(uri("s3://bucket"), settings(), gcs, env.lookup());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);
    CHECK(r.error().detail ==
          "the credentials from GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET cannot sign or list s3://");
    auto l = provider("az").make_page_fetcher(uri("az://acct/photos"), ListSettings{}, gcs,
                                              env.lookup());
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error().detail.find("hmac-secret-value") == std::string::npos);
  }

  TEST_CASE("a GCS listing token rides along with the key when signing, and alone when listing") {
    FakeEnv env{{{"GCS_HMAC_ACCESS_ID", "GOOG1EXAMPLE"},
                 {"GCS_HMAC_SECRET", "c2VjcmV0"},
                 {"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.example"}}};
    Provider const& gs = provider("gs");
    auto const u = uri("gs://bkt");
    auto for_signing = gs.credential_source(u, {"", "", false, "", ""}, env.lookup())->fetch();
    REQUIRE(for_signing.has_value());
    CHECK(std::holds_alternative<signers::gcs::HmacKey>(for_signing->secret));
    REQUIRE(for_signing->listing_token.has_value());
    CHECK(for_signing->listing_token_origin == "GOOGLE_OAUTH_ACCESS_TOKEN");
    auto for_listing =
        gs.credential_source(u, {"", "--flag-token", true, "", ""}, env.lookup())->fetch();
    REQUIRE(for_listing.has_value());
    CHECK(std::holds_alternative<auth::OAuthToken>(for_listing->secret));
    CHECK(for_listing->origin == "--access-token");
  }
}

}  // namespace presign::providers
