// The GCS objects.list fetcher and its access-token providers (io/src/gcs_lister.cpp) against
// the fake Cloud Storage JSON API (tests/support/fake_gcs_server.hpp) in process. The fake's
// token endpoint verifies every assertion with the public half of Google's published dummy key
// (tests/vectors/gcs/test_service_account.not-a-test.json), so a wrong byte in the JWT fails
// here. Retry sleeps are injected (no-ops) so fault tests take milliseconds.
#include "presign/io/gcs_lister.hpp"

#include "fake_gcs_server.hpp"
#include "rsa_key.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace presign;
using namespace presign::io;
namespace gcs = presign::signers::gcs;

namespace {

struct TestKey {
  std::string json;
  std::string pem;
  std::string email;
};

TestKey const& test_key() {
  static TestKey const k = [] {
    TestKey t;
    t.json = test::read_file(test::vectors_dir() + "/gcs/test_service_account.not-a-test.json");
    simdjson::dom::parser parser;
    simdjson::padded_string padded(t.json);
    simdjson::dom::element doc = parser.parse(padded).value();
    t.pem = std::string(doc["private_key"].get_string().value());
    t.email = std::string(doc["client_email"].get_string().value());
    return t;
  }();
  return k;
}

// A fresh RSA key: "the wrong key for the e-mail".
std::string other_rsa_pem() { return test::fresh_rsa_pem(); }

test::FakeGcsOptions server_options(std::vector<std::string> names) {
  test::FakeGcsOptions o;
  o.bucket = "test-bucket";
  o.names = std::move(names);
  o.key_pem = test_key().pem;
  o.client_email = test_key().email;
  return o;
}

RetryEnv no_sleep() {
  RetryEnv env;
  env.sleep = [](std::chrono::milliseconds) {};
  return env;
}

std::shared_ptr<AccessTokenProvider> sa_provider(test::FakeGcsServer const& server,
                                                 std::string const& pem = test_key().pem) {
  auto key = gcs::ServiceAccountKey::from_pem(test_key().email, pem, "test key");
  REQUIRE(key.has_value());
  auto info = gcs::oauth::parse_service_account_info(test_key().json, "test key");
  REQUIRE(info.has_value());
  info->token_uri = server.token_url();
  ServiceAccountTokenConfig tc(*key, *info);
  tc.retry_env = no_sleep();
  auto p = make_service_account_token_provider(std::move(tc));
  REQUIRE(p.has_value());
  return std::shared_ptr<AccessTokenProvider>(std::move(*p));
}

std::unique_ptr<PageFetcher> fetcher(test::FakeGcsServer const& server,
                                     std::shared_ptr<AccessTokenProvider> tokens,
                                     std::string bucket = "test-bucket") {
  GcsListerConfig cfg;
  cfg.bucket = std::move(bucket);
  cfg.endpoint = server.endpoint();
  cfg.tokens = std::move(tokens);
  cfg.retry_env = no_sleep();
  auto f = make_gcs_page_fetcher(std::move(cfg));
  REQUIRE(f.has_value());
  return std::move(*f);
}

// Lists every page of `prefix`; returns the keys, or the first error.
Result<std::vector<std::string>> list_all(PageFetcher& f, std::string const& prefix,
                                          std::uint32_t page_size, int* pages = nullptr) {
  std::vector<std::string> keys;
  ListRequest req;
  req.prefix = prefix;
  req.page_size = page_size;
  ListPage page;
  std::string bytes;
  int n = 0;
  for (;;) {
    bytes.clear();
    if (auto r = f.fetch(req, page, bytes); !r) return r.error();
    ++n;
    for (auto const& o : page.objects) keys.emplace_back(o.key.in(bytes));
    if (!page.truncated) break;
    req.token = page.next_token;
  }
  if (pages != nullptr) *pages = n;
  return keys;
}

std::vector<std::string> numbered(std::string const& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%05d", i);
    v.push_back(prefix + buf);
  }
  return v;
}

bool contains(std::string const& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("io.gcs_lister") {
  TEST_CASE("the objects.list query trims fields and encodes the token and prefix") {
    ListRequest req;
    req.prefix = "a b/+%&=?#é";
    req.token = "++//==";
    req.page_size = 250;
    CHECK(gcs_list_query(req) ==
          "fields=items%28name%2Csize%2Cupdated%2Cgeneration%2Cetag%29%2CnextPageToken%2Cprefixes"
          "&maxResults=250&pageToken=%2B%2B%2F%2F%3D%3D&prefix=a%20b%2F%2B%25%26%3D%3F%23%C3%A9");
    req = {};
    req.page_size = 9000;
    CHECK(gcs_list_query(req).ends_with("&maxResults=5000"));
    req.page_size = 0;
    CHECK(gcs_list_query(req).ends_with("&maxResults=1000"));
    GcsListerConfig cfg;
    cfg.bucket = "my.bucket_1";
    CHECK(gcs_list_base_url(cfg).value() ==
          "https://storage.googleapis.com/storage/v1/b/my.bucket_1/o");
    cfg.endpoint = "HTTP://127.0.0.1:4443/";
    CHECK(gcs_list_base_url(cfg).value() == "http://127.0.0.1:4443/storage/v1/b/my.bucket_1/o");
    cfg.endpoint = "ftp://x";
    CHECK(gcs_list_base_url(cfg).error().kind == ErrorKind::kUsage);
    cfg.endpoint.clear();
    cfg.bucket = "Bad/Bucket";
    CHECK(gcs_list_base_url(cfg).error().kind == ErrorKind::kUsage);
  }

  TEST_CASE("the token endpoint answer is parsed strictly and never quoted") {
    auto ok = parse_token_response(
        R"({"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"})");
    REQUIRE(ok.has_value());
    CHECK(ok->access_token == "ya29.abc");
    CHECK(ok->expires_in == 3599);
    CHECK(parse_token_response(R"({"access_token":"t"})").value().expires_in == 3600);
    auto bad = parse_token_response(R"({"access_token":"ya29 secret\n","expires_in":1})");
    REQUIRE_FALSE(bad.has_value());
    CHECK_FALSE(contains(bad.error().detail, "secret"));
    CHECK_FALSE(parse_token_response(R"({"access_token":"t","token_type":"MAC"})").has_value());
    CHECK_FALSE(parse_token_response(R"({"access_token":"t","expires_in":-5})").has_value());
    CHECK_FALSE(parse_token_response(R"({"expires_in":5})").has_value());
    CHECK_FALSE(parse_token_response(R"({"access_token":"t")").has_value());
  }

  TEST_CASE("one token is fetched and reused across twenty-five pages") {
    test::FakeGcsServer server(server_options(numbered("obj/", 2500)));
    auto f = fetcher(server, sa_provider(server));
    int pages = 0;
    auto keys = list_all(*f, "", 100, &pages);
    REQUIRE_MESSAGE(keys.has_value(), (keys ? "" : keys.error().detail));
    CHECK(keys->size() == 2500);
    CHECK(pages == 25);
    auto const c = server.counters();
    CHECK(c.token_requests == 1);
    CHECK(c.tokens_issued == 1);
    CHECK(c.token_rejected == 0);
    CHECK(c.list_unauthorized == 0);
    CHECK(c.pages_ok == 25);
  }

  TEST_CASE("a short-lived token is refreshed before it expires") {
    auto opts = server_options(numbered("obj/", 30));
    opts.token_ttl = std::chrono::seconds(2);  // refreshed after 1 s (half the lifetime)
    test::FakeGcsServer server(opts);
    auto f = fetcher(server, sa_provider(server));
    ListRequest req;
    req.page_size = 10;
    ListPage page;
    std::string bytes;
    REQUIRE(f->fetch(req, page, bytes).has_value());
    req.token = page.next_token;
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    auto second = f->fetch(req, page, bytes);
    REQUIRE_MESSAGE(second.has_value(), (second ? "" : second.error().detail));
    auto const c = server.counters();
    CHECK(c.tokens_issued == 2);
    CHECK(c.list_unauthorized == 0);  // refreshed ahead, not after a refusal
  }

  TEST_CASE("a 401 from the list call triggers exactly one refresh and the page is served") {
    test::FakeGcsServer server(server_options(numbered("obj/", 30)));
    auto f = fetcher(server, sa_provider(server));
    ListRequest req;
    req.page_size = 10;
    ListPage page;
    std::string bytes;
    REQUIRE(f->fetch(req, page, bytes).has_value());
    server.revoke_tokens();
    req.token = page.next_token;
    bytes.clear();
    auto r = f->fetch(req, page, bytes);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
    CHECK(page.objects.size() == 10);
    CHECK(page.objects.front().key.in(bytes) == "obj/00010");
    auto const c = server.counters();
    CHECK(c.tokens_issued == 2);
    CHECK(c.list_unauthorized == 1);
  }

  TEST_CASE("a 401 that persists after the refresh is an auth error naming the account") {
    auto opts = server_options(numbered("obj/", 5));
    opts.script = {test::GcsFault::kUnauthorized401, test::GcsFault::kUnauthorized401,
                   test::GcsFault::kUnauthorized401};
    test::FakeGcsServer server(opts);
    auto f = fetcher(server, sa_provider(server));
    auto keys = list_all(*f, "", 10);
    REQUIRE_FALSE(keys.has_value());
    CHECK(keys.error().kind == ErrorKind::kAuth);
    CHECK(keys.error().http_status == 401);
    CHECK(contains(keys.error().detail, test_key().email));
    CHECK_FALSE(contains(keys.error().detail, "ya29"));
    auto const c = server.counters();
    CHECK(c.tokens_issued == 2);  // the first token and one refresh
    CHECK(c.list_requests == 2);  // not retried further
  }

  TEST_CASE("the wrong key for the e-mail is an auth error without any secret") {
    test::FakeGcsServer server(server_options(numbered("obj/", 5)));
    std::string const wrong = other_rsa_pem();
    auto f = fetcher(server, sa_provider(server, wrong));
    auto keys = list_all(*f, "", 10);
    REQUIRE_FALSE(keys.has_value());
    Error const& e = keys.error();
    CHECK(e.kind == ErrorKind::kAuth);
    CHECK(contains(e.detail, "invalid_grant"));
    CHECK(contains(e.detail, test_key().email));
    CHECK(contains(e.detail, "/token"));
    MESSAGE(e.detail);
    CHECK_FALSE(contains(e.detail, "PRIVATE"));
    CHECK_FALSE(contains(e.detail, wrong.substr(40, 24)));
    CHECK_FALSE(contains(e.detail, "eyJ"));  // no JWT (base64url of '{"')
    auto const c = server.counters();
    CHECK(c.token_requests == 1);  // a refused grant is not retried
    CHECK(c.token_rejected == 1);
    CHECK(c.last_rejection == "Invalid JWT Signature.");
    CHECK(c.list_requests == 0);
  }

  TEST_CASE("429 and 503 and a malformed page are retried and the listing completes") {
    auto opts = server_options(numbered("obj/", 50));
    opts.script = {test::GcsFault::kTooManyRequests429, test::GcsFault::kUnavailable503,
                   test::GcsFault::kMalformed200, test::GcsFault::kNone,
                   test::GcsFault::kUnavailable503};
    opts.rate_429 = 0.2;
    opts.rate_503 = 0.2;
    opts.seed = 42;
    test::FakeGcsServer server(opts);
    auto f = fetcher(server, sa_provider(server));
    auto keys = list_all(*f, "", 7);
    REQUIRE_MESSAGE(keys.has_value(), (keys ? "" : keys.error().detail));
    CHECK(*keys == numbered("obj/", 50));
    auto const c = server.counters();
    CHECK(c.faults_429 >= 1);
    CHECK(c.faults_503 >= 2);
    CHECK(c.faults_malformed == 1);
    CHECK(c.pages_ok == 8);
    CHECK(c.tokens_issued == 1);
  }

  TEST_CASE("hostile names under a hostile prefix are listed once each in byte order") {
    std::string const prefix = "dir +%&?#\"/";
    std::vector<std::string> inside = {"a b",
                                       "a+b",
                                       "a%20b",
                                       "100%",
                                       "%2F",
                                       "q?x=1#frag",
                                       "a=b&c=d",
                                       "\"quoted\"",
                                       "back\\slash",
                                       "tab\there",
                                       "ctl\x01\x1f",
                                       "caf\xc3\xa9",
                                       "\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.txt",
                                       "./dot",
                                       "../dotdot",
                                       "/lead",
                                       "trail ",
                                       "~",
                                       "'single'",
                                       "<tag>",
                                       "{}[]|^`"};
    std::vector<std::string> names;
    for (auto const& n : inside) names.push_back(prefix + n);
    names.push_back(prefix + std::string(1024 - prefix.size(), 'L'));
    for (int i = 0; i < 300; ++i) names.push_back(prefix + "n/" + std::to_string(i) + " +%");
    // Outside the prefix: just before, just after, and a prefix of the prefix.
    names.push_back("dir +%&?#\"");
    names.push_back("dir +%&?#\"0");
    names.push_back("dir +%&?#!/x");
    names.push_back("zzz");
    std::vector<std::string> want;
    for (auto const& n : names) {
      if (n.starts_with(prefix)) want.push_back(n);
    }
    std::sort(want.begin(), want.end());

    test::FakeGcsServer server(server_options(names));
    auto f = fetcher(server, sa_provider(server));
    int pages = 0;
    auto keys = list_all(*f, prefix, 13, &pages);
    REQUIRE_MESSAGE(keys.has_value(), (keys ? "" : keys.error().detail));
    CHECK(*keys == want);
    CHECK(pages == static_cast<int>((want.size() + 12) / 13));
  }

  TEST_CASE("a missing bucket is a configuration error") {
    test::FakeGcsServer server(server_options(numbered("obj/", 5)));
    auto f = fetcher(server, sa_provider(server), "no-such-bucket");
    auto keys = list_all(*f, "", 10);
    REQUIRE_FALSE(keys.has_value());
    CHECK(keys.error().kind == ErrorKind::kConfig);
    CHECK(contains(keys.error().detail, "bucket 'no-such-bucket' does not exist"));
    CHECK(server.counters().list_requests == 1);
  }

  TEST_CASE("a fixed access token lists without a key and a refused one is never shown") {
    auto opts = server_options(numbered("obj/", 12));
    opts.static_token = "ya29.static-token-for-tests";
    test::FakeGcsServer server(opts);
    auto good = make_fixed_token_provider("ya29.static-token-for-tests", "--access-token");
    REQUIRE(good.has_value());
    auto f = fetcher(server, std::shared_ptr<AccessTokenProvider>(std::move(*good)));
    auto keys = list_all(*f, "", 5);
    REQUIRE_MESSAGE(keys.has_value(), (keys ? "" : keys.error().detail));
    CHECK(keys->size() == 12);
    CHECK(server.counters().token_requests == 0);

    auto bad = make_fixed_token_provider("ya29.not-issued-secret", "GOOGLE_OAUTH_ACCESS_TOKEN");
    REQUIRE(bad.has_value());
    auto g = fetcher(server, std::shared_ptr<AccessTokenProvider>(std::move(*bad)));
    auto refused = list_all(*g, "", 5);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::kAuth);
    CHECK(contains(refused.error().detail, "GOOGLE_OAUTH_ACCESS_TOKEN"));
    CHECK_FALSE(contains(refused.error().detail, "not-issued-secret"));
    CHECK(server.counters().list_unauthorized == 1);

    CHECK(make_fixed_token_provider("", "--access-token").error().kind == ErrorKind::kUsage);
    auto hdr = make_fixed_token_provider("a\r\nX-Injected: 1", "--access-token");
    REQUIRE_FALSE(hdr.has_value());
    CHECK_FALSE(contains(hdr.error().detail, "Injected"));
  }
}
