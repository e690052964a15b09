// Fake S3 ListObjectsV2 server: Beast on Asio coroutines, one strand per connection.
//
// Responses are written as raw bytes (status line, headers, body) rather than through
// Beast's serializer: most faults are "write part of a correct response, then misbehave",
// which is simplest when the full byte string is at hand.

#include "fake_s3_server.hpp"

#include "presign/signers/crypto.hpp"
#include "presign/signers/sigv4.hpp"
#include "presign/signers/uri.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace presign::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kTokenMagic = "\xfb\xef\xbe";  // base64 "++++": tokens start with '+'

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xF];
    v >>= 4;
  }
  return std::string(buf, 16);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default: {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          // What S3 does with control characters: a character reference that XML 1.0
          // forbids (rclone#3345), so only encoding-type=url lists them safely.
          static constexpr char kHex[] = "0123456789ABCDEF";
          out += "&#x";
          if (u >= 0x10) out += kHex[u >> 4];
          out += kHex[u & 0xF];
          out += ';';
        } else {
          out += c;
        }
      }
    }
  }
  return out;
}

// S3 `encoding-type=url`: form-style, '+' for space, '/' kept, %XX for the rest outside
// the unreserved set (botocore decodes it with unquote_plus).
std::string s3_url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string error_xml(std::string_view code, std::string_view message, std::uint64_t request) {
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  s += code;
  s += "</Code><Message>";
  s += xml_escape(message);
  s += "</Message><RequestId>";
  s += hex64(request);
  s += "</RequestId></Error>";
  return s;
}

char const* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

// What to send back for one request.
struct Plan {
  Fault fault = Fault::kNone;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  bool head_only = false;  // HEAD: Content-Length announced, no body sent
};

Plan error_plan(int status, std::string_view code, std::string_view message,
                std::uint64_t request) {
  Plan p;
  p.status = status;
  p.headers.emplace_back("Content-Type", "application/xml");
  p.body = error_xml(code, message, request);
  return p;
}

// A parsed ListObjectsV2 request, resolved to key indexes.
struct ListQuery {
  std::string prefix;
  std::string start_after;
  std::string token;  // as received (decoded)
  bool url_encoding = false;
  bool has_start_after = false;
  std::uint64_t start = 0;  // first key index of the page
  std::uint64_t end = 0;    // one past the last key of the page
  std::uint64_t hi = 0;     // one past the last key with the prefix
  std::uint32_t max_keys = 1000;
};

}  // namespace

char const* fault_name(Fault f) noexcept {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kSlowDown503:
      return "503 SlowDown";
    case Fault::kInternalError500:
      return "500 InternalError";
    case Fault::kBadGateway502:
      return "502 Bad Gateway";
    case Fault::kGatewayTimeout504:
      return "504 Gateway Timeout";
    case Fault::kTooManyRequests429:
      return "429 TooManyRequests";
    case Fault::kRequestTimeout408:
      return "408 Request Timeout";
    case Fault::kRequestTimeout400:
      return "400 RequestTimeout";
    case Fault::kAccessDenied403:
      return "403 AccessDenied";
    case Fault::kNoSuchBucket404:
      return "404 NoSuchBucket";
    case Fault::kResetMidHeaders:
      return "RST mid-headers";
    case Fault::kResetMidBody:
      return "RST mid-body";
    case Fault::kTruncatedBody:
      return "truncated body (lying Content-Length)";
    case Fault::kMalformedXml200:
      return "200 with malformed XML";
    case Fault::kSlowDrip:
      return "slow drip";
    case Fault::kEmptyPageWithToken:
      return "empty page with a token";
    case Fault::kRepeatToken:
      return "repeated token";
    case Fault::kTruncatedWithoutToken:
      return "IsTruncated without a token";
    case Fault::kOutOfOrderKeys:
      return "out-of-order keys";
    case Fault::kWrongPrefix:
      return "wrong echoed prefix";
    case Fault::kChunked:
      return "chunked (benign)";
    case Fault::kCloseAfterResponse:
      return "Connection: close (benign)";
    case Fault::kSilentClose:
      return "silent close";
    case Fault::kHang:
      return "hang";
    case Fault::kCount:
      break;
  }
  return "?";
}

bool fault_is_benign(Fault f) noexcept {
  return f == Fault::kNone || f == Fault::kChunked || f == Fault::kCloseAfterResponse;
}

std::uint64_t FakeS3Counters::faults_total() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < injected.size(); ++i) {
    if (!fault_is_benign(static_cast<Fault>(i))) n += injected[i];
  }
  return n;
}

// ---------------------------------------------------------------------------------------------

class FakeS3Server::Impl {
 public:
  explicit Impl(FakeS3Options options) : opts_(std::move(options)), acceptor_(ioc_) {
    // Zero-padded to a fixed width, so index order is byte order.
    width_ = std::max<std::size_t>(10, std::to_string(opts_.keys > 0 ? opts_.keys - 1 : 0).size());
    if (!opts_.tls_cert_pem.empty()) {
      ssl_.emplace(asio::ssl::context::tls_server);
      error_code ec;
      ssl_->use_certificate_chain(asio::buffer(opts_.tls_cert_pem), ec);
      if (!ec) ssl_->use_private_key(asio::buffer(opts_.tls_key_pem), asio::ssl::context::pem, ec);
      if (ec) throw std::runtime_error("fake S3: bad TLS certificate or key: " + ec.message());
    }
    tcp::endpoint const ep(asio::ip::make_address("127.0.0.1"), opts_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    for (unsigned i = 0; i < std::max(1U, opts_.threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  ~Impl() { stop(); }

  Impl(Impl const&) = delete;
  Impl& operator=(Impl const&) = delete;

  void stop() {
    if (stopped_.exchange(true)) return;
    // Stopping the context abandons every session mid-await; their frames (and sockets)
    // are destroyed with the io_context, which closes the sockets.
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  [[nodiscard]] bool tls() const noexcept { return ssl_.has_value(); }

  FakeS3Options const& opts() const noexcept { return opts_; }

  std::string key(std::uint64_t i) const {
    std::string digits = std::to_string(i);
    std::string k = opts_.key_prefix;
    if (digits.size() < width_) k.append(width_ - digits.size(), '0');
    k += digits;
    k += opts_.key_suffix;
    return k;
  }

  FakeS3Counters counters() const {
    FakeS3Counters c;
    c.connections = connections_.load();
    c.requests = requests_.load();
    c.list_pages_ok = pages_ok_.load();
    c.keys_served = keys_served_.load();
    c.auth_failures = auth_failures_.load();
    c.bad_requests = bad_requests_.load();
    for (std::size_t i = 0; i < c.injected.size(); ++i) c.injected[i] = injected_[i].load();
    return c;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kUseAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        // EMFILE and friends: back off briefly and keep serving the connections we have.
        asio::steady_timer t(ioc_, std::chrono::milliseconds(10));
        co_await t.async_wait(kUseAwaitable);
        continue;
      }
      std::uint64_t const idx = connections_.fetch_add(1);
      // As real object stores do: without TCP_NODELAY the tail segment of a page waits for the
      // client's delayed ACK (a ~40 ms stall on some pages), which benchmarks then measure.
      beast::error_code nodelay_ec;
      sock.set_option(tcp::no_delay(true), nodelay_ec);
      auto ex = sock.get_executor();
      asio::co_spawn(ex, session(std::move(sock), idx), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket sock, std::uint64_t conn_index) {
    if (ssl_) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(sock), *ssl_);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseAwaitable);
      // A failed handshake is what the client-side verification tests provoke: the client
      // rejects our certificate and aborts. Nothing to serve.
      if (ec) co_return;
      co_await serve(stream, conn_index);
    } else {
      beast::tcp_stream stream(std::move(sock));
      co_await serve(stream, conn_index);
    }
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, std::uint64_t conn_index) {
    beast::flat_buffer buffer;
    for (std::uint64_t n = 0;; ++n) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      beast::get_lowest_layer(stream).expires_after(opts_.idle_timeout);
      auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      (void)bytes;
      // The client closed, went idle past idle_timeout, or sent garbage: drop it.
      if (ec) co_return;
      auto const& req = parser.get();
      Plan plan = handle(req, conn_index, n);
      plan.head_only = req.method() == http::verb::head;
      bool const keep = co_await deliver(stream, plan);
      if (!keep) co_return;
      if (!req.keep_alive()) {
        close_graceful(stream);
        co_return;
      }
      if (opts_.close_after_responses != 0 && n + 1 >= opts_.close_after_responses) {
        close_graceful(stream);
        co_return;
      }
    }
  }

  template <class Stream>
  static void close_graceful(Stream& stream) {
    // FIN without a TLS close_notify: what many HTTP servers do, and what the client must
    // tolerate (ssl::error::stream_truncated on its side).
    auto& sock = beast::get_lowest_layer(stream).socket();
    error_code ignored;
    sock.shutdown(tcp::socket::shutdown_send, ignored);
    sock.close(ignored);
  }

  template <class Stream>
  static void close_reset(Stream& stream) {
    // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    auto& sock = beast::get_lowest_layer(stream).socket();
    error_code ignored;
    sock.set_option(asio::socket_base::linger(true, 0), ignored);
    sock.close(ignored);
  }

  template <class Stream>
  static asio::awaitable<bool> write(Stream& stream, std::string_view data) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec, n] =
        co_await asio::async_write(stream, asio::buffer(data.data(), data.size()), kUseAwaitable);
    (void)n;
    co_return !ec;
  }

  static asio::awaitable<void> pause(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    auto [ec] = co_await t.async_wait(kUseAwaitable);
    (void)ec;
  }

  template <class Stream>
  asio::awaitable<bool> deliver(Stream& stream, Plan const& plan) {
    co_await pause(plan.delay);
    if (plan.fault == Fault::kSilentClose) {
      close_graceful(stream);
      co_return false;
    }
    if (plan.fault == Fault::kHang) {
      co_await pause(opts_.hang);
      close_graceful(stream);
      co_return false;
    }
    bool const chunked = plan.fault == Fault::kChunked;
    bool const announce_close = plan.fault == Fault::kCloseAfterResponse;
    std::string head =
        "HTTP/1.1 " + std::to_string(plan.status) + " " + reason_of(plan.status) + "\r\n";
    for (auto const& [n, v] : plan.headers) head += n + ": " + v + "\r\n";
    head += "Server: fake-s3\r\n";
    if (chunked) {
      head += "Transfer-Encoding: chunked\r\n";
    } else {
      head += "Content-Length: " + std::to_string(plan.body.size()) + "\r\n";
    }
    if (announce_close) head += "Connection: close\r\n";
    head += "\r\n";

    switch (plan.fault) {
      case Fault::kResetMidHeaders:
        co_await write(stream, std::string_view(head).substr(0, head.size() / 2));
        close_reset(stream);
        co_return false;
      case Fault::kResetMidBody:
        if (co_await write(stream, head)) {
          co_await write(stream, std::string_view(plan.body).substr(0, plan.body.size() / 2));
        }
        close_reset(stream);
        co_return false;
      case Fault::kTruncatedBody:
        if (co_await write(stream, head)) {
          co_await write(stream, std::string_view(plan.body).substr(0, plan.body.size() / 2));
        }
        close_graceful(stream);
        co_return false;
      case Fault::kSlowDrip: {
        if (!co_await write(stream, head)) co_return false;
        std::string_view rest = plan.body;
        std::size_t const step = std::max<std::size_t>(1, opts_.drip_bytes);
        while (!rest.empty()) {
          co_await pause(opts_.drip_interval);
          auto const piece = rest.substr(0, step);
          rest.remove_prefix(piece.size());
          if (!co_await write(stream, piece)) co_return false;
        }
        co_return true;
      }
      case Fault::kChunked: {
        std::string out = head;
        std::string_view rest = plan.body;
        while (!rest.empty()) {
          auto const piece = rest.substr(0, 1000);
          rest.remove_prefix(piece.size());
          char len[16];
          auto const [p, ec] = std::to_chars(len, len + sizeof len, piece.size(), 16);
          (void)ec;
          out.append(len, p);
          out += "\r\n";
          out += piece;
          out += "\r\n";
        }
        out += "0\r\n\r\n";
        co_return co_await write(stream, out);
      }
      default: {
        std::string out = plan.head_only ? head : head + plan.body;
        if (!co_await write(stream, out)) co_return false;
        if (announce_close) {
          close_graceful(stream);
          co_return false;
        }
        co_return true;
      }
    }
  }

  // ---- request handling ----

  Plan handle(http::request<http::string_body> const& req, std::uint64_t conn_index,
              std::uint64_t on_conn) {
    std::uint64_t const request_index = requests_.fetch_add(1);
    std::string_view const target = req.target();
    auto const qpos = target.find('?');
    std::string_view const path = target.substr(0, qpos);
    std::string_view const query =
        qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
    std::vector<std::pair<std::string, std::string>> params;
    bool query_ok = true;
    {
      std::string_view q = query;
      while (!q.empty()) {
        auto const amp = q.find('&');
        auto const item = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if (item.empty()) continue;
        auto const eq = item.find('=');
        std::string name;
        std::string value;
        // S3 decodes '+' as a space in query values: an unencoded '+' in a token breaks it.
        if (!signers::uri_decode(item.substr(0, eq), name, true) ||
            (eq != std::string_view::npos &&
             !signers::uri_decode(item.substr(eq + 1), value, true))) {
          query_ok = false;
          break;
        }
        params.emplace_back(std::move(name), std::move(value));
      }
    }

    RequestInfo info;
    info.request_index = request_index;
    info.connection_index = conn_index;
    info.request_on_connection = on_conn;
    info.target = std::string(target);

    // Route and resolve the page first: faults are chosen per page.
    enum class Route { kList, kBytes, kOther } route = Route::kOther;
    std::string_view const host = req[http::field::host];
    if (path == "/" + opts_.bucket || path == "/" + opts_.bucket + "/" ||
        (path == "/" && host.substr(0, opts_.bucket.size() + 1) == opts_.bucket + ".")) {
      route = Route::kList;
    } else if (path.substr(0, 9) == "/__bytes/") {
      route = Route::kBytes;
    }
    std::optional<Plan> early;
    ListQuery lq;
    if (!query_ok) {
      early = error_plan(400, "InvalidArgument", "malformed percent-encoding in the query",
                         request_index);
      ++bad_requests_;
    } else if (route == Route::kList) {
      early = parse_list(params, lq, request_index);
      if (early) ++bad_requests_;
      info.page_start = lq.start;
    }

    {
      std::lock_guard lock(page_mutex_);
      auto const it = consecutive_.find(info.page_start);
      info.consecutive_faults = it == consecutive_.end() ? 0 : it->second;
    }
    Fault fault = choose_fault(info);
    bool const list_only = fault == Fault::kEmptyPageWithToken || fault == Fault::kRepeatToken ||
                           fault == Fault::kTruncatedWithoutToken ||
                           fault == Fault::kOutOfOrderKeys || fault == Fault::kWrongPrefix ||
                           fault == Fault::kMalformedXml200;
    if (list_only && (route != Route::kList || early)) fault = Fault::kNone;

    Plan plan;
    switch (fault) {
      case Fault::kSlowDown503:
        plan = error_plan(503, "SlowDown", "Please reduce your request rate.", request_index);
        if (!opts_.retry_after.empty()) plan.headers.emplace_back("Retry-After", opts_.retry_after);
        break;
      case Fault::kInternalError500:
        plan = error_plan(500, "InternalError",
                          "We encountered an internal error. Please try again.", request_index);
        break;
      case Fault::kBadGateway502:
        plan.status = 502;
        plan.headers.emplace_back("Content-Type", "text/html");
        plan.body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        break;
      case Fault::kGatewayTimeout504:
        plan.status = 504;
        plan.headers.emplace_back("Content-Type", "text/html");
        plan.body = "<html><body><h1>504 Gateway Time-out</h1></body></html>";
        break;
      case Fault::kTooManyRequests429:
        plan = error_plan(429, "TooManyRequests", "Too many requests.", request_index);
        if (!opts_.retry_after.empty()) plan.headers.emplace_back("Retry-After", opts_.retry_after);
        break;
      case Fault::kRequestTimeout408:
        plan.status = 408;
        plan.headers.emplace_back("Content-Type", "text/plain");
        plan.body = "request timeout";
        break;
      case Fault::kRequestTimeout400:
        plan = error_plan(400, "RequestTimeout",
                          "Your socket connection to the server was not read from or written to "
                          "within the timeout period.",
                          request_index);
        break;
      case Fault::kAccessDenied403:
        plan = error_plan(403, "AccessDenied", "Access Denied", request_index);
        break;
      case Fault::kNoSuchBucket404:
        plan =
            error_plan(404, "NoSuchBucket", "The specified bucket does not exist", request_index);
        break;
      default:
        // The correct response (possibly altered by a list fault or a delivery fault).
        if (early) {
          plan = std::move(*early);
        } else if (auto denied = check_sigv4(req, path, params, request_index)) {
          plan = std::move(*denied);
          ++auth_failures_;
        } else if (route == Route::kList) {
          plan = list_page(lq, fault, request_index);
          plan.delay = opts_.latency;
        } else if (route == Route::kBytes) {
          plan = bytes_plan(path.substr(9), request_index);
        } else {
          plan =
              error_plan(404, "NoSuchBucket", "The specified bucket does not exist", request_index);
          ++bad_requests_;
        }
        break;
    }
    plan.fault = fault;
    plan.headers.emplace_back("x-amz-request-id", hex64(request_index));

    injected_[static_cast<std::size_t>(fault)].fetch_add(1);
    bool const page_ok = fault_is_benign(fault) && plan.status == 200 && route == Route::kList;
    {
      std::lock_guard lock(page_mutex_);
      if (!fault_is_benign(fault)) {
        ++consecutive_[info.page_start];
      } else {
        consecutive_.erase(info.page_start);
      }
    }
    if (page_ok) ++pages_ok_;
    return plan;
  }

  Fault choose_fault(RequestInfo const& info) {
    if (info.request_index < opts_.script.size()) return opts_.script[info.request_index];
    if (opts_.hook) {
      Fault const f = opts_.hook(info);
      if (f != Fault::kNone) return f;
    }
    if (!opts_.rates.empty()) {
      if (opts_.max_consecutive_faults_per_page != 0 &&
          info.consecutive_faults >= opts_.max_consecutive_faults_per_page) {
        return Fault::kNone;
      }
      // Deterministic per request number: the same schedule for the same request order.
      double u = static_cast<double>(
                     splitmix64(opts_.seed * 0x2545F4914F6CDD1DULL + info.request_index) >> 11) *
                 0x1.0p-53;
      for (auto const& r : opts_.rates) {
        if (u < r.probability) return r.fault;
        u -= r.probability;
      }
    }
    return Fault::kNone;
  }

  static std::string const* find(std::vector<std::pair<std::string, std::string>> const& params,
                                 std::string_view name) {
    for (auto const& [n, v] : params) {
      if (n == name) return &v;
    }
    return nullptr;
  }

  // First index in [lo, hi) where pred turns false (pred true then false over the range).
  template <class Pred>
  static std::uint64_t partition_point(std::uint64_t lo, std::uint64_t hi, Pred pred) {
    while (lo < hi) {
      std::uint64_t const mid = lo + (hi - lo) / 2;
      if (pred(mid)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // Fills `q` from the parameters; returns an error response when the request is invalid.
  std::optional<Plan> parse_list(std::vector<std::pair<std::string, std::string>> const& params,
                                 ListQuery& q, std::uint64_t request_index) const {
    auto const* list_type = find(params, "list-type");
    if (list_type == nullptr || *list_type != "2") {
      return error_plan(400, "InvalidArgument", "only ListObjectsV2 (list-type=2) is supported",
                        request_index);
    }
    if (find(params, "delimiter") != nullptr) {
      return error_plan(501, "NotImplemented", "delimiter is not supported by this fake",
                        request_index);
    }
    if (auto const* mk = find(params, "max-keys")) {
      unsigned v = 0;
      auto const [p, ec] = std::from_chars(mk->data(), mk->data() + mk->size(), v);
      if (mk->empty() || ec != std::errc{} || p != mk->data() + mk->size() || v == 0) {
        return error_plan(400, "InvalidArgument", "bad max-keys", request_index);
      }
      q.max_keys = std::min(v, 1000U);
    }
    if (auto const* enc = find(params, "encoding-type")) {
      if (*enc != "url") {
        return error_plan(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                          request_index);
      }
      q.url_encoding = true;
    }
    if (auto const* p = find(params, "prefix")) q.prefix = *p;
    if (auto const* sa = find(params, "start-after")) {
      q.start_after = *sa;
      q.has_start_after = true;
    }
    std::uint64_t const n = opts_.keys;
    std::uint64_t const lo =
        partition_point(0, n, [&](std::uint64_t i) { return key(i) < q.prefix; });
    q.hi = partition_point(lo, n, [&](std::uint64_t i) {
      return std::string_view(key(i)).substr(0, q.prefix.size()) == q.prefix;
    });
    if (auto const* tok = find(params, "continuation-token")) {
      q.token = *tok;
      auto const idx = decode_token(*tok, q.prefix);
      if (!idx) {
        return error_plan(400, "InvalidArgument", "The continuation token provided is incorrect",
                          request_index);
      }
      q.start = std::clamp(*idx, lo, q.hi);
    } else if (q.has_start_after) {
      q.start = std::max(
          lo, partition_point(0, n, [&](std::uint64_t i) { return key(i) <= q.start_after; }));
      q.start = std::min(q.start, q.hi);
    } else {
      q.start = lo;
    }
    q.end = std::min<std::uint64_t>(q.hi, q.start + q.max_keys);
    return std::nullopt;
  }

  static std::optional<std::uint64_t> decode_token(std::string const& token,
                                                   std::string const& prefix) {
    std::string raw;
    if (!signers::crypto::base64_decode(token, raw)) return std::nullopt;
    if (raw.substr(0, kTokenMagic.size()) != kTokenMagic) return std::nullopt;
    std::string_view rest = std::string_view(raw).substr(kTokenMagic.size());
    if (rest.empty() || rest.front() != '|') return std::nullopt;
    rest.remove_prefix(1);
    auto const bar = rest.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    std::uint64_t idx = 0;
    auto const num = rest.substr(0, bar);
    auto const [p, ec] = std::from_chars(num.data(), num.data() + num.size(), idx);
    if (num.empty() || ec != std::errc{} || p != num.data() + num.size()) return std::nullopt;
    // A token is valid only with the prefix it was issued for (clients must repeat the
    // prefix on every page: dotnet/buildtools#1861).
    if (rest.substr(bar + 1) != hex64(fnv1a(prefix))) return std::nullopt;
    return idx;
  }

 public:
  static std::string token_for(std::uint64_t index, std::string const& prefix) {
    std::string raw(kTokenMagic);
    raw += '|';
    raw += std::to_string(index);
    raw += '|';
    raw += hex64(fnv1a(prefix));
    return signers::crypto::base64_encode(
        std::span(reinterpret_cast<std::uint8_t const*>(raw.data()), raw.size()));
  }

 private:
  Plan list_page(ListQuery const& q, Fault fault, std::uint64_t request_index) {
    std::vector<std::string> keys;
    std::uint64_t start = q.start;
    std::uint64_t end = q.end;
    bool truncated = end < q.hi;
    std::string next = truncated ? token_for(end, q.prefix) : std::string();
    std::string echoed_prefix = q.prefix;
    switch (fault) {
      case Fault::kEmptyPageWithToken:
        end = start;
        truncated = true;
        next = token_for(start, q.prefix);
        break;
      case Fault::kRepeatToken:
        truncated = true;
        next = q.token.empty() ? token_for(start, q.prefix) : q.token;
        break;
      case Fault::kTruncatedWithoutToken:
        truncated = true;
        next.clear();
        break;
      case Fault::kWrongPrefix:
        echoed_prefix += "-other";
        break;
      default:
        break;
    }
    for (std::uint64_t i = start; i < end; ++i) keys.push_back(key(i));
    if (fault == Fault::kOutOfOrderKeys && keys.size() >= 2) std::swap(keys[0], keys[1]);

    auto enc = [&](std::string const& s) {
      return q.url_encoding ? s3_url_encode(s) : xml_escape(s);
    };
    std::string body;
    body.reserve(256 + keys.size() * (200 + opts_.key_prefix.size() + opts_.key_suffix.size()));
    body += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    body += "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    body += "<Name>" + xml_escape(opts_.bucket) + "</Name>";
    body += "<Prefix>" + enc(echoed_prefix) + "</Prefix>";
    if (q.has_start_after) body += "<StartAfter>" + enc(q.start_after) + "</StartAfter>";
    if (!q.token.empty()) {
      body += "<ContinuationToken>" + xml_escape(q.token) + "</ContinuationToken>";
    }
    if (!next.empty()) {
      body += "<NextContinuationToken>" + xml_escape(next) + "</NextContinuationToken>";
    }
    body += "<KeyCount>" + std::to_string(keys.size()) + "</KeyCount>";
    body += "<MaxKeys>" + std::to_string(q.max_keys) + "</MaxKeys>";
    if (q.url_encoding) body += "<EncodingType>url</EncodingType>";
    body += std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>";
    for (std::uint64_t j = 0; j < keys.size(); ++j) {
      std::uint64_t const i = start + j;
      body += "<Contents><Key>";
      body += enc(keys[j]);
      body += "</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;";
      body += hex64(splitmix64(i)) + hex64(splitmix64(i + 1));
      body += "&quot;</ETag><Size>";
      body += std::to_string(i % 100'000);
      body += "</Size><StorageClass>STANDARD</StorageClass></Contents>";
    }
    body += "</ListBucketResult>";
    if (fault == Fault::kMalformedXml200) {
      // Well framed (Content-Length matches) but half a document: only an XML parser sees it.
      body.resize(body.size() / 2);
    }
    if (fault_is_benign(fault)) keys_served_ += keys.size();

    Plan p;
    p.status = 200;
    p.headers.emplace_back("Content-Type", "application/xml");
    p.body = std::move(body);
    (void)request_index;
    return p;
  }

  Plan bytes_plan(std::string_view count, std::uint64_t request_index) {
    std::uint64_t n = 0;
    auto const [p, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (count.empty() || ec != std::errc{} || p != count.data() + count.size() ||
        n > (256ULL << 20)) {
      ++bad_requests_;
      return error_plan(400, "InvalidArgument", "bad byte count", request_index);
    }
    Plan plan;
    plan.headers.emplace_back("Content-Type", "application/octet-stream");
    plan.body.assign(n, 'x');
    return plan;
  }

  // SigV4 header auth; nullopt when accepted (or not required).
  std::optional<Plan> check_sigv4(http::request<http::string_body> const& req,
                                  std::string_view path,
                                  std::vector<std::pair<std::string, std::string>> const& params,
                                  std::uint64_t request_index) const {
    if (!opts_.verify_sigv4) return std::nullopt;
    auto deny = [&](std::string_view code, std::string_view message) {
      return error_plan(403, code, message, request_index);
    };
    std::string_view auth = req[http::field::authorization];
    constexpr std::string_view kAlg = "AWS4-HMAC-SHA256 ";
    if (auth.substr(0, kAlg.size()) != kAlg) {
      return deny("AccessDenied", "missing or unsupported Authorization");
    }
    auth.remove_prefix(kAlg.size());
    std::string_view credential;
    std::string_view signed_headers;
    std::string_view sig;
    while (!auth.empty()) {
      auto const comma = auth.find(',');
      auto item = auth.substr(0, comma);
      auth = comma == std::string_view::npos ? std::string_view{} : auth.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      if (item.substr(0, 11) == "Credential=") credential = item.substr(11);
      if (item.substr(0, 14) == "SignedHeaders=") signed_headers = item.substr(14);
      if (item.substr(0, 10) == "Signature=") sig = item.substr(10);
    }
    // Credential = AKID/day/region/service/aws4_request
    std::vector<std::string_view> scope;
    for (std::string_view c = credential; !c.empty();) {
      auto const slash = c.find('/');
      scope.push_back(c.substr(0, slash));
      c = slash == std::string_view::npos ? std::string_view{} : c.substr(slash + 1);
    }
    if (scope.size() != 5 || scope[4] != "aws4_request" || signed_headers.empty() ||
        sig.size() != 64) {
      return deny("AccessDenied", "malformed Authorization");
    }
    if (scope[0] != opts_.access_key_id) {
      return deny("InvalidAccessKeyId",
                  "The AWS Access Key Id you provided does not exist in our records.");
    }
    if (scope[2] != opts_.region || scope[3] != "s3") {
      return deny("SignatureDoesNotMatch", "wrong region or service in the credential scope");
    }
    std::string_view const amz_date = req["x-amz-date"];
    std::string_view const payload = req["x-amz-content-sha256"];
    if (amz_date.size() != 16 || amz_date.substr(0, 8) != scope[1] || payload.empty()) {
      return deny("AccessDenied", "x-amz-date or x-amz-content-sha256 missing or inconsistent");
    }
    signers::sigv4::HttpRequestParts parts;
    parts.method = std::string(req.method_string());
    parts.path = std::string(path);
    parts.query = params;
    parts.payload_hash = std::string(payload);
    for (std::string_view sh = signed_headers; !sh.empty();) {
      auto const semi = sh.find(';');
      auto const name = sh.substr(0, semi);
      sh = semi == std::string_view::npos ? std::string_view{} : sh.substr(semi + 1);
      auto const it = req.find(name);
      if (it == req.end()) return deny("SignatureDoesNotMatch", "a signed header is missing");
      parts.headers.emplace_back(std::string(name), std::string(it->value()));
    }
    std::string const cr = signers::sigv4::canonical_request(parts, {.normalize = false});
    std::string const sts = signers::sigv4::string_to_sign(
        "AWS4-HMAC-SHA256", amz_date,
        signers::sigv4::credential_scope(scope[1], opts_.region, "s3"), cr);
    auto const key =
        signers::sigv4::derive_signing_key(opts_.secret_access_key, scope[1], opts_.region, "s3");
    std::string const expected = signers::sigv4::signature(key, sts);
    if (expected.size() != sig.size() ||
        ::CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) != 0) {
      return deny("SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you "
                  "provided.");
    }
    return std::nullopt;
  }

  FakeS3Options opts_;
  std::size_t width_ = 10;
  // The TLS context outlives the io_context: sessions abandoned by stop() (and their TLS
  // streams) are destroyed with the io_context.
  std::optional<asio::ssl::context> ssl_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> pages_ok_{0};
  std::atomic<std::uint64_t> keys_served_{0};
  std::atomic<std::uint64_t> auth_failures_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Fault::kCount)> injected_{};
  std::mutex page_mutex_;
  std::unordered_map<std::uint64_t, std::uint32_t> consecutive_;
};

// ---------------------------------------------------------------------------------------------

FakeS3Server::FakeS3Server(FakeS3Options options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeS3Server::~FakeS3Server() = default;

std::uint16_t FakeS3Server::port() const noexcept { return impl_->port(); }

std::string FakeS3Server::endpoint() const {
  return std::string(impl_->tls() ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->port());
}

std::string FakeS3Server::bucket_url() const { return endpoint() + "/" + impl_->opts().bucket; }

FakeS3Counters FakeS3Server::counters() const { return impl_->counters(); }

std::string FakeS3Server::key(std::uint64_t i) const { return impl_->key(i); }

std::string FakeS3Server::token_for(std::uint64_t index, std::string const& prefix) {
  return Impl::token_for(index, prefix);
}

void FakeS3Server::stop() { impl_->stop(); }

}  // namespace presign::test
