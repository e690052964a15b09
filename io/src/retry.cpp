// Retry policy: classification, backoff, quota and server hints. See retry.hpp for the model
// and docs/RELIABILITY.md §1 for where each number comes from.

#include "presign/io/retry.hpp"

#include "presign/core/http_date.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>
#include <thread>

namespace presign::io {

namespace {

using std::chrono::milliseconds;

bool contains(std::vector<std::string> const& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool contains(std::vector<int> const& list, int v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Transport faults the client reports (http_client.hpp) that a new attempt may not see
// again: the server or the path was busy, restarted, or cut the connection.
bool transient_transport_code(std::string_view code) {
  static constexpr std::array<std::string_view, 8> kCodes = {
      transport_code::kResolveFailed,     transport_code::kConnectionRefused,
      transport_code::kConnectFailed,     transport_code::kConnectionReset,
      transport_code::kConnectionClosed,  transport_code::kTruncatedBody,
      transport_code::kMalformedResponse, transport_code::kTlsHandshakeFailed,
  };
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  // More than 18 digits is more than any cap applied later: saturate instead of overflowing.
  if (s.size() > 18) return std::uint64_t{999'999'999'999'999'999ULL};
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::optional<milliseconds> parse_ms_header(std::string_view value) {
  auto const v = parse_uint(trim(value));
  if (!v) return std::nullopt;
  // Clamp absurd values well below overflow; the policy caps hints far lower anyway.
  return milliseconds(static_cast<milliseconds::rep>(std::min<std::uint64_t>(*v, 1ULL << 40)));
}

// The text between <Tag> and </Tag>, first occurrence, or empty.
std::string_view xml_element(std::string_view body, std::string_view tag) {
  // Built with append: g++ 12 warns falsely (-Wrestrict, GCC PR 105329) on "<" + string.
  std::string open = "<";
  open.append(tag).append(">");
  std::string close = "</";
  close.append(tag).append(">");
  auto const b = body.find(open);
  if (b == std::string_view::npos) return {};
  auto const start = b + open.size();
  auto const e = body.find(close, start);
  if (e == std::string_view::npos) return {};
  return body.substr(start, e - start);
}

// Codes are identifiers (SlowDown, ServerBusy, rateLimitExceeded); anything else is not one.
bool looks_like_code(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string printable_prefix(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto const u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Profiles

RetryOptions RetryOptions::aws_standard() {
  RetryOptions o;
  o.max_attempts = 3;
  o.base_delay = milliseconds(1000);
  o.max_backoff = milliseconds(20'000);
  o.jitter = Jitter::kFull;
  o.retryable_statuses = {500, 502, 503, 504};
  // botocore standard.py / aws-sdk-go-v2 retry: transient and throttling codes. S3 sends
  // RequestTimeout with status 400 ("Your socket connection to the server was not read
  // from or written to within the timeout period"), so codes are matched on any status.
  o.timeout_codes = {"RequestTimeout", "RequestTimeoutException"};
  o.throttle_codes = {"Throttling",
                      "ThrottlingException",
                      "ThrottledException",
                      "RequestThrottledException",
                      "TooManyRequestsException",
                      "ProvisionedThroughputExceededException",
                      "TransactionInProgressException",
                      "RequestLimitExceeded",
                      "BandwidthLimitExceeded",
                      "LimitExceededException",
                      "RequestThrottled",
                      "SlowDown",
                      "EC2ThrottledException",
                      "ServerBusy"};  // Azure's spelling, also used by S3-compatibles
  o.retryable_codes = o.throttle_codes;
  o.retryable_codes.insert(o.retryable_codes.end(), o.timeout_codes.begin(), o.timeout_codes.end());
  // PriorRequestNotComplete is botocore's; InternalError is what S3 puts in its 500 bodies
  // (s5cmd retries it explicitly).
  o.retryable_codes.insert(o.retryable_codes.end(), {"PriorRequestNotComplete", "InternalError"});
  return o;
}

RetryOptions RetryOptions::gcs() {
  RetryOptions o = aws_standard();  // keeps the S3-style codes: the XML API speaks them
  o.max_attempts = 5;               // google.storage.v2 service config maxAttempts
  o.max_backoff = milliseconds(60'000);
  // cloud.google.com/storage/docs/retry-strategy: 408, 429 and 5xx.
  o.retryable_statuses = {408, 429, 500, 502, 503, 504};
  o.throttle_codes.insert(o.throttle_codes.end(), {"rateLimitExceeded", "userRateLimitExceeded"});
  o.retryable_codes.insert(o.retryable_codes.end(),
                           {"rateLimitExceeded", "userRateLimitExceeded", "backendError"});
  return o;
}

RetryOptions RetryOptions::azure() {
  RetryOptions o;
  o.max_attempts = 4;  // MaxRetries = 3
  o.base_delay = milliseconds(800);
  o.max_backoff = milliseconds(60'000);
  o.jitter = Jitter::kAzure;
  o.retryable_statuses = {408, 500, 502, 503, 504};
  o.throttle_codes = {"ServerBusy", "TooManyRequests"};
  o.timeout_codes = {"OperationTimedOut"};
  o.retryable_codes = {"ServerBusy", "TooManyRequests", "OperationTimedOut", "InternalError"};
  return o;
}

RetryOptions RetryOptions::for_listing(RetryProvider provider) {
  RetryOptions o = provider == RetryProvider::kGcs     ? gcs()
                   : provider == RetryProvider::kAzure ? azure()
                                                       : aws_standard();
  o.max_attempts = kListingMaxAttempts;
  // A listing page is idempotent (GCS docs: "list operations are always idempotent"), and
  // S3-compatible servers and proxies in front of them answer 429/408 where S3 would say
  // 503 SlowDown (rclone's S3 shouldRetry adds 429 for that reason).
  for (int const status : {408, 429}) {
    if (!contains(o.retryable_statuses, status)) o.retryable_statuses.push_back(status);
  }
  return o;
}

RetryEnv RetryEnv::system() {
  RetryEnv env;
  env.now = [] { return std::chrono::steady_clock::now(); };
  env.wall_now = [] { return std::chrono::system_clock::now(); };
  env.sleep = [](milliseconds d) {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  };
  env.uniform01 = [] {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    double const u = std::generate_canonical<double, 53>(rng);
    // generate_canonical may return 1.0 through rounding (LWG 2524); keep [0, 1).
    return u < 1.0 ? u : std::nextafter(1.0, 0.0);
  };
  return env;
}

// ---------------------------------------------------------------------------------------------
// Quota

bool RetryQuota::acquire(int cost) {
  std::lock_guard lock(mutex_);
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::release(int amount) {
  std::lock_guard lock(mutex_);
  available_ = std::min(capacity_, available_ + amount);
}

int RetryQuota::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

// ---------------------------------------------------------------------------------------------
// Policy

RetryPolicy::RetryPolicy(RetryOptions options, RetryEnv env)
    : options_(std::move(options)), env_(std::move(env)), quota_(options_.quota_capacity) {
  // Any piece the caller left empty falls back to the system one.
  RetryEnv const sys = RetryEnv::system();
  if (!env_.now) env_.now = sys.now;
  if (!env_.wall_now) env_.wall_now = sys.wall_now;
  if (!env_.sleep) env_.sleep = sys.sleep;
  if (!env_.uniform01) env_.uniform01 = sys.uniform01;
  options_.max_attempts = std::max(1, options_.max_attempts);
}

RetryPolicy::Call RetryPolicy::begin(std::string what) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.calls;
  }
  Call c;
  c.started = env_.now();
  c.what = std::move(what);
  return c;
}

FailureClass RetryPolicy::classify(Error const& e) const {
  std::string_view const code = e.provider_code;
  // Transport faults first (any status: a lister reports a malformed 200 body with the
  // status it came with).
  if (code == transport_code::kTimeout) return FailureClass::kTimeout;
  if (transient_transport_code(code)) return FailureClass::kTransient;
  if (!code.empty() && contains(options_.retryable_codes, code)) {
    if (contains(options_.timeout_codes, code)) return FailureClass::kTimeout;
    if (contains(options_.throttle_codes, code)) return FailureClass::kThrottle;
    return FailureClass::kTransient;
  }
  if (e.http_status != 0) {
    if (!contains(options_.retryable_statuses, e.http_status)) return FailureClass::kFatal;
    if (e.http_status == 408) return FailureClass::kTimeout;
    if (e.http_status == 429) return FailureClass::kThrottle;
    return FailureClass::kTransient;
  }
  // A network failure without a code we know (e.g. raised by a caller) is still a network
  // failure; everything else without a status (usage, config, body limit, TLS
  // verification) will not change on a new attempt.
  if (e.kind == ErrorKind::kNetwork && code != transport_code::kTlsVerifyFailed &&
      code != transport_code::kShutDown) {
    return FailureClass::kTransient;
  }
  return FailureClass::kFatal;
}

milliseconds RetryPolicy::backoff(int retry, double u) const {
  retry = std::max(1, retry);
  double const cap = static_cast<double>(options_.max_backoff.count());
  // 2^(retry-1) overflows nothing in double up to 2^1023; clamp the exponent anyway.
  double const exp =
      std::ldexp(static_cast<double>(options_.base_delay.count()), std::min(retry - 1, 62));
  double delay = 0;
  switch (options_.jitter) {
    case RetryOptions::Jitter::kFull:
      delay = u * std::min(exp, cap);
      break;
    case RetryOptions::Jitter::kAzure:
      delay = std::min(exp * (0.8 + 0.5 * u), cap);
      break;
  }
  return milliseconds(static_cast<milliseconds::rep>(delay));
}

Result<milliseconds> RetryPolicy::on_failure(Call& call, Error const& last,
                                             std::optional<milliseconds> hint) {
  FailureClass const cls = classify(last);
  auto give_up = [&](std::string_view reason, std::uint64_t RetryStats::*counter) {
    {
      std::lock_guard lock(stats_mutex_);
      ++(stats_.*counter);
    }
    Error e = last;
    e.detail = "gave up after " + std::to_string(call.attempts) +
               (call.attempts == 1 ? " attempt" : " attempts") +
               (reason.empty() ? std::string() : " (" + std::string(reason) + ")") +
               ": last error: " + last.detail;
    return e;
  };
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.attempts;
    if (cls == FailureClass::kThrottle) ++stats_.throttles;
    if (cls == FailureClass::kTimeout) ++stats_.timeouts;
  }
  if (cls == FailureClass::kFatal) {
    std::lock_guard lock(stats_mutex_);
    ++stats_.fatal;
    return last;  // not retryable: the error as it is, after exactly one attempt
  }
  if (call.attempts >= options_.max_attempts) return give_up("", &RetryStats::gave_up_attempts);

  milliseconds delay = backoff(call.attempts, env_.uniform01());
  if (hint && options_.honour_server_hints) {
    // At least what the server asked for, at most max_server_delay (a hostile or broken
    // server must not park a worker for hours).
    delay = std::max(delay, std::min(*hint, options_.max_server_delay));
  }
  if (options_.max_elapsed.count() > 0 &&
      (env_.now() - call.started) + delay > options_.max_elapsed) {
    return give_up(
        "retry time budget of " + std::to_string(options_.max_elapsed.count()) + " ms exhausted",
        &RetryStats::gave_up_elapsed);
  }
  if (options_.use_quota) {
    int const cost =
        cls == FailureClass::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
    if (!quota_.acquire(cost)) return give_up("retry quota exhausted", &RetryStats::gave_up_quota);
    call.tokens_taken += cost;
  }
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.retries;
  }
  if (env_.on_retry) {
    std::string const reason = retry_reason(last);
    RetryEvent ev;
    ev.kind = RetryEvent::Kind::kRetry;
    ev.what = call.what;
    ev.reason = reason;
    ev.attempt = call.attempts;
    ev.max_attempts = options_.max_attempts;
    ev.delay = delay;
    env_.on_retry(ev);
  }
  return delay;
}

void RetryPolicy::on_success(Call const& call) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.attempts;
  }
  if (call.attempts > 1 && env_.on_retry) {
    RetryEvent ev;
    ev.kind = RetryEvent::Kind::kRecovered;
    ev.what = call.what;
    ev.attempt = call.attempts;
    ev.max_attempts = options_.max_attempts;
    env_.on_retry(ev);
  }
  if (!options_.use_quota) return;
  // botocore quota.py: a first-try success refills one token; a success after retries
  // returns what this call took, so a recovered service refills the bucket quickly.
  quota_.release(call.attempts == 1 ? options_.no_retry_increment : call.tokens_taken);
}

RetryStats RetryPolicy::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

// ---------------------------------------------------------------------------------------------
// Hints, codes, errors

std::string retry_reason(Error const& error) {
  std::string_view d = error.detail;
  // Drop everything up to the end of the first "METHOD scheme://host/path: " (the request is
  // the same on every retry, and what precedes it names the listing or the account).
  if (auto const scheme = d.find("://"); scheme != std::string_view::npos) {
    auto const space = d.rfind(' ', scheme);
    if (space != std::string_view::npos && space > 0) {
      auto const word = d.rfind(' ', space - 1);
      auto const method = d.substr(word == std::string_view::npos ? 0 : word + 1,
                                   space - (word == std::string_view::npos ? 0 : word + 1));
      bool const is_method =
          !method.empty() &&
          std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      auto const colon = d.find(": ", scheme);
      if (is_method && colon != std::string_view::npos) d.remove_prefix(colon + 2);
    }
  }
  if (d.empty()) d = error.provider_code;
  return printable_prefix(d, 160);
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto const secs = parse_uint(value);
    if (!secs) return std::nullopt;
    // Clamp before multiplying; hints are capped far below this by the policy.
    return milliseconds(
        static_cast<milliseconds::rep>(std::min<std::uint64_t>(*secs, 1ULL << 30) * 1000));
  }
  auto const when = parse_http_date(value, now);
  if (!when) return std::nullopt;
  if (*when <= now) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(*when - now);
}

std::optional<milliseconds> retry_hint(HttpResponse const& response,
                                       std::chrono::system_clock::time_point now) {
  for (std::string_view const name :
       {"x-amz-retry-after", "retry-after-ms", "x-ms-retry-after-ms"}) {
    if (response.has_header(name)) {
      if (auto const v = parse_ms_header(response.header(name))) return v;
    }
  }
  if (response.has_header("retry-after"))
    return parse_retry_after(response.header("retry-after"), now);
  return std::nullopt;
}

std::string provider_error_code(HttpResponse const& response) {
  for (std::string_view const name : {"x-ms-error-code", "x-amz-error-code"}) {
    auto const v = trim(response.header(name));
    if (looks_like_code(v)) return std::string(v);
  }
  std::string_view const body = response.body;
  auto const xml = trim(xml_element(body, "Code"));
  if (looks_like_code(xml)) return std::string(xml);
  // GCS JSON API: {"error": {"errors": [{"reason": "rateLimitExceeded", ...}], ...}}
  auto const r = body.find("\"reason\"");
  if (r != std::string_view::npos) {
    auto const colon = body.find(':', r + 8);
    auto const q1 = colon == std::string_view::npos ? colon : body.find('"', colon);
    auto const q2 = q1 == std::string_view::npos ? q1 : body.find('"', q1 + 1);
    if (q2 != std::string_view::npos) {
      auto const v = body.substr(q1 + 1, q2 - q1 - 1);
      if (looks_like_code(v)) return std::string(v);
    }
  }
  return {};
}

Error error_from_response(HttpResponse const& response, std::string_view method,
                          std::string_view url) {
  Error e;
  e.kind =
      (response.status == 401 || response.status == 403) ? ErrorKind::kAuth : ErrorKind::kProtocol;
  e.http_status = response.status;
  e.provider_code = provider_error_code(response);
  e.detail = describe_request(method, url) + ": HTTP " + std::to_string(response.status);
  if (!e.provider_code.empty()) e.detail += " " + e.provider_code;
  // Only <Message>: other elements of S3 error bodies (StringToSign, CanonicalRequest,
  // AWSAccessKeyId of SignatureDoesNotMatch) are not for logs.
  auto const message = trim(xml_element(response.body, "Message"));
  if (!message.empty()) e.detail += ": " + printable_prefix(message, 200);
  return e;
}

Result<HttpResponse> send_with_retry(HttpClient& client, HttpRequest const& request,
                                     RetryPolicy& policy) {
  return policy.run([&](AttemptContext& ctx) -> Result<HttpResponse> {
    auto r = client.send(request);
    if (!r) return r;
    if (r->status >= 200 && r->status < 300) return r;
    ctx.retry_after = retry_hint(*r, policy.env().wall_now());
    return error_from_response(*r, request.method, request.url);
  });
}

}  // namespace presign::io
