// Listing as an impersonated service account (io/gcs_keyless.hpp,
// make_impersonated_token_provider): generateAccessToken's parser and URL, and the token
// provider against the fake server in process (tests/support/fake_gcs_server.hpp), whose
// generateAccessToken issues tokens of its account that its listing accepts and counts apart
// from the caller's. Retry sleeps are injected (no-ops).
#include "presign/io/gcs_keyless.hpp"

#include "../fuzz/fuzz_replay.hpp"
#include "fake_gcs_server.hpp"
#include "gcs_test_key.hpp"
#include "presign/io/gcs_lister.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace presign::fuzz {
int gcs_access_token_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

using namespace presign;
using namespace presign::io;

namespace {

std::string const& test_email() {
  static std::string const e = test::gcs_service_account_key().client_email();
  return e;
}

RetryEnv no_sleep() {
  RetryEnv env;
  env.sleep = [](std::chrono::milliseconds) {};
  return env;
}

test::FakeGcsOptions fake_options() {
  test::FakeGcsOptions o;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(test::read_file(test::gcs_key_file()));
  o.key_pem = std::string(parser.parse(padded)["private_key"].get_string().value());
  o.client_email = test_email();
  o.bucket = "test-bucket";
  o.names = {"dir/a", "dir/b", "dir/c"};
  return o;
}

std::shared_ptr<AccessTokenProvider> caller_tokens(test::FakeGcsServer const& s) {
  MetadataTokenConfig cfg;
  cfg.host = "127.0.0.1:" + std::to_string(s.port());
  cfg.retry_env = no_sleep();
  auto p = make_metadata_token_provider(std::move(cfg));
  REQUIRE(p.has_value());
  return std::shared_ptr<AccessTokenProvider>(std::move(*p));
}

ImpersonatedTokenConfig impersonated_config(test::FakeGcsServer const& s, std::string email,
                                            std::shared_ptr<AccessTokenProvider> base) {
  ImpersonatedTokenConfig cfg;
  cfg.email = std::move(email);
  cfg.endpoint = s.endpoint();
  cfg.base = std::move(base);
  cfg.retry_env = no_sleep();
  return cfg;
}

std::shared_ptr<AccessTokenProvider> impersonated(ImpersonatedTokenConfig cfg) {
  auto p = make_impersonated_token_provider(std::move(cfg));
  REQUIRE(p.has_value());
  return std::shared_ptr<AccessTokenProvider>(std::move(*p));
}

// Every key under `prefix`, listed with `tokens`.
Result<std::vector<std::string>> list_all(test::FakeGcsServer const& s,
                                          std::shared_ptr<AccessTokenProvider> tokens,
                                          std::string const& prefix) {
  GcsListerConfig cfg;
  cfg.bucket = "test-bucket";
  cfg.endpoint = s.endpoint();
  cfg.tokens = std::move(tokens);
  cfg.retry_env = no_sleep();
  auto f = make_gcs_page_fetcher(std::move(cfg));
  REQUIRE(f.has_value());
  std::vector<std::string> keys;
  ListRequest req;
  req.prefix = prefix;
  req.page_size = 2;
  ListPage page;
  for (;;) {
    std::string bytes;
    if (auto r = (*f)->fetch(req, page, bytes); !r) return r.error();
    for (auto const& o : page.objects) keys.emplace_back(o.key.in(bytes));
    if (!page.truncated) break;
    req.token = page.next_token;
  }
  return keys;
}

}  // namespace

TEST_SUITE("io.gcs_impersonated") {
  TEST_CASE("parse_generate_access_token_response reads accessToken and a UTC expireTime") {
    auto r = parse_generate_access_token_response(
        R"({"accessToken":"ya29.c.abc-DEF_1","expireTime":"2026-12-06T00:44:34Z"})");
    REQUIRE(r.has_value());
    CHECK(r->access_token == "ya29.c.abc-DEF_1");
    CHECK(format_rfc3339(r->expire_time) == "2026-12-06T00:44:34Z");
    auto frac = parse_generate_access_token_response(
        R"({"expireTime":"2026-12-06T00:44:34.999999Z","accessToken":"t"})");
    REQUIRE(frac.has_value());
    CHECK(format_rfc3339(frac->expire_time) == "2026-12-06T00:44:34Z");
  }

  TEST_CASE("parse_generate_access_token_response refuses what is not the documented answer") {
    for (char const* body :
         {"", "{", "[]", "null", R"({"expireTime":"2026-12-06T00:44:34Z"})",
          R"({"accessToken":"ya29.secret-token"})",
          R"({"accessToken":42,"expireTime":"2026-12-06T00:44:34Z"})",
          R"({"accessToken":"","expireTime":"2026-12-06T00:44:34Z"})",
          R"({"accessToken":"ya29.secret token","expireTime":"2026-12-06T00:44:34Z"})",
          R"({"accessToken":"ya29.secret-token","expireTime":"2026-12-06T01:44:34+01:00"})",
          R"({"accessToken":"ya29.secret-token","expireTime":"2026-12-06 00:44:34Z"})",
          R"({"accessToken":"ya29.secret-token","expireTime":"2026-13-06T00:44:34Z"})",
          R"({"accessToken":"ya29.secret-token","expireTime":1765000000})"}) {
      CAPTURE(body);
      auto r = parse_generate_access_token_response(body);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kProtocol);
      CHECK(r.error().detail.find("secret") == std::string::npos);
    }
  }

  TEST_CASE("generate_access_token_url names the account; a bad e-mail or endpoint is refused") {
    auto u = generate_access_token_url("http://127.0.0.1:9/", "sa@p.iam.gserviceaccount.com");
    REQUIRE(u.has_value());
    CHECK(*u ==
          "http://127.0.0.1:9/v1/projects/-/serviceAccounts/"
          "sa@p.iam.gserviceaccount.com:generateAccessToken");
    auto d = generate_access_token_url("", "sa@p.iam.gserviceaccount.com");
    REQUIRE(d.has_value());
    CHECK(d->starts_with("https://iamcredentials.googleapis.com/v1/"));
    CHECK(generate_access_token_url("", "not/an-email").error().kind == ErrorKind::kUsage);
    auto bad = generate_access_token_url("ftp://x", "sa@p.iam.gserviceaccount.com");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::kConfig);
    CHECK(bad.error().detail.find(kEnvIamCredentialsEndpoint) != std::string::npos);
  }

  TEST_CASE("the impersonated account's token lists the bucket and is asked for once") {
    test::FakeGcsServer server(fake_options());
    auto tokens = impersonated(impersonated_config(server, test_email(), caller_tokens(server)));
    for (int i = 0; i < 2; ++i) {
      auto keys = list_all(server, tokens, "dir/");
      REQUIRE(keys.has_value());
      CHECK(*keys == std::vector<std::string>{"dir/a", "dir/b", "dir/c"});
    }
    auto const c = server.counters();
    CHECK(c.generate_requests == 1);
    CHECK(c.access_tokens_generated == 1);
    CHECK(c.pages_as_impersonated == 4);
    CHECK(c.pages_as_caller == 0);
    CHECK(tokens->describe().find(test_email()) != std::string::npos);
    CHECK(tokens->describe().find("metadata server") != std::string::npos);
  }

  TEST_CASE("the token is asked for again within five minutes of its expireTime") {
    test::FakeGcsServer server(fake_options());
    auto cfg = impersonated_config(server, test_email(), caller_tokens(server));
    auto const start = std::chrono::system_clock::now();
    auto now = std::make_shared<std::atomic<std::int64_t>>(0);  // seconds after start
    cfg.clock = [start, now] { return start + std::chrono::seconds(now->load()); };
    auto tokens = impersonated(std::move(cfg));
    auto first = tokens->token();
    REQUIRE(first.has_value());
    now->store(3600 - 310);  // the fake's tokens live 3600 s (whole seconds): outside the margin
    auto same = tokens->token();
    REQUIRE(same.has_value());
    CHECK(*same == *first);
    CHECK(server.counters().generate_requests == 1);
    now->store(3600 - 290);
    auto fresh = tokens->token();
    REQUIRE(fresh.has_value());
    CHECK(*fresh != *first);
    CHECK(server.counters().generate_requests == 2);
  }

  TEST_CASE("429, 503 and a 200 without an expireTime are retried") {
    auto o = fake_options();
    o.generate_script = {test::GcsFault::kTooManyRequests429, test::GcsFault::kUnavailable503,
                         test::GcsFault::kMalformed200};
    test::FakeGcsServer server(o);
    auto tokens = impersonated(impersonated_config(server, test_email(), caller_tokens(server)));
    auto keys = list_all(server, tokens, "dir/");
    REQUIRE(keys.has_value());
    CHECK(keys->size() == 3);
    CHECK(server.counters().generate_requests == 4);
  }

  TEST_CASE("an account IAM refuses (403) fails at once naming it and IAM's message") {
    test::FakeGcsServer server(fake_options());
    std::string const denied = "denied-sa@dummy-project-id.iam.gserviceaccount.com";
    auto tokens = impersonated(impersonated_config(server, denied, caller_tokens(server)));
    auto keys = list_all(server, tokens, "dir/");
    REQUIRE_FALSE(keys.has_value());
    Error const& e = keys.error();
    CHECK(e.kind == ErrorKind::kAuth);
    CHECK(e.detail.find(denied) != std::string::npos);
    CHECK(e.detail.find("PERMISSION_DENIED") != std::string::npos);
    CHECK(e.detail.find("iam.serviceAccounts.getAccessToken") != std::string::npos);
    CHECK(e.detail.find("roles/iam.serviceAccountTokenCreator") != std::string::npos);
    CHECK(e.detail.find("ya29") == std::string::npos);
    auto const c = server.counters();
    CHECK(c.generate_requests == 1);  // not retried
    CHECK(c.list_requests == 0);
  }

  TEST_CASE("an unknown account (404) is a configuration error, not retried") {
    test::FakeGcsServer server(fake_options());
    auto tokens = impersonated(impersonated_config(
        server, "nobody@dummy-project-id.iam.gserviceaccount.com", caller_tokens(server)));
    auto t = tokens->token();
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::kConfig);
    CHECK(t.error().detail.find("no such service account") != std::string::npos);
    CHECK(server.counters().generate_requests == 1);
  }

  TEST_CASE("a caller token IAM refuses (401) is replaced once, then the call succeeds") {
    test::FakeGcsServer server(fake_options());
    auto caller = caller_tokens(server);
    REQUIRE(caller->token().has_value());  // cached by the caller's provider
    server.revoke_tokens();
    auto tokens = impersonated(impersonated_config(server, test_email(), caller));
    auto t = tokens->token();
    REQUIRE(t.has_value());
    auto const c = server.counters();
    CHECK(c.generate_unauthorized == 1);
    CHECK(c.generate_requests == 2);
    CHECK(c.access_tokens_generated == 1);
  }

  TEST_CASE("an impersonated token is not accepted by IAM in place of the caller's") {
    test::FakeGcsServer server(fake_options());
    auto first = impersonated(impersonated_config(server, test_email(), caller_tokens(server)));
    // Impersonating again with the first account's tokens as the "caller": IAM refuses them
    // (401), and once more with the fresh one the first provider gives.
    auto chained = impersonated(impersonated_config(server, test_email(), first));
    auto t = chained->token();
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::kAuth);
    CHECK(t.error().detail.find("refused the access token of service account") !=
          std::string::npos);
    CHECK(t.error().detail.find("ya29") == std::string::npos);
  }

  TEST_CASE("the gcs_access_token fuzz corpus and regression inputs replay cleanly") {
    fuzz::replay_fuzz_inputs({{"gcs_access_token", fuzz::gcs_access_token_one, 6, 1}});
  }
}
