#pragma once
/// A fake S3 ListObjectsV2 server for tests and benchmarks, with a deterministic fault
/// schedule (docs/RELIABILITY.md §5 "Fault injection").
///
/// - Listens on 127.0.0.1 only (port 0 = any free port), HTTP/1.1 with keep-alive, or HTTPS
///   when given a certificate. Runs on its own threads until destroyed.
/// - Serves `GET /<bucket>?list-type=2` (path style; virtual-hosted `Host: <bucket>.x` with
///   path `/` too) over `keys` synthetic keys generated on the fly: key *i* is
///   `key_prefix + zero-padded(i) + key_suffix`, so index order is lexicographic byte order
///   and millions of keys cost no memory. Supported parameters: `prefix`, `start-after`,
///   `continuation-token`, `max-keys` (1..1000, default 1000), `encoding-type=url` (Key,
///   Prefix and StartAfter encoded as S3 does: `+` for space, `/` kept, `%XX` otherwise).
///   `delimiter` gets 501 (not needed by the listers, and faking it wrongly would hide bugs).
/// - Continuation tokens are opaque, start with `++++` (so a client that forgets to
///   percent-encode `+` sends spaces and gets `400 InvalidArgument`, as on S3) and are bound
///   to the prefix they were issued for.
/// - `GET /__bytes/<n>` returns n bytes of 'x' (client tests: body limits, keep-alive).
/// - Faults apply to every request; they are chosen, in order, by `script` (request *i* gets
///   `script[i]`), then `hook`, then `rates` (a draw from `seed` and the request number, so a
///   sequential client sees the same schedule every run). Counters record what was injected.
/// - With `verify_sigv4`, requests must carry SigV4 header auth for `credentials` and
///   `region` (service s3), checked with the generic staged functions of sigv4.hpp;
///   otherwise 403 `SignatureDoesNotMatch` / `InvalidAccessKeyId` / `AccessDenied`.
///
/// Errors in setup (port in use, bad PEM) throw std::runtime_error: this is test support.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace presign::test {

enum class Fault : std::uint8_t {
  kNone,
  kSlowDown503,            ///< 503 <Code>SlowDown</Code> (+ Retry-After when configured)
  kInternalError500,       ///< 500 <Code>InternalError</Code>
  kBadGateway502,          ///< 502 with an HTML body (a proxy speaking), no code
  kGatewayTimeout504,      ///< 504 with an HTML body
  kTooManyRequests429,     ///< 429 <Code>TooManyRequests</Code> (+ Retry-After when configured)
  kRequestTimeout408,      ///< 408 without a code
  kRequestTimeout400,      ///< 400 <Code>RequestTimeout</Code> (S3's own spelling)
  kAccessDenied403,        ///< 403 <Code>AccessDenied</Code>
  kNoSuchBucket404,        ///< 404 <Code>NoSuchBucket</Code>
  kResetMidHeaders,        ///< half the status line and headers, then TCP RST
  kResetMidBody,           ///< full headers, half the body, then TCP RST
  kTruncatedBody,          ///< Content-Length promises the full body; half is sent, then FIN
  kMalformedXml200,        ///< 200 with a well-framed body holding half an XML document
  kSlowDrip,               ///< the correct page, `drip_bytes` every `drip_interval`
  kEmptyPageWithToken,     ///< 200, no keys, IsTruncated=true, a token that resumes here
  kRepeatToken,            ///< the page's keys, but NextContinuationToken = the request's token
  kTruncatedWithoutToken,  ///< IsTruncated=true without NextContinuationToken
  kOutOfOrderKeys,         ///< the page with its first two keys swapped
  kWrongPrefix,            ///< the page with a different <Prefix> echoed
  kChunked,                ///< not a fault: the correct page in chunked transfer encoding
  kCloseAfterResponse,     ///< the correct page with `Connection: close`, then close
  kSilentClose,            ///< read the request, close without answering (keep-alive race)
  kHang,                   ///< read the request, send nothing for `hang`, then close
  kCount
};

char const* fault_name(Fault f) noexcept;

/// Faults that produce a correct response (counted apart from real faults).
bool fault_is_benign(Fault f) noexcept;

/// What the fault schedule is told about a request.
struct RequestInfo {
  std::uint64_t request_index = 0;          ///< 0-based, over all requests of the server
  std::uint64_t connection_index = 0;       ///< 0-based accept order
  std::uint64_t request_on_connection = 0;  ///< 0-based
  std::uint64_t page_start = 0;             ///< first key index of the page asked for (lists)
  std::uint32_t consecutive_faults = 0;     ///< faults injected in a row for this page_start
  std::string target;                       ///< path and query as received
};

struct FaultRate {
  Fault fault = Fault::kNone;
  double probability = 0;
};

struct FakeS3Options {
  std::uint16_t port = 0;  ///< 0: any free port
  unsigned threads = 1;
  std::string bucket = "bucket";
  std::uint64_t keys = 1000;
  std::string key_prefix = "obj/";
  std::string key_suffix;  ///< appended to every key (e.g. " +&<é" to exercise encodings)
  std::chrono::milliseconds latency{0};  ///< added before every list response

  std::vector<Fault> script;
  std::function<Fault(RequestInfo const&)> hook;  ///< called on a server thread
  std::vector<FaultRate> rates;
  std::uint64_t seed = 1;
  /// For `rates` only: once a page has seen this many faults in a row, it is served
  /// (docs/RELIABILITY.md §5: at most 4 in a row per page). 0 = no bound.
  std::uint32_t max_consecutive_faults_per_page = 4;
  std::string retry_after;  ///< `Retry-After` value sent with 503 and 429 faults, if not empty

  std::size_t drip_bytes = 64;
  std::chrono::milliseconds drip_interval{5};
  std::chrono::milliseconds hang{2000};

  /// Close a connection silently (FIN, no `Connection: close`) after this many responses;
  /// 0 = never. Models servers that drop idle keep-alive connections.
  std::uint32_t close_after_responses = 0;
  std::chrono::milliseconds idle_timeout{30'000};  ///< server closes idle connections

  std::string tls_cert_pem;  ///< when set (with the key), the server speaks HTTPS only
  std::string tls_key_pem;

  bool verify_sigv4 = false;
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
};

struct FakeS3Counters {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t list_pages_ok = 0;  ///< 200 list pages served without a fault
  std::uint64_t keys_served = 0;    ///< keys in those pages
  std::uint64_t auth_failures = 0;
  std::uint64_t bad_requests = 0;  ///< 4xx the server chose (not injected)
  std::array<std::uint64_t, static_cast<std::size_t>(Fault::kCount)> injected{};

  [[nodiscard]] std::uint64_t of(Fault f) const { return injected[static_cast<std::size_t>(f)]; }

  /// Real faults injected (benign variants excluded).
  [[nodiscard]] std::uint64_t faults_total() const;
};

class FakeS3Server {
 public:
  explicit FakeS3Server(FakeS3Options options);
  ~FakeS3Server();
  FakeS3Server(FakeS3Server const&) = delete;
  FakeS3Server& operator=(FakeS3Server const&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `http://127.0.0.1:<port>` (or https).
  [[nodiscard]] std::string endpoint() const;
  /// `<endpoint>/<bucket>`.
  [[nodiscard]] std::string bucket_url() const;
  [[nodiscard]] FakeS3Counters counters() const;
  /// Key number `i` (0-based) as stored (not encoded).
  [[nodiscard]] std::string key(std::uint64_t i) const;
  /// The continuation token that resumes at key `index` for `prefix`.
  [[nodiscard]] static std::string token_for(std::uint64_t index, std::string const& prefix);
  /// Stops accepting and closes every connection; idempotent (the destructor calls it).
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace presign::test
