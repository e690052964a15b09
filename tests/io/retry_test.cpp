// Retry policy: backoff bounds, quota (token bucket) arithmetic, Retry-After in both forms,
// classification, and storms against the fake S3 server with a fake clock and sleeper (so
// "60 s" of backoff runs in milliseconds).
#include "presign/io/retry.hpp"

#include "presign/signers/uri.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "fake_s3_server.hpp"

using namespace presign;
using namespace presign::io;
using presign::test::FakeS3Options;
using presign::test::FakeS3Server;
using presign::test::Fault;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// Deterministic time: sleeping advances both clocks; the random draw is fixed.
struct FakeTime {
  std::chrono::steady_clock::time_point now{};
  std::chrono::system_clock::time_point wall =
      std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};
  std::vector<milliseconds> sleeps;
  double u = 0.5;

  RetryEnv env() {
    RetryEnv e;
    e.now = [this] { return now; };
    e.wall_now = [this] { return wall; };
    e.sleep = [this](milliseconds d) {
      sleeps.push_back(d);
      now += d;
      wall += d;
    };
    e.uniform01 = [this] { return u; };
    return e;
  }

  [[nodiscard]] milliseconds slept() const {
    milliseconds total{0};
    for (auto d : sleeps) total += d;
    return total;
  }
};

Error http_error(int status, std::string code = {}) {
  Error e;
  e.kind = status == 403 ? ErrorKind::kAuth : ErrorKind::kProtocol;
  e.http_status = status;
  e.provider_code = std::move(code);
  e.detail = "GET http://127.0.0.1/bucket: HTTP " + std::to_string(status);
  return e;
}

Error transport_error(std::string_view code, ErrorKind kind = ErrorKind::kNetwork) {
  Error e;
  e.kind = kind;
  e.provider_code = std::string(code);
  e.detail = "transport " + std::string(code);
  return e;
}

// Runs `policy` over an attempt function that fails with `e` for the first `failures`
// attempts, then succeeds. Returns the number of attempts made and the result.
struct Outcome {
  int attempts = 0;
  Result<int> result = 0;
};

Outcome run_failing(RetryPolicy& policy, Error const& e, int failures,
                    std::optional<milliseconds> hint = std::nullopt) {
  Outcome o;
  o.result = policy.run([&](AttemptContext& ctx) -> Result<int> {
    ++o.attempts;
    CHECK(ctx.attempt == o.attempts);
    if (o.attempts <= failures) {
      ctx.retry_after = hint;
      return e;
    }
    return 42;
  });
  return o;
}

HttpResponse response_with(std::vector<std::pair<std::string, std::string>> headers,
                           std::string body = {}) {
  HttpResponse r;
  r.status = 503;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string element(std::string const& body, std::string const& tag) {
  auto const open = "<" + tag + ">";
  auto const b = body.find(open);
  if (b == std::string::npos) return {};
  auto const e = body.find("</" + tag + ">", b);
  return body.substr(b + open.size(), e - b - open.size());
}

std::size_t retry_count_of(std::string const& hay, std::string const& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Lists the whole fake bucket with send_with_retry, one page at a time, following tokens.
// Returns the number of keys, or an error.
Result<std::size_t> list_all(HttpClient& client, FakeS3Server const& server, RetryPolicy& policy,
                             int max_keys) {
  std::string token;
  std::size_t keys = 0;
  std::set<std::string> seen_tokens;
  for (int page = 0; page < 100'000; ++page) {
    HttpRequest req;
    req.url = server.bucket_url() + "?list-type=2&max-keys=" + std::to_string(max_keys);
    if (!token.empty()) {
      req.url += "&continuation-token=";
      presign::signers::append_uri_encoded(req.url, token, false);
    }
    auto r = send_with_retry(client, req, policy);
    if (!r) return r.error();
    keys += retry_count_of(r->body, "<Key>");
    if (element(r->body, "IsTruncated") != "true") return keys;
    token = element(r->body, "NextContinuationToken");
    if (token.empty() || !seen_tokens.insert(token).second) {
      return make_error(ErrorKind::kProtocol, "bad token");
    }
  }
  return make_error(ErrorKind::kInternal, "too many pages");
}

}  // namespace

TEST_SUITE("io.retry") {
  TEST_CASE("full-jitter backoff draws below the smaller of 2 to the k-1 seconds and 20 s") {
    RetryPolicy policy(RetryOptions::aws_standard());
    CHECK(policy.backoff(1, 0.5) == 500ms);
    CHECK(policy.backoff(2, 0.5) == 1000ms);
    CHECK(policy.backoff(5, 0.5) == 8000ms);
    CHECK(policy.backoff(6, 0.5) == 10'000ms);  // 32 s capped at 20 s
    CHECK(policy.backoff(64, 0.5) == 10'000ms);
    CHECK(policy.backoff(1000, 0.999999) < 20'000ms);
    for (int k = 1; k <= 12; ++k) {
      for (double u : {0.0, 0.25, 0.5, 0.999999}) {
        auto const d = policy.backoff(k, u);
        auto const ceiling = std::min<milliseconds>(milliseconds(1000LL << (k - 1)), 20'000ms);
        CAPTURE(k);
        CAPTURE(u);
        CHECK(d >= 0ms);
        CHECK(d < ceiling);
      }
    }
    CHECK(policy.backoff(3, 0.0) == 0ms);
  }

  TEST_CASE("Azure backoff doubles 800 ms per retry with a jitter of 0.8 to 1.3 up to 60 s") {
    RetryPolicy policy(RetryOptions::azure());
    CHECK(policy.backoff(1, 0.0) == 640ms);
    CHECK(policy.backoff(1, 0.999999) < 1040ms);
    CHECK(policy.backoff(2, 0.4) == 1600ms);
    CHECK(policy.backoff(10, 0.5) == 60'000ms);
  }

  TEST_CASE("profiles carry the SDK defaults") {
    auto const aws = RetryOptions::aws_standard();
    CHECK(aws.max_attempts == 3);
    CHECK(aws.quota_capacity == 500);
    CHECK(aws.retry_cost == 5);
    CHECK(aws.timeout_retry_cost == 10);
    CHECK(aws.no_retry_increment == 1);
    CHECK(aws.max_backoff == 20'000ms);
    CHECK(aws.retryable_statuses == std::vector<int>{500, 502, 503, 504});
    CHECK(RetryOptions::gcs().max_attempts == 5);
    CHECK(RetryOptions::azure().max_attempts == 4);
    auto const listing = RetryOptions::for_listing(RetryProvider::kAws);
    CHECK(listing.max_attempts == kListingMaxAttempts);
    CHECK(std::count(listing.retryable_statuses.begin(), listing.retryable_statuses.end(), 429) ==
          1);
  }

  TEST_CASE("non-retryable 400 and 403 and 404 fail after one attempt with the error unchanged") {
    for (auto const& e : {http_error(400, "InvalidArgument"), http_error(403, "AccessDenied"),
                          http_error(404, "NoSuchBucket"), http_error(400, "ExpiredToken"),
                          http_error(403, "InvalidAccessKeyId"), http_error(301)}) {
      CAPTURE(e.http_status);
      FakeTime t;
      RetryPolicy policy(RetryOptions::for_listing(RetryProvider::kAws), t.env());
      auto o = run_failing(policy, e, 100);
      CHECK(o.attempts == 1);
      REQUIRE_FALSE(o.result.has_value());
      CHECK(o.result.error().detail == e.detail);
      CHECK(o.result.error().http_status == e.http_status);
      CHECK(t.sleeps.empty());
      CHECK(policy.quota().available() == 500);
      CHECK(policy.stats().fatal == 1);
    }
  }

  TEST_CASE("a retryable status is retried up to max_attempts and then gives up saying so") {
    FakeTime t;
    RetryPolicy policy(RetryOptions::aws_standard(), t.env());
    auto o = run_failing(policy, http_error(503, "SlowDown"), 100);
    CHECK(o.attempts == 3);
    REQUIRE_FALSE(o.result.has_value());
    auto const& e = o.result.error();
    CHECK(e.detail.rfind("gave up after 3 attempts: last error: GET http://127.0.0.1/bucket", 0) ==
          0);
    CHECK(e.http_status == 503);
    CHECK(e.provider_code == "SlowDown");
    // Two sleeps: U=0.5 of 1 s, then of 2 s.
    CHECK(t.sleeps == std::vector<milliseconds>{500ms, 1000ms});
    CHECK(policy.quota().available() == 490);
    CHECK(policy.stats().gave_up_attempts == 1);
    CHECK(policy.stats().throttles == 3);
  }

  TEST_CASE("success after retries returns the value and refunds the call's tokens") {
    FakeTime t;
    RetryPolicy policy(RetryOptions::aws_standard(), t.env());
    auto o = run_failing(policy, http_error(500, "InternalError"), 2);
    CHECK(o.attempts == 3);
    REQUIRE(o.result.has_value());
    CHECK(*o.result == 42);
    CHECK(policy.quota().available() == 500);
  }

  TEST_CASE("a first-try success adds one token but never above the capacity") {
    FakeTime t;
    RetryPolicy policy(RetryOptions::aws_standard(), t.env());
    CHECK_FALSE(run_failing(policy, http_error(503), 100).result.has_value());  // -10
    CHECK(policy.quota().available() == 490);
    for (int i = 0; i < 3; ++i) CHECK(run_failing(policy, http_error(503), 0).result.has_value());
    CHECK(policy.quota().available() == 493);
    for (int i = 0; i < 20; ++i) (void)run_failing(policy, http_error(503), 0);
    CHECK(policy.quota().available() == 500);
  }

  TEST_CASE("the quota stops a storm after 100 retries of 5 tokens") {
    FakeTime t;
    auto opts = RetryOptions::aws_standard();
    opts.max_attempts = 1000;
    RetryPolicy policy(opts, t.env());
    auto o = run_failing(policy, http_error(503, "SlowDown"), 1'000'000);
    CHECK(o.attempts == 101);
    REQUIRE_FALSE(o.result.has_value());
    CHECK(o.result.error().detail.rfind("gave up after 101 attempts (retry quota exhausted)", 0) ==
          0);
    CHECK(policy.quota().available() == 0);
    CHECK(policy.stats().retries == 100);
    CHECK(policy.stats().gave_up_quota == 1);
    // The next call on the same policy (another page, another worker) gets no retry at all.
    auto next = run_failing(policy, http_error(503), 1);
    CHECK(next.attempts == 1);
    CHECK(next.result.error().detail.rfind("gave up after 1 attempt (retry quota exhausted)", 0) ==
          0);
  }

  TEST_CASE("timeouts cost 10 tokens: 50 retries empty the bucket") {
    FakeTime t;
    auto opts = RetryOptions::aws_standard();
    opts.max_attempts = 1000;
    RetryPolicy policy(opts, t.env());
    auto o = run_failing(policy, transport_error(transport_code::kTimeout), 1'000'000);
    CHECK(o.attempts == 51);
    CHECK(policy.stats().timeouts == 51);
    // RequestTimeout arrives as HTTP 400 from S3 and is a timeout too.
    FakeTime t2;
    RetryPolicy p2(RetryOptions::aws_standard(), t2.env());
    auto o2 = run_failing(p2, http_error(400, "RequestTimeout"), 1);
    CHECK(o2.attempts == 2);
    CHECK(o2.result.has_value());
    CHECK(p2.stats().timeouts == 1);
  }

  TEST_CASE("transport faults are retried but TLS verification and body limit errors are not") {
    for (auto code : {transport_code::kConnectionRefused, transport_code::kConnectionReset,
                      transport_code::kConnectionClosed, transport_code::kTruncatedBody,
                      transport_code::kMalformedResponse, transport_code::kTlsHandshakeFailed,
                      transport_code::kResolveFailed, transport_code::kTimeout}) {
      CAPTURE(code);
      FakeTime t;
      RetryPolicy policy(RetryOptions::aws_standard(), t.env());
      CHECK(run_failing(policy, transport_error(code), 2).attempts == 3);
    }
    for (auto [code, kind] : {std::pair{transport_code::kTlsVerifyFailed, ErrorKind::kNetwork},
                              std::pair{transport_code::kBodyTooLarge, ErrorKind::kProtocol},
                              std::pair{transport_code::kInvalidUrl, ErrorKind::kUsage}}) {
      auto const shown_code = code;  // (clang 14 cannot capture a structured binding)
      CAPTURE(shown_code);
      FakeTime t;
      RetryPolicy policy(RetryOptions::aws_standard(), t.env());
      CHECK(run_failing(policy, transport_error(code, kind), 2).attempts == 1);
    }
  }

  TEST_CASE("429 and 408 are retried for GCS and Azure as configured but not for plain AWS") {
    FakeTime t;
    RetryPolicy aws(RetryOptions::aws_standard(), t.env());
    RetryPolicy gcs(RetryOptions::gcs(), t.env());
    RetryPolicy azure(RetryOptions::azure(), t.env());
    CHECK(run_failing(aws, http_error(429), 1).attempts == 1);
    CHECK(run_failing(gcs, http_error(429), 1).attempts == 2);
    CHECK(run_failing(gcs, http_error(408), 1).attempts == 2);
    CHECK(run_failing(azure, http_error(408), 1).attempts == 2);
    CHECK(run_failing(azure, http_error(503, "ServerBusy"), 1).attempts == 2);
    CHECK(run_failing(azure, http_error(500, "OperationTimedOut"), 1).attempts == 2);
    CHECK(aws.classify(http_error(503, "ServerBusy")) == FailureClass::kThrottle);
  }

  TEST_CASE("a cancelled attempt is never retried, whatever the profile") {
    FakeTime t;
    for (auto const& options :
         {RetryOptions::aws_standard(), RetryOptions::gcs(), RetryOptions::azure()}) {
      RetryPolicy policy(options, t.env());
      Error const e = make_error(ErrorKind::kCancelled, "listing cancelled");
      CHECK(policy.classify(e) == FailureClass::kFatal);
      CHECK(run_failing(policy, e, 1).attempts == 1);
    }
  }

  TEST_CASE("a server hint longer than the backoff is used up to max_server_delay") {
    FakeTime t;
    RetryPolicy policy(RetryOptions::aws_standard(), t.env());
    (void)run_failing(policy, http_error(503, "SlowDown"), 1, 7000ms);
    CHECK(t.sleeps == std::vector<milliseconds>{7000ms});
    FakeTime t2;
    RetryPolicy p2(RetryOptions::aws_standard(), t2.env());
    (void)run_failing(p2, http_error(503, "SlowDown"), 1, 3600'000ms);
    CHECK(t2.sleeps == std::vector<milliseconds>{60'000ms});
    FakeTime t3;  // a hint shorter than the backoff does not shorten it
    RetryPolicy p3(RetryOptions::aws_standard(), t3.env());
    (void)run_failing(p3, http_error(503, "SlowDown"), 1, 10ms);
    CHECK(t3.sleeps == std::vector<milliseconds>{500ms});
  }

  TEST_CASE("max_elapsed ends retrying when the next sleep would pass the budget") {
    FakeTime t;
    auto opts = RetryOptions::aws_standard();
    opts.max_attempts = 100;
    opts.max_elapsed = 10'000ms;
    t.u = 0.999;
    RetryPolicy policy(opts, t.env());
    auto o = run_failing(policy, http_error(503), 1000);
    // Sleeps 999 + 1998 + 3996 = 6993 ms; the next (7992 ms) would end past 10 s.
    CHECK(o.attempts == 4);
    CHECK(t.slept() == 6993ms);
    CHECK(o.result.error().detail.find("retry time budget of 10000 ms exhausted") !=
          std::string::npos);
  }

  TEST_CASE("Retry-After parses delta-seconds and all three HTTP-date forms") {
    using namespace std::chrono;
    auto const date = sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s;
    auto const now = date - 30s;
    CHECK(parse_retry_after("120", now) == 120'000ms);
    CHECK(parse_retry_after(" 0 ", now) == 0ms);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == 30'000ms);
    CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == 30'000ms);
    CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", now) == 30'000ms);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date + 1h) == 0ms);  // past
    auto const ms_before =
        std::chrono::time_point_cast<std::chrono::system_clock::duration>(date - 1500ms);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", ms_before) == 1500ms);
    for (char const* bad :
         {"", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "12abc"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_retry_after(bad, now).has_value());
    }
    CHECK(parse_retry_after("99999999999999999999999", now).has_value());  // saturates
  }

  TEST_CASE("retry_hint prefers millisecond headers and then Retry-After in either form") {
    auto const now = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1} + std::chrono::hours(0);
    CHECK(retry_hint(response_with({{"x-amz-retry-after", "1500"}, {"Retry-After", "9"}}), now) ==
          1500ms);
    CHECK(retry_hint(response_with({{"retry-after-ms", "250"}}), now) == 250ms);
    CHECK(retry_hint(response_with({{"x-ms-retry-after-ms", "42"}}), now) == 42ms);
    CHECK(retry_hint(response_with({{"Retry-After", "3"}}), now) == 3000ms);
    CHECK(retry_hint(response_with({{"Retry-After", "Mon, 01 Jan 2024 00:00:05 GMT"}}), now) ==
          5000ms);
    CHECK_FALSE(retry_hint(response_with({}), now).has_value());
    CHECK_FALSE(retry_hint(response_with({{"Retry-After", "garbage"}}), now).has_value());
  }

  TEST_CASE("provider_error_code reads headers and XML and JSON error bodies") {
    CHECK(provider_error_code(response_with({{"x-ms-error-code", "ServerBusy"}})) == "ServerBusy");
    CHECK(provider_error_code(response_with(
              {},
              "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>m</Message></Error>")) ==
          "SlowDown");
    CHECK(provider_error_code(response_with(
              {}, R"({"error":{"code":429,"errors":[{"reason":"rateLimitExceeded"}]}})")) ==
          "rateLimitExceeded");
    CHECK(provider_error_code(response_with({}, "<html>502</html>")).empty());
    CHECK(provider_error_code(response_with({}, "<Code>not a code!</Code>")).empty());
  }

  TEST_CASE("error_from_response quotes only the provider's Message and never the query") {
    HttpResponse r;
    r.status = 403;
    r.body =
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match</Message><AWSAccessKeyId>AKIDSECRET</AWSAccessKeyId><StringToSign>"
        "AWS4-HMAC-SHA256 stuff</StringToSign></Error>";
    auto const e =
        error_from_response(r, "GET", "https://b.s3.amazonaws.com/k?X-Amz-Signature=ab12");
    CHECK(e.kind == ErrorKind::kAuth);
    CHECK(e.http_status == 403);
    CHECK(e.provider_code == "SignatureDoesNotMatch");
    CHECK(e.detail ==
          "GET https://b.s3.amazonaws.com/k: HTTP 403 SignatureDoesNotMatch: The request "
          "signature we calculated does not match");
  }
}

TEST_SUITE("io.retry.http") {
  TEST_CASE("every transient fault of the fake server is retried to success through the client") {
    for (Fault f :
         {Fault::kSlowDown503, Fault::kInternalError500, Fault::kBadGateway502,
          Fault::kGatewayTimeout504, Fault::kTooManyRequests429, Fault::kRequestTimeout408,
          Fault::kRequestTimeout400, Fault::kResetMidHeaders, Fault::kResetMidBody,
          Fault::kTruncatedBody, Fault::kSilentClose, Fault::kHang}) {
      CAPTURE(presign::test::fault_name(f));
      FakeS3Options o;
      o.script = {f};
      o.hang = 2000ms;
      FakeS3Server server(o);
      HttpClientOptions co;
      co.read_timeout = 200ms;
      auto client = HttpClient::create(co).value();
      FakeTime t;
      RetryPolicy policy(RetryOptions::for_listing(RetryProvider::kAws), t.env());
      HttpRequest req;
      req.url = server.bucket_url() + "?list-type=2&max-keys=10";
      auto r = send_with_retry(*client, req, policy);
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(retry_count_of(r->body, "<Key>") == 10);
      CHECK(policy.stats().attempts == 2);
      CHECK(server.counters().of(f) == 1);
    }
  }

  TEST_CASE("403 AccessDenied and 404 NoSuchBucket from the server fail after one request") {
    for (Fault f : {Fault::kAccessDenied403, Fault::kNoSuchBucket404}) {
      FakeS3Options o;
      o.script = {f, f, f};
      FakeS3Server server(o);
      auto client = HttpClient::create().value();
      FakeTime t;
      RetryPolicy policy(RetryOptions::for_listing(RetryProvider::kAws), t.env());
      HttpRequest req;
      req.url = server.bucket_url() + "?list-type=2";
      auto r = send_with_retry(*client, req, policy);
      REQUIRE_FALSE(r.has_value());
      CHECK(server.counters().requests == 1);
      CHECK(
          (r.error().provider_code == "AccessDenied" || r.error().provider_code == "NoSuchBucket"));
      CHECK(t.sleeps.empty());
    }
  }

  TEST_CASE("a malformed 200 body is retried when the attempt function rejects it") {
    FakeS3Options o;
    o.script = {Fault::kMalformedXml200};
    FakeS3Server server(o);
    auto client = HttpClient::create().value();
    FakeTime t;
    RetryPolicy policy(RetryOptions::for_listing(RetryProvider::kAws), t.env());
    HttpRequest req;
    req.url = server.bucket_url() + "?list-type=2&max-keys=10";
    int attempts = 0;
    auto r = policy.run([&](AttemptContext&) -> Result<std::string> {
      ++attempts;
      auto resp = client->send(req);
      if (!resp) return resp.error();
      if (resp->body.find("</ListBucketResult>") == std::string::npos) {
        Error e;
        e.kind = ErrorKind::kProtocol;
        e.http_status = resp->status;
        e.provider_code = std::string(transport_code::kMalformedResponse);
        e.detail = "list page is not well-formed XML";
        return e;
      }
      return std::move(resp->body);
    });
    REQUIRE(r.has_value());
    CHECK(attempts == 2);
  }

  TEST_CASE("a 30% 503 storm over 100 pages lists every key with a fake sleeper") {
    FakeS3Options o;
    o.keys = 10'000;
    o.rates = {{Fault::kSlowDown503, 0.30}};
    o.seed = 7;
    o.max_consecutive_faults_per_page = 4;
    FakeS3Server server(o);
    auto client = HttpClient::create().value();
    FakeTime t;
    RetryPolicy policy(RetryOptions::for_listing(RetryProvider::kAws), t.env());
    auto const wall0 = std::chrono::steady_clock::now();
    auto n = list_all(*client, server, policy, 100);
    auto const wall = std::chrono::steady_clock::now() - wall0;
    REQUIRE(n.has_value());
    CHECK(*n == 10'000);
    auto const c = server.counters();
    CHECK(c.list_pages_ok == 100);
    CHECK(c.of(Fault::kSlowDown503) >= 20);
    CHECK(policy.stats().retries == c.of(Fault::kSlowDown503));
    CHECK(c.connections == 1);  // 503s keep the connection alive
    CHECK(wall < 10s);
    MESSAGE("503s injected: " << c.of(Fault::kSlowDown503) << ", simulated sleep "
                              << t.slept().count() << " ms");
  }

  TEST_CASE("a 100% 503 outage ends on the quota after 101 requests in little wall time") {
    FakeS3Options o;
    o.rates = {{Fault::kSlowDown503, 1.0}};
    o.max_consecutive_faults_per_page = 0;
    o.retry_after = "1";
    FakeS3Server server(o);
    auto client = HttpClient::create().value();
    FakeTime t;
    auto opts = RetryOptions::for_listing(RetryProvider::kAws);
    opts.max_attempts = 10'000;
    RetryPolicy policy(opts, t.env());
    auto const wall0 = std::chrono::steady_clock::now();
    HttpRequest req;
    req.url = server.bucket_url() + "?list-type=2";
    auto r = send_with_retry(*client, req, policy);
    auto const wall = std::chrono::steady_clock::now() - wall0;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().http_status == 503);
    CHECK(r.error().detail.find("retry quota exhausted") != std::string::npos);
    CHECK(server.counters().requests == 101);
    CHECK(t.slept() >= 60s);  // well over a simulated minute of backoff
    CHECK(wall < 2s);
  }
}
