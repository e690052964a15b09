#pragma once
/// A small HTTP/1.1 client for the listers: HTTP and HTTPS, keep-alive connection reuse per
/// host:port, connect/read/total timeouts and a response body limit.
///
/// Design (see io/src/http_client.cpp for the details):
/// - The core is asynchronous: Boost.Asio C++20 coroutines (`asio::awaitable`) running on one
///   I/O thread that the client owns. Every operation takes its error as a value
///   (`as_tuple(use_awaitable)`), so no exception crosses the network code.
/// - Asio and Beast stay out of this header (pimpl): users of `presign::io` do not compile
///   Asio. The public entry points are `async_send` (completion callback, called on the
///   client's I/O thread) and `send` (blocks the calling thread, for callers outside a
///   coroutine). Inside presign_io the coroutine itself is the API: io/src/http_async.hpp
///   gives the client's executor and an awaitable send, which the page fetcher
///   (io/src/page_fetch.hpp) awaits with Asio cancellation; `send` and `async_send` are thin
///   wrappers over that same coroutine.
/// - Only the transport is handled here. A non-2xx status is a *response*, not an error;
///   turning statuses into errors and retrying them is the job of `presign/io/retry.hpp`.
///   The one retry done here is the keep-alive race: when a pooled connection turns out to
///   have been closed by the server before any byte of the response arrived, an idempotent
///   request is sent again, once, on a fresh connection.
///
/// Secrets: error messages name the method, scheme, host, port and path only. The query (it
/// may carry a signature or a session token) and the headers (Authorization) never appear in
/// an `Error`, in `HttpClientStats`, or anywhere else this module writes text.

#include "presign/core/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::io {

/// Values of `Error::provider_code` for failures the client detects itself (`http_status` is
/// then 0). The retry policy uses them to tell transient transport faults from permanent ones.
namespace transport_code {
inline constexpr std::string_view kInvalidUrl = "InvalidUrl";                ///< permanent
inline constexpr std::string_view kResolveFailed = "ResolveFailed";          ///< transient
inline constexpr std::string_view kConnectionRefused = "ConnectionRefused";  ///< transient
inline constexpr std::string_view kConnectFailed = "ConnectFailed";          ///< transient
inline constexpr std::string_view kTimeout = "Timeout";                  ///< transient (costs more)
inline constexpr std::string_view kConnectionReset = "ConnectionReset";  ///< transient
inline constexpr std::string_view kConnectionClosed = "ConnectionClosed";      ///< transient
inline constexpr std::string_view kTruncatedBody = "TruncatedBody";            ///< transient
inline constexpr std::string_view kMalformedResponse = "MalformedResponse";    ///< transient
inline constexpr std::string_view kTlsHandshakeFailed = "TlsHandshakeFailed";  ///< transient
inline constexpr std::string_view kTlsVerifyFailed = "TlsVerifyFailed";        ///< permanent
inline constexpr std::string_view kBodyTooLarge = "BodyTooLarge";              ///< permanent
inline constexpr std::string_view kHeaderTooLarge = "HeaderTooLarge";          ///< permanent
inline constexpr std::string_view kShutDown = "ClientShutDown";                ///< permanent
}  // namespace transport_code

/// One request. `url` is absolute: `http://host[:port]/path?query` or `https://...`; IPv6
/// literals in brackets. The target (path and query) is sent exactly as given: encode it
/// before, exactly as it was signed.
///
/// The client adds `Host` (host, plus `:port` when the port is not the scheme's default —
/// sign the same value), `User-Agent` and `Content-Length` (when there is a body or the
/// method is POST/PUT) unless `headers` already holds them (names compared
/// case-insensitively).
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// One response, whatever its status.
struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  ///< in the order received
  std::string body;
  bool reused_connection = false;  ///< sent on a pooled connection (diagnostics, tests)

  /// The first header named `name` (case-insensitive), or an empty view.
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
  [[nodiscard]] bool has_header(std::string_view name) const noexcept;
};

/// TLS settings. Verification is on by default: the chain against the system trust store
/// (OpenSSL's default paths) and the host name (DNS names through `SSL_set1_host`, IP
/// literals against iPAddress SANs). TLS 1.2 is the minimum.
struct TlsOptions {
  bool verify_peer = true;     ///< false: accept any certificate (tests, private endpoints)
  std::string ca_bundle_file;  ///< PEM file of trust anchors used *instead of* the system store
};

struct HttpClientOptions {
  /// Resolve + TCP connect + TLS handshake of one connection.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Longest wait for progress on one write or read (idle timeout): a server that sends
  /// one byte per second keeps a request alive only if it is within `total_timeout`.
  std::chrono::milliseconds read_timeout{30'000};
  /// Whole request, from `send` to the last body byte, including a keep-alive re-send.
  std::chrono::milliseconds total_timeout{120'000};
  /// Largest response body accepted; a larger one fails with kBodyTooLarge (Content-Length
  /// is checked before the body is read). A ListObjectsV2 page of 1,000 keys of 1,024 bytes
  /// each is at most about 3 MiB url-encoded, so 64 MiB leaves room for any listing.
  std::uint64_t body_limit = 64ULL << 20;
  /// Largest response header block.
  std::uint32_t header_limit = 64U << 10;
  /// Idle connections kept per scheme://host:port (LIFO reuse; the oldest is closed first).
  std::size_t max_idle_per_host = 8;
  /// Idle connections older than this are closed instead of reused (servers close idle
  /// keep-alive connections after 5–60 s; S3 after about 20 s of idleness).
  std::chrono::milliseconds idle_timeout{15'000};
  TlsOptions tls;
  std::string user_agent = "presign/0.1";
};

/// Counters since construction (monotonic; read any time from any thread).
struct HttpClientStats {
  std::uint64_t requests = 0;            ///< calls of send/async_send
  std::uint64_t connections_opened = 0;  ///< TCP (and TLS) connections established
  std::uint64_t connections_reused = 0;  ///< requests sent on a pooled connection
  std::uint64_t stale_retries = 0;       ///< keep-alive races re-sent on a fresh connection
  std::uint64_t stale_discarded = 0;     ///< pooled connections found closed before use
};

/// The client. Thread-safe: `send` and `async_send` may be called from any number of
/// threads at once. Each in-flight request uses its own connection; connections return to
/// the pool after a complete response that allows keep-alive.
///
/// Destruction waits for the requests in flight (each is bounded by `total_timeout`), closes
/// the pooled connections and joins the I/O thread. Do not start requests while the client
/// is being destroyed, and never destroy it from one of its own callbacks.
class HttpClient {
 public:
  using Callback = std::function<void(Result<HttpResponse>)>;

  /// Builds the TLS context (a missing or unreadable `ca_bundle_file` is a kConfig error)
  /// and starts the I/O thread.
  static Result<std::unique_ptr<HttpClient>> create(HttpClientOptions options);
  /// `create` with default options. (An overload rather than a default argument: g++ 12
  /// warns falsely, -Wmaybe-uninitialized, on the inlined default temporary.)
  static Result<std::unique_ptr<HttpClient>> create();
  /// What `create(options)` would refuse (an unreadable CA bundle: kConfig), without
  /// starting a client.
  static Result<void> check_options(HttpClientOptions const& options);

  ~HttpClient();
  HttpClient(HttpClient const&) = delete;
  HttpClient& operator=(HttpClient const&) = delete;

  /// Starts `request`; `done` runs exactly once, on the client's I/O thread, with the
  /// response or a kNetwork/kProtocol error (see `transport_code`). `done` must not block
  /// and must not throw (an exception there ends the I/O thread: std::terminate).
  void async_send(HttpRequest request, Callback done);

  /// Sends `request` and waits for the result. Must not be called from inside a callback
  /// of this client (that would wait for its own thread); doing so returns kInternal.
  Result<HttpResponse> send(HttpRequest request);

  /// Closes all idle pooled connections (e.g. after a credentials change or a fork).
  void clear_pool();

  [[nodiscard]] HttpClientStats stats() const noexcept;
  [[nodiscard]] HttpClientOptions const& options() const noexcept;

  class Impl;
  /// For presign_io's own coroutines (io/src/http_async.hpp); not part of the public API.
  [[nodiscard]] Impl& impl() noexcept { return *impl_; }

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Parsed absolute URL (what the client understands of one).
struct ParsedUrl {
  bool tls = false;
  std::string host;  ///< without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;       ///< path and query, "/" at least
  std::string host_header;  ///< `host[:port]`, brackets kept, port omitted when default
};

/// Parses `http[s]://host[:port][/target]`. Rejects user-info, fragments, other schemes,
/// empty hosts, bad ports, and control characters or spaces in the target (kUsage,
/// provider_code kInvalidUrl). The error message never repeats the query.
Result<ParsedUrl> parse_url(std::string_view url);

/// `METHOD scheme://host:port/path` with the query and fragment cut off: the only form in
/// which a request appears in messages.
std::string describe_request(std::string_view method, std::string_view url);

}  // namespace presign::io
