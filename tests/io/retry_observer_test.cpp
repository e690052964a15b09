// The retry observer (RetryEnv::on_retry): which retries it hears, with which attempt numbers,
// delays and names, and what the reported reason may contain (never a query, a secret or a
// signature). Also through the fetchers: S3 pages against the fake server are named "page N",
// and a GCS OAuth2 token request is named "token request".
#include "presign/io/gcs_lister.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"
#include "presign/io/s3_lister.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "fake_s3_server.hpp"
#include "rsa_key.hpp"

using namespace presign;
using namespace presign::io;
using presign::test::FakeS3Options;
using presign::test::FakeS3Server;
using presign::test::Fault;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// A copy of a RetryEvent whose views are kept as strings.
struct Heard {
  RetryEvent::Kind kind;
  std::string what;
  std::string reason;
  int attempt;
  int max_attempts;
  milliseconds delay;
};

// Fake time (sleeping advances the clock, the random draw is fixed) and a recording observer.
struct Recorder {
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> sleeps;
  std::vector<Heard> heard;
  std::mutex mutex;  // the listing's prefetch thread calls the observer

  RetryEnv env(double u = 0.5) {
    RetryEnv e;
    e.now = [this] { return now; };
    e.sleep = [this](milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    e.uniform01 = [u] { return u; };
    e.on_retry = observer();
    return e;
  }

  RetryObserver observer() {
    return [this](RetryEvent const& ev) {
      std::lock_guard lock(mutex);
      heard.push_back({ev.kind, std::string(ev.what), std::string(ev.reason), ev.attempt,
                       ev.max_attempts, ev.delay});
    };
  }
};

Error observer_http_error(int status, std::string code = {}) {
  Error e;
  e.kind = status == 403 ? ErrorKind::kAuth : ErrorKind::kProtocol;
  e.http_status = status;
  e.provider_code = std::move(code);
  e.detail = "GET http://127.0.0.1/bucket: HTTP " + std::to_string(status);
  return e;
}

// Fails with `e` for the first `failures` attempts, then succeeds.
Result<int> run_failing(RetryPolicy& policy, Error const& e, int failures, std::string what) {
  int attempts = 0;
  return policy.run(
      [&](AttemptContext&) -> Result<int> {
        if (++attempts <= failures) return e;
        return 42;
      },
      std::move(what));
}

}  // namespace

TEST_SUITE("io.retry.observer") {
  TEST_CASE("the observer hears each retry with its attempt number and delay then the recovery") {
    Recorder r;
    RetryPolicy policy(RetryOptions::aws_standard(), r.env());
    auto const result = run_failing(policy, observer_http_error(503, "SlowDown"), 2, "page 7");
    REQUIRE(result.has_value());
    REQUIRE(r.heard.size() == 3);
    // U=0.5 of 1 s, then of 2 s: the delays the policy really slept.
    CHECK(r.sleeps == std::vector<milliseconds>{500ms, 1000ms});
    for (int i = 0; i < 2; ++i) {
      CAPTURE(i);
      CHECK(r.heard[i].kind == RetryEvent::Kind::kRetry);
      CHECK(r.heard[i].what == "page 7");
      CHECK(r.heard[i].attempt == i + 1);
      CHECK(r.heard[i].max_attempts == 3);
      CHECK(r.heard[i].delay == r.sleeps[i]);
      CHECK(r.heard[i].reason == "HTTP 503");
    }
    CHECK(r.heard[2].kind == RetryEvent::Kind::kRecovered);
    CHECK(r.heard[2].what == "page 7");
    CHECK(r.heard[2].attempt == 3);
  }

  TEST_CASE("the reported delay includes a server hint") {
    Recorder r;
    RetryPolicy policy(RetryOptions::aws_standard(), r.env());
    int attempts = 0;
    auto const result = policy.run([&](AttemptContext& ctx) -> Result<int> {
      if (++attempts == 1) {
        ctx.retry_after = 7000ms;
        return observer_http_error(503, "SlowDown");
      }
      return 1;
    });
    REQUIRE(result.has_value());
    REQUIRE(r.heard.size() == 2);
    CHECK(r.heard[0].delay == 7000ms);
    CHECK(r.heard[0].what.empty());
  }

  TEST_CASE("a first-try success and a fatal failure tell the observer nothing") {
    Recorder r;
    RetryPolicy policy(RetryOptions::aws_standard(), r.env());
    CHECK(run_failing(policy, observer_http_error(503), 0, "page 1").has_value());
    CHECK_FALSE(
        run_failing(policy, observer_http_error(403, "AccessDenied"), 5, "page 2").has_value());
    CHECK(r.heard.empty());
  }

  TEST_CASE("giving up reports the retries made and no recovery") {
    Recorder r;
    auto opts = RetryOptions::aws_standard();
    opts.max_attempts = 4;
    RetryPolicy policy(opts, r.env(0.0));
    CHECK_FALSE(run_failing(policy, observer_http_error(500, "InternalError"), 100, "token request")
                    .has_value());
    REQUIRE(r.heard.size() == 3);
    for (int i = 0; i < 3; ++i) {
      CHECK(r.heard[i].kind == RetryEvent::Kind::kRetry);
      CHECK(r.heard[i].attempt == i + 1);
      CHECK(r.heard[i].max_attempts == 4);
      CHECK(r.heard[i].delay == 0ms);
      CHECK(r.heard[i].what == "token request");
    }
  }

  TEST_CASE("the quota running out ends the reports where the retries end") {
    Recorder r;
    auto opts = RetryOptions::aws_standard();
    opts.max_attempts = 1000;
    opts.quota_capacity = 10;  // two retries of 5 tokens
    RetryPolicy policy(opts, r.env());
    CHECK_FALSE(run_failing(policy, observer_http_error(503), 1000, "page 1").has_value());
    CHECK(r.heard.size() == 2);
  }

  TEST_CASE("retry_reason drops the request and keeps the cause") {
    Error refused;
    refused.kind = ErrorKind::kNetwork;
    refused.provider_code = std::string(transport_code::kConnectionRefused);
    refused.detail = "GET http://127.0.0.1:9/bucket: connection refused";
    CHECK(retry_reason(refused) == "connection refused");

    Error token;
    token.kind = ErrorKind::kProtocol;
    token.http_status = 503;
    token.detail =
        "getting an access token for service account sa@p.iam.gserviceaccount.com: POST "
        "https://oauth2.googleapis.com/token: HTTP 503";
    CHECK(retry_reason(token) == "HTTP 503");

    Error plain = make_error(ErrorKind::kNetwork, "no route: \x1b[31mred\x07");
    CHECK(retry_reason(plain) == "no route:  [31mred ");

    Error empty;
    empty.provider_code = "SlowDown";
    CHECK(retry_reason(empty) == "SlowDown");

    Error longer = make_error(ErrorKind::kNetwork, std::string(500, 'x'));
    CHECK(retry_reason(longer) == std::string(160, 'x') + "...");
  }

  TEST_CASE(
      "retry_reason of a refused signed request has no query no key id and no string to sign") {
    HttpResponse resp;
    resp.status = 503;
    resp.body =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
        "<AWSAccessKeyId>AKIDSECRETID</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 x"
        "</StringToSign></Error>";
    Error const e = error_from_response(
        resp, "GET",
        "https://b.s3.amazonaws.com/?list-type=2&X-Amz-Signature=abcdef0123&X-Amz-Credential=AKID");
    std::string const reason = retry_reason(e);
    CHECK(reason == "HTTP 503 SlowDown: Please reduce your request rate.");
    for (char const* secret : {"X-Amz", "abcdef0123", "AKIDSECRETID", "AWS4-HMAC", "list-type"}) {
      CAPTURE(secret);
      CHECK(reason.find(secret) == std::string::npos);
    }
  }
}

TEST_SUITE("io.retry.observer.listing") {
  TEST_CASE("an S3 listing names each retried page by its number") {
    FakeS3Options o;
    o.keys = 30;
    // Request 1 is page 1; page 2 fails twice (503 then a reset) and page 3 once (500).
    o.script = {Fault::kNone, Fault::kSlowDown503,      Fault::kResetMidHeaders,
                Fault::kNone, Fault::kInternalError500, Fault::kNone};
    FakeS3Server server(o);
    Recorder r;
    S3ListerConfig cfg;
    cfg.bucket = "bucket";
    cfg.endpoint = server.endpoint();
    cfg.credentials = {"AKIDOBSERVER", "observer/Secret+Key0123456789", ""};
    cfg.retry.base_delay = 1ms;
    cfg.retry_env = r.env();
    cfg.retry_env.sleep = nullptr;  // real (1 ms) sleeps, cut short by cancel()
    auto fetcher = make_s3_page_fetcher(std::move(cfg));
    REQUIRE(fetcher.has_value());
    ListingOptions lo;
    lo.page_size = 10;
    auto source = make_listing_source(std::move(*fetcher), lo);
    Batch batch;
    std::size_t keys = 0;
    for (;;) {
      auto more = source->next(batch);
      REQUIRE(more.has_value());
      if (!*more) break;
      keys += batch.objects.size();
    }
    CHECK(keys == 30);
    std::lock_guard lock(r.mutex);
    REQUIRE(r.heard.size() == 5);
    CHECK(r.heard[0].what == "page 2");
    CHECK(r.heard[0].attempt == 1);
    CHECK(r.heard[0].max_attempts == kListingMaxAttempts);
    CHECK(r.heard[0].reason.find("HTTP 503 SlowDown") == 0);
    CHECK(r.heard[1].what == "page 2");
    CHECK(r.heard[1].attempt == 2);
    CHECK(r.heard[2].what == "page 2");
    CHECK(r.heard[2].kind == RetryEvent::Kind::kRecovered);
    CHECK(r.heard[3].what == "page 3");
    CHECK(r.heard[3].reason.find("HTTP 500 InternalError") == 0);
    CHECK(r.heard[4].kind == RetryEvent::Kind::kRecovered);
    for (auto const& h : r.heard) {
      CHECK(h.reason.find("observer/Secret") == std::string::npos);
      CHECK(h.reason.find('?') == std::string::npos);
    }
  }

  TEST_CASE("a GCS token request is reported as such and its reasons carry no assertion") {
    // The fake S3 server stands in for a failing token endpoint: 503, 500, 502.
    FakeS3Options o;
    o.script = {Fault::kSlowDown503, Fault::kInternalError500, Fault::kBadGateway502};
    FakeS3Server server(o);
    std::string const email = "observer@project.iam.gserviceaccount.com";
    auto key = signers::gcs::ServiceAccountKey::from_pem(email, test::fresh_rsa_pem(), "test key");
    REQUIRE(key.has_value());
    signers::gcs::oauth::ServiceAccountInfo info;
    info.client_email = email;
    info.token_uri = server.bucket_url();
    ServiceAccountTokenConfig tc(std::move(*key), std::move(info));
    tc.retry.max_attempts = 3;
    Recorder r;
    tc.retry_env = r.env();
    auto provider = make_service_account_token_provider(std::move(tc));
    REQUIRE(provider.has_value());
    auto token = (*provider)->token();
    REQUIRE_FALSE(token.has_value());
    CHECK(token.error().detail.find("gave up after 3 attempts") != std::string::npos);
    REQUIRE(r.heard.size() == 2);
    CHECK(r.heard[0].what == "token request");
    CHECK(r.heard[0].attempt == 1);
    CHECK(r.heard[0].max_attempts == 3);
    CHECK(r.heard[0].reason.find("HTTP 503") == 0);
    CHECK(r.heard[1].what == "token request");
    CHECK(r.heard[1].attempt == 2);
    CHECK(r.heard[1].reason.find("HTTP 500") == 0);
    for (auto const& h : r.heard) {
      CHECK(h.reason.find("eyJ") == std::string::npos);  // a JWT (the assertion)
      CHECK(h.reason.find("assertion=") == std::string::npos);
      CHECK(h.reason.find("127.0.0.1") == std::string::npos);  // the request is left out
    }
  }
}
