// Keyless GCS signing (io/gcs_keyless.hpp, io/gcs_keyless_signer.hpp): the parsers of what
// the metadata server and IAM signBlob answer, the token flows, and the signBlob client and
// batch signer against the fake server in process (tests/support/fake_gcs_server.hpp), whose
// signBlob signs with Google's published dummy key: keyless URLs must equal the key file's.
// Retry sleeps are injected (no-ops) so fault tests take milliseconds.
#include "presign/io/gcs_keyless.hpp"
#include "presign/io/gcs_keyless_signer.hpp"

#include "../fuzz/fuzz_replay.hpp"
#include "fake_gcs_server.hpp"
#include "gcs_test_key.hpp"
#include "presign/core/base64.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace presign::fuzz {
int gcs_sign_blob_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

using namespace presign;
using namespace presign::io;
namespace gcs = presign::signers::gcs;

namespace {

SigningTime const kWhen{std::chrono::seconds{1549011600}};  // 2019-02-01T09:00:00Z

std::string const& test_pem() {
  static std::string const pem = [] {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(test::read_file(test::gcs_key_file()));
    return std::string(parser.parse(padded)["private_key"].get_string().value());
  }();
  return pem;
}

std::string const& test_email() {
  static std::string const e = test::gcs_service_account_key().client_email();
  return e;
}

test::FakeGcsOptions fake_options() {
  test::FakeGcsOptions o;
  o.key_pem = test_pem();
  o.client_email = test_email();
  o.refresh_token = "1//refresh-token-for-tests";
  return o;
}

RetryEnv keyless_no_sleep() {
  RetryEnv env;
  env.sleep = [](std::chrono::milliseconds) {};
  return env;
}

std::string host_of(test::FakeGcsServer const& s) {
  return "127.0.0.1:" + std::to_string(s.port());
}

std::shared_ptr<AccessTokenProvider> metadata_tokens(test::FakeGcsServer const& s) {
  MetadataTokenConfig cfg;
  cfg.host = host_of(s);
  cfg.retry_env = keyless_no_sleep();
  auto p = make_metadata_token_provider(std::move(cfg));
  REQUIRE(p.has_value());
  return std::shared_ptr<AccessTokenProvider>(std::move(*p));
}

std::shared_ptr<SignBlobClient> sign_client(test::FakeGcsServer const& s, std::string email,
                                            std::size_t concurrency = 8) {
  SignBlobConfig cfg;
  cfg.email = std::move(email);
  cfg.endpoint = s.endpoint();
  cfg.tokens = metadata_tokens(s);
  cfg.retry_env = keyless_no_sleep();
  cfg.concurrency = concurrency;
  auto c = SignBlobClient::create(std::move(cfg));
  REQUIRE(c.has_value());
  return *c;
}

gcs::GcsPresignConfig batch_config() {
  gcs::GcsPresignConfig cfg;
  cfg.bucket = "test-bucket";
  cfg.expires_seconds = 3600;
  cfg.signing_time = kWhen;
  return cfg;
}

GcsKeylessSigner keyless_signer(std::shared_ptr<SignBlobClient> client) {
  gcs::GcsPresignConfig cfg = batch_config();
  cfg.credentials = gcs::ExternalServiceAccount{client->email()};
  auto s = GcsKeylessSigner::create(std::move(cfg), std::move(client));
  REQUIRE(s.has_value());
  return std::move(*s);
}

// The URL the key file gives, signed locally.
std::string local_url(std::string_view key) {
  gcs::GcsPresignConfig cfg = batch_config();
  cfg.credentials = test::gcs_service_account_key();
  auto s = gcs::GcsPresigner::create(std::move(cfg));
  REQUIRE(s.has_value());
  gcs::GcsPresigner::Scratch scratch;
  std::string out;
  REQUIRE(s->sign(ObjectRef{key, {}}, scratch, out) == SignError::kOk);
  return out;
}

std::vector<std::string> const kNames = {
    "test-object",     "sp ace/\xc3\xa9+plus.txt",
    "a!b'(c)*~_-.txt", "100%=&?#.txt",
    "folder/",         "\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.txt"};

}  // namespace

TEST_SUITE("io.gcs_keyless") {
  TEST_CASE("parse_sign_blob_response decodes signedBlob and keeps keyId") {
    auto r = parse_sign_blob_response(R"({"keyId":"abc","signedBlob":"AAEC/w=="})");
    REQUIRE(r.has_value());
    CHECK(r->key_id == "abc");
    CHECK(r->signature == std::string("\x00\x01\x02\xff", 4));
    auto no_id = parse_sign_blob_response(R"({"signedBlob":"AQ=="})");
    REQUIRE(no_id.has_value());
    CHECK(no_id->key_id.empty());
  }

  TEST_CASE("parse_sign_blob_response refuses malformed JSON, a missing or bad signedBlob") {
    for (char const* body : {"", "{", "[]", "null", R"({"keyId":"k"})", R"({"signedBlob":42})",
                             R"({"signedBlob":""})", R"({"signedBlob":"%%not base64%%"})",
                             R"({"signedBlob":"AQ="})", R"({"signedBlob":"AQ==","keyId":7})"}) {
      CAPTURE(body);
      auto r = parse_sign_blob_response(body);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kProtocol);
    }
    // More than 512 signature bytes is no RSA signature we take.
    std::string big = R"({"signedBlob":")";
    append_base64(big, std::string(513, 'x'));
    big += "\"}";
    CHECK_FALSE(parse_sign_blob_response(big).has_value());
  }

  TEST_CASE("parse_metadata_email accepts one e-mail with surrounding whitespace only") {
    auto e = parse_metadata_email("sa@proj.iam.gserviceaccount.com\n");
    REQUIRE(e.has_value());
    CHECK(*e == "sa@proj.iam.gserviceaccount.com");
    for (char const* body : {"", "\n", "<html>", "a@b@c", "@x", "x@", "sa@x/../y", "a b@c"}) {
      CAPTURE(body);
      CHECK_FALSE(parse_metadata_email(body).has_value());
    }
  }

  TEST_CASE("sign_blob_url joins the base and the account, with or without a trailing slash") {
    CHECK(sign_blob_url("", "sa@p.iam.gserviceaccount.com").value() ==
          "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
          "sa@p.iam.gserviceaccount.com:signBlob");
    CHECK(sign_blob_url("http://127.0.0.1:9", "a@b").value() ==
          "http://127.0.0.1:9/v1/projects/-/serviceAccounts/a@b:signBlob");
    CHECK(sign_blob_url("http://127.0.0.1:9/", "a@b").value() ==
          "http://127.0.0.1:9/v1/projects/-/serviceAccounts/a@b:signBlob");
    CHECK(sign_blob_url("", "not-an-email").error().kind == ErrorKind::kUsage);
    CHECK(sign_blob_url("", "a@b/../c").error().kind == ErrorKind::kUsage);
    auto bad = sign_blob_url("ftp://x", "a@b");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().detail.find(kEnvIamCredentialsEndpoint) != std::string::npos);
  }

  TEST_CASE("keyless URLs through the metadata server equal the key file's byte for byte") {
    test::FakeGcsServer server(fake_options());
    GcsKeylessSigner const signer = keyless_signer(sign_client(server, test_email()));
    REQUIRE(signer.check().has_value());
    std::vector<ObjectRef> objects;
    for (auto const& n : kNames) objects.push_back(ObjectRef{n, {}});
    objects.push_back(ObjectRef{"", {}});  // fails alone, in place
    GcsKeylessSigner::Scratch scratch;
    signer.sign_all(objects, scratch);
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      CAPTURE(kNames[i]);
      REQUIRE(signer.outcome(scratch, i) == SignError::kOk);
      std::string url;
      signer.append_url(scratch, i, url);
      CHECK(url == local_url(kNames[i]));
    }
    CHECK(signer.outcome(scratch, kNames.size()) == SignError::kEmptyKey);
    // One object alone, through `sign`.
    std::string one;
    REQUIRE(signer.sign(ObjectRef{"test-object", {}}, scratch, one) == SignError::kOk);
    CHECK(one == local_url("test-object"));
    CHECK(server.counters().metadata_requests == 1);  // one token, cached
  }

  TEST_CASE("a batch is signed concurrently over keep-alive connections") {
    test::FakeGcsServer server(fake_options());
    auto client = sign_client(server, test_email(), 16);
    GcsKeylessSigner const signer = keyless_signer(client);
    std::vector<std::string> names;
    for (int i = 0; i < 400; ++i) names.push_back("obj/" + std::to_string(i));
    std::vector<ObjectRef> objects;
    for (auto const& n : names) objects.push_back(ObjectRef{n, {}});
    GcsKeylessSigner::Scratch scratch;
    for (int round = 0; round < 2; ++round) {
      signer.sign_all(objects, scratch);
      for (std::size_t i = 0; i < objects.size(); i += 97) {
        std::string url;
        signer.append_url(scratch, i, url);
        CHECK(url == local_url(names[i]));
      }
    }
    CHECK(server.counters().signatures == 800);
    HttpClientStats const st = client->stats();
    CHECK(st.connections_opened <= 16);  // reused across calls and batches
    CHECK(st.connections_reused >= 800 - 16);
  }

  TEST_CASE("429, 503 and a malformed 200 are retried and the URL is the same") {
    auto o = fake_options();
    o.sign_script = {test::GcsFault::kTooManyRequests429, test::GcsFault::kUnavailable503,
                     test::GcsFault::kMalformed200};
    test::FakeGcsServer server(o);
    auto client = sign_client(server, test_email(), 1);
    GcsKeylessSigner const signer = keyless_signer(client);
    GcsKeylessSigner::Scratch scratch;
    std::string url;
    REQUIRE(signer.sign(ObjectRef{"test-object", {}}, scratch, url) == SignError::kOk);
    CHECK(url == local_url("test-object"));
    CHECK(server.counters().sign_requests == 4);
  }

  TEST_CASE("a 401 fetches a fresh token and signs again") {
    auto o = fake_options();
    o.sign_script = {test::GcsFault::kUnauthorized401};
    test::FakeGcsServer server(o);
    auto client = sign_client(server, test_email(), 1);
    auto sig = client->sign("payload");
    REQUIRE(sig.has_value());
    CHECK(server.counters().metadata_requests == 2);
    CHECK(server.counters().sign_requests == 2);
  }

  TEST_CASE("403 stops keyless signing with kAuth naming the role, never the token") {
    test::FakeGcsServer server(fake_options());
    auto client = sign_client(server, "denied-sa@dummy-project-id.iam.gserviceaccount.com");
    GcsKeylessSigner const signer = keyless_signer(client);
    auto checked = signer.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().kind == ErrorKind::kAuth);
    CHECK(checked.error().detail.find("roles/iam.serviceAccountTokenCreator") != std::string::npos);
    CHECK(checked.error().detail.find("PERMISSION_DENIED") != std::string::npos);
    CHECK(checked.error().detail.find("ya29.") == std::string::npos);
    // In a job: the batch fails in place, later batches fail without a call.
    std::vector<ObjectRef> const objects = {{"a", {}}, {"b", {}}};
    GcsKeylessSigner::Scratch scratch;
    signer.sign_all(objects, scratch);
    CHECK(signer.outcome(scratch, 0) == SignError::kRemoteFailed);
    REQUIRE(signer.stopped_by().has_value());
    auto const calls = server.counters().sign_requests;
    signer.sign_all(objects, scratch);
    CHECK(signer.outcome(scratch, 1) == SignError::kRemoteFailed);
    CHECK(server.counters().sign_requests == calls);
  }

  TEST_CASE("an unknown service account is kConfig; retries that run out fail one object") {
    test::FakeGcsServer server(fake_options());
    auto unknown = sign_client(server, "nobody@dummy-project-id.iam.gserviceaccount.com");
    auto r = unknown->sign("x");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);

    auto o = fake_options();
    o.sign_script.assign(5, test::GcsFault::kUnavailable503);  // the profile's 5 attempts
    test::FakeGcsServer flaky(o);
    GcsKeylessSigner const signer = keyless_signer(sign_client(flaky, test_email(), 1));
    std::vector<ObjectRef> const objects = {{"first", {}}, {"second", {}}};
    GcsKeylessSigner::Scratch scratch;
    signer.sign_all(objects, scratch);
    CHECK(signer.outcome(scratch, 0) == SignError::kRemoteFailed);
    CHECK(signer.outcome(scratch, 1) == SignError::kOk);
    CHECK_FALSE(signer.stopped_by().has_value());
  }

  TEST_CASE("the metadata server must answer with Metadata-Flavor: Google") {
    auto o = fake_options();
    o.metadata_without_flavor = true;
    test::FakeGcsServer server(o);
    auto t = metadata_tokens(server)->token();
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::kConfig);
    CHECK(t.error().detail.find("Metadata-Flavor") != std::string::npos);
    MetadataTokenConfig cfg;
    cfg.host = host_of(server);
    CHECK_FALSE(fetch_metadata_email(cfg).has_value());
  }

  TEST_CASE("fetch_metadata_email names the default service account") {
    test::FakeGcsServer server(fake_options());
    MetadataTokenConfig cfg;
    cfg.host = host_of(server);
    CHECK(fetch_metadata_email(cfg).value() == test_email());
    cfg.host = "127.0.0.1:1";  // nothing listens there
    cfg.retry.max_attempts = 1;
    auto down = fetch_metadata_email(cfg);
    REQUIRE_FALSE(down.has_value());
    CHECK(down.error().detail.find("metadata server at 127.0.0.1:1") != std::string::npos);
    CHECK(metadata_url("a/b", "token").error().kind == ErrorKind::kConfig);
  }

  TEST_CASE("ADC user credentials get tokens by the refresh-token grant; a refusal is kAuth") {
    test::FakeGcsServer server(fake_options());
    UserTokenConfig cfg;
    cfg.client_id = "client-id";
    cfg.client_secret = "client-s3cret";
    cfg.refresh_token = "1//refresh-token-for-tests";
    cfg.token_uri = server.token_url();
    cfg.origin = "adc.json";
    cfg.retry_env = keyless_no_sleep();
    auto p = make_user_token_provider(cfg);
    REQUIRE(p.has_value());
    REQUIRE((*p)->token().has_value());
    CHECK(server.counters().refresh_grants == 1);

    cfg.refresh_token = "1//revoked-refresh-token";
    auto bad = make_user_token_provider(cfg);
    REQUIRE(bad.has_value());
    auto t = (*bad)->token();
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::kAuth);
    CHECK(t.error().detail.find("invalid_grant") != std::string::npos);
    CHECK(t.error().detail.find("revoked-refresh") == std::string::npos);
    CHECK(t.error().detail.find("s3cret") == std::string::npos);
    cfg.client_secret.clear();
    CHECK(make_user_token_provider(cfg).error().kind == ErrorKind::kConfig);
  }

  TEST_CASE("the gcs_sign_blob fuzz corpus and regression inputs replay cleanly") {
    fuzz::replay_fuzz_inputs({{"gcs_sign_blob", fuzz::gcs_sign_blob_one, 5, 0}});
  }

  TEST_CASE("tokens are refreshed before they expire, not at every call") {
    auto o = fake_options();
    o.token_ttl = std::chrono::seconds(2);
    test::FakeGcsServer server(o);
    auto now = std::chrono::system_clock::now();
    MetadataTokenConfig cfg;
    cfg.host = host_of(server);
    cfg.clock = [&now] { return now; };
    auto p = make_metadata_token_provider(cfg);
    REQUIRE(p.has_value());
    auto first = (*p)->token();
    REQUIRE(first.has_value());
    now += std::chrono::milliseconds(500);
    CHECK((*p)->token().value() == *first);  // cached
    now += std::chrono::milliseconds(700);   // past half the 2 s lifetime: refreshed
    auto second = (*p)->token();
    REQUIRE(second.has_value());
    CHECK(*second != *first);
    CHECK(server.counters().tokens_issued == 2);
  }
}
