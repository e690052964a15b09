// HTTP/1.1 client: Boost.Beast over Asio C++20 coroutines on one I/O thread.
//
// Shape of one request (`Impl::run`):
//   parse URL → take a pooled connection (checked alive) or connect (resolve, TCP, TLS with
//   SNI + chain + host name verification) → write the request → read the response with a
//   parser, one `async_read_some` at a time so the read timeout is an *idle* timeout while the
//   total deadline bounds the whole call → return the connection to the pool when the
//   response allows keep-alive.
//
// Every asynchronous step takes its error as a value (`as_tuple(use_awaitable)`); each error
// that is tolerated says why beside it, as the Beast examples do. All pool state lives on the
// I/O thread (a single-threaded io_context is an implicit strand), so it needs no lock; the
// counters are atomics because `stats()` is read from other threads.

#include "presign/io/http_client.hpp"
#include "presign/core/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <unordered_map>

#include <sys/socket.h>

namespace presign::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

Error net_error(ErrorKind kind, std::string_view code, std::string detail) {
  Error e;
  e.kind = kind;
  e.detail = std::move(detail);
  e.provider_code = std::string(code);
  return e;
}

// RFC 9110 §9.2.2: these methods may be repeated without changing the outcome, so a request
// whose response never started can be re-sent after a keep-alive race.
bool idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool has_ctl_or_space(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool has_crlf_or_nul(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// One connection: either plain TCP or TLS over TCP, plus the read buffer that belongs to it.
struct Connection {
  std::string pool_key;
  std::unique_ptr<beast::tcp_stream> tcp;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

// A pooled connection must have nothing to read: a FIN (recv returns 0), an RST (error), or
// any unsolicited bytes (for TLS typically a close_notify alert) all mean the server is done
// with it. Peeking is non-blocking and consumes nothing.
bool looks_alive(Connection& c) {
  if (c.buffer.size() != 0) return false;
  if (c.tls && ::SSL_pending(c.tls->native_handle()) > 0) return false;
  auto& sock = c.lowest().socket();
  if (!sock.is_open()) return false;
  char byte = 0;
  auto const n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

// Sets the stream's deadline for the next operation: `step` from now, but never past the
// request's total deadline. Returns true when the total deadline is the binding one, so a
// timeout can be reported as such.
bool arm(beast::tcp_stream& s, Clock::time_point total, std::chrono::milliseconds step) {
  auto const local = Clock::now() + step;
  if (total <= local) {
    s.expires_at(total);
    return true;
  }
  s.expires_at(local);
  return false;
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// URL handling

Result<ParsedUrl> parse_url(std::string_view url) {
  auto bad = [&](std::string const& why) -> Error {
    return net_error(ErrorKind::kUsage, transport_code::kInvalidUrl,
                     "invalid URL '" + describe_request("", url).substr(1) + "': " + why);
  };
  ParsedUrl out;
  std::string_view rest;
  auto const sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected http:// or https://");
  auto const scheme = url.substr(0, sep);
  if (ascii_iequals(scheme, "https")) {
    out.tls = true;
    out.port = 443;
  } else if (ascii_iequals(scheme, "http")) {
    out.port = 80;
  } else {
    return bad("unsupported scheme (http and https only)");
  }
  rest = url.substr(sep + 3);
  auto const auth_end = rest.find_first_of("/?#");
  auto const authority = rest.substr(0, auth_end);
  std::string_view target =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) return bad("user-info is not supported");
  if (!target.empty() && target.front() == '#') return bad("fragments are not sent");
  if (target.find('#') != std::string_view::npos) return bad("fragments are not sent");
  if (has_ctl_or_space(target)) return bad("spaces or control characters in the target");

  std::string_view host;
  std::string_view port_text;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    auto const close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    ipv6 = true;
    auto const after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    auto const colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (host.empty()) return bad("empty host");
  if (has_ctl_or_space(host)) return bad("bad character in the host");
  bool default_port = true;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto const [p, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad("bad port");
    }
    default_port = value == out.port;
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host = std::string(host);
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (!default_port) out.host_header += ":" + std::to_string(out.port);
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

std::string describe_request(std::string_view method, std::string_view url) {
  // Cut the query and fragment (signatures, tokens) and any user-info (passwords).
  auto const cut = url.find_first_of("?#");
  std::string_view shown = url.substr(0, cut);
  auto const sep = shown.find("://");
  std::string out(method);
  out += ' ';
  if (sep != std::string_view::npos) {
    auto const auth_begin = sep + 3;
    auto const auth_end = shown.find('/', auth_begin);
    auto const at = shown.substr(0, auth_end).rfind('@');
    if (at != std::string_view::npos && at >= auth_begin) {
      out.append(shown.substr(0, auth_begin));
      shown = shown.substr(at + 1);
    }
  }
  out.append(shown);
  return out;
}

std::string_view HttpResponse::header(std::string_view name) const noexcept {
  for (auto const& [n, v] : headers) {
    if (ascii_iequals(n, name)) return v;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](auto const& h) { return ascii_iequals(h.first, name); });
}

// ---------------------------------------------------------------------------------------------
// The implementation

class HttpClient::Impl {
 public:
  Impl(HttpClientOptions options, asio::ssl::context ssl_ctx)
      : options_(std::move(options)),
        ssl_ctx_(std::move(ssl_ctx)),
        work_(asio::make_work_guard(ioc_)) {
    thread_ = std::thread([this] {
      io_thread_id_.store(std::this_thread::get_id());
      ioc_.run();
    });
  }

  ~Impl() {
    // Idle connections are closed on the I/O thread (they belong to it); requests still in
    // flight finish first, each bounded by total_timeout, because run() returns only when no
    // work is left once the guard is gone.
    asio::post(ioc_, [this] { pool_.clear(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

  Impl(Impl const&) = delete;
  Impl& operator=(Impl const&) = delete;

  void async_send(HttpRequest request, Callback done) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(ioc_, run(std::move(request)),
                   [done = std::move(done)](std::exception_ptr e, Result<HttpResponse> r) mutable {
                     if (!e) {
                       done(std::move(r));
                       return;
                     }
                     // Only bugs and bad_alloc get here: all network errors are values.
                     std::string what = "unknown exception";
                     try {
                       std::rethrow_exception(e);
                     } catch (std::exception const& ex) {
                       what = ex.what();
                     } catch (...) {
                     }
                     done(make_error(ErrorKind::kInternal, "http client: " + what));
                   });
  }

  [[nodiscard]] bool on_io_thread() const noexcept {
    return io_thread_id_.load() == std::this_thread::get_id();
  }

  void clear_pool() {
    asio::post(ioc_, [this] { pool_.clear(); });
  }

  [[nodiscard]] HttpClientStats stats() const noexcept {
    HttpClientStats s;
    s.requests = requests_.load(std::memory_order_relaxed);
    s.connections_opened = opened_.load(std::memory_order_relaxed);
    s.connections_reused = reused_.load(std::memory_order_relaxed);
    s.stale_retries = stale_retries_.load(std::memory_order_relaxed);
    s.stale_discarded = stale_discarded_.load(std::memory_order_relaxed);
    return s;
  }

  [[nodiscard]] HttpClientOptions const& options() const noexcept { return options_; }

 private:
  // What one exchange (write + read on one connection) produced.
  struct Exchange {
    std::optional<HttpResponse> response;
    Error error;
    bool keep_alive = false;
    // True when the failure proves the server never started answering on this connection:
    // the keep-alive race, where re-sending is safe for idempotent requests.
    bool nothing_received = false;
    bool nothing_written = false;
  };

  asio::awaitable<Result<HttpResponse>> run(HttpRequest request) {
    std::string const what = describe_request(request.method, request.url);
    auto url = parse_url(request.url);
    if (!url) co_return url.error();
    for (auto const& [name, value] : request.headers) {
      if (name.empty() || has_ctl_or_space(name) || name.find(':') != std::string::npos ||
          has_crlf_or_nul(value)) {
        // The header's value is never echoed: it may be a credential.
        co_return net_error(ErrorKind::kUsage, transport_code::kInvalidUrl,
                            what + ": a request header name or value holds forbidden characters");
      }
    }
    if (request.method.empty() || has_ctl_or_space(request.method)) {
      co_return net_error(ErrorKind::kUsage, transport_code::kInvalidUrl,
                          "bad HTTP method for " + what);
    }
    auto const deadline = Clock::now() + options_.total_timeout;
    std::string const key = ascii_to_lower((url->tls ? "https://" : "http://") + url->host) + ":" +
                            std::to_string(url->port);

    // At most two passes: the second only after a keep-alive race on a pooled connection.
    for (int pass = 0; pass < 2; ++pass) {
      std::unique_ptr<Connection> conn = pass == 0 ? take_idle(key) : nullptr;
      bool const reused = conn != nullptr;
      if (!conn) {
        auto fresh = co_await connect(*url, key, what, deadline);
        if (!fresh) co_return fresh.error();
        conn = std::move(*fresh);
      } else {
        reused_.fetch_add(1, std::memory_order_relaxed);
      }

      // Not a conditional expression: g++ 12 miscompiles co_await inside ?: (the temporary
      // is destroyed twice).
      Exchange ex;
      if (conn->tls) {
        ex = co_await exchange(*conn->tls, *conn, *url, request, what, deadline);
      } else {
        ex = co_await exchange(*conn->tcp, *conn, *url, request, what, deadline);
      }
      if (ex.response) {
        ex.response->reused_connection = reused;
        if (ex.keep_alive) {
          put_idle(std::move(conn));
        } else if (conn->tls) {
          // The server will close (Connection: close, or a body delimited by EOF); say
          // goodbye properly in the background so the response is not delayed.
          asio::co_spawn(ioc_, shutdown_tls(std::move(conn)), asio::detached);
        }
        co_return std::move(*ex.response);
      }
      bool const may_resend =
          reused && (ex.nothing_written || (ex.nothing_received && idempotent(request.method)));
      if (may_resend && Clock::now() < deadline) {
        // Keep-alive race: the server closed this idle connection while our request was on
        // its way (it read nothing, or we wrote nothing). Nothing was processed, so one
        // re-send on a fresh connection is safe; a second failure is reported as is.
        stale_retries_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      co_return std::move(ex.error);
    }
    co_return make_error(ErrorKind::kInternal, "unreachable: " + what);
  }

  std::unique_ptr<Connection> take_idle(std::string const& key) {
    auto it = pool_.find(key);
    if (it == pool_.end()) return nullptr;
    auto& idle = it->second;
    auto const now = Clock::now();
    while (!idle.empty()) {
      // LIFO: the most recently used connection is the least likely to have timed out.
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      if (now - c->idle_since < options_.idle_timeout && looks_alive(*c)) return c;
      // Too old, or the server already closed it: drop it (closing a dead socket cannot
      // fail in a way that matters, so the socket's destructor does it).
      stale_discarded_.fetch_add(1, std::memory_order_relaxed);
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> conn) {
    if (options_.max_idle_per_host == 0) return;
    conn->idle_since = Clock::now();
    conn->lowest().expires_never();
    auto& idle = pool_[conn->pool_key];
    if (idle.size() >= options_.max_idle_per_host) idle.erase(idle.begin());  // oldest
    idle.push_back(std::move(conn));
  }

  asio::awaitable<void> shutdown_tls(std::unique_ptr<Connection> conn) {
    conn->lowest().expires_after(std::chrono::seconds(2));
    auto [ec] = co_await conn->tls->async_shutdown(kUseAwaitable);
    // Errors ignored on purpose: the response was complete. Most servers close TCP after
    // "Connection: close" without sending their own close_notify, which OpenSSL reports as
    // ssl::error::stream_truncated (or eof / reset); a timeout only means the peer is slow.
    (void)ec;
    error_code ignored;
    conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(ParsedUrl const& url,
                                                               std::string const& key,
                                                               std::string const& what,
                                                               Clock::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<tcp::endpoint> endpoints;
    error_code addr_ec;
    auto const literal = asio::ip::make_address(url.host, addr_ec);
    bool const is_ip = !addr_ec;
    if (is_ip) {
      endpoints.emplace_back(literal, url.port);
    } else {
      // Name resolution runs on Asio's resolver thread and is bounded by the system
      // resolver's own timeouts (resolv.conf), which Asio cannot cancel early.
      tcp::resolver resolver(ex);
      auto [ec, results] =
          co_await resolver.async_resolve(url.host, std::to_string(url.port), kUseAwaitable);
      if (ec) {
        co_return net_error(ErrorKind::kNetwork, transport_code::kResolveFailed,
                            what + ": cannot resolve host: " + ec.message());
      }
      for (auto const& r : results) endpoints.push_back(r.endpoint());
      if (endpoints.empty()) {
        co_return net_error(ErrorKind::kNetwork, transport_code::kResolveFailed,
                            what + ": the host resolved to no address");
      }
    }

    auto conn = std::make_unique<Connection>();
    conn->pool_key = key;
    if (url.tls) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, ssl_ctx_);
    } else {
      conn->tcp = std::make_unique<beast::tcp_stream>(ex);
    }
    auto& lowest = conn->lowest();
    bool const total_bound = arm(lowest, deadline, options_.connect_timeout);
    auto [cec, ep] = co_await lowest.async_connect(endpoints, kUseAwaitable);
    (void)ep;
    if (cec) {
      if (cec == beast::error::timeout) {
        co_return net_error(
            ErrorKind::kNetwork, transport_code::kTimeout,
            what + ": connect timed out after " +
                ms_text(total_bound ? options_.total_timeout : options_.connect_timeout) +
                (total_bound ? " (total timeout)" : " (connect timeout)"));
      }
      if (cec == asio::error::connection_refused) {
        co_return net_error(ErrorKind::kNetwork, transport_code::kConnectionRefused,
                            what + ": connection refused");
      }
      co_return net_error(ErrorKind::kNetwork, transport_code::kConnectFailed,
                          what + ": connect failed: " + cec.message());
    }
    // Small requests and responses: do not wait for Nagle. A failure only costs latency.
    error_code nodelay_ec;
    lowest.socket().set_option(tcp::no_delay(true), nodelay_ec);

    if (url.tls) {
      SSL* ssl = conn->tls->native_handle();
      // SNI carries DNS names only (RFC 6066 §3): never an IP literal.
      if (!is_ip && ::SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1) {
        co_return net_error(ErrorKind::kNetwork, transport_code::kTlsHandshakeFailed,
                            what + ": cannot set the TLS server name");
      }
      if (options_.tls.verify_peer) {
        conn->tls->set_verify_mode(asio::ssl::verify_peer);
        // OpenSSL checks the name during chain verification: SAN dNSName (wildcards in the
        // left-most label only) for names, SAN iPAddress for IP literals.
        int const set_ok =
            is_ip ? ::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl), url.host.c_str())
                  : ::SSL_set1_host(ssl, url.host.c_str());
        if (set_ok != 1) {
          co_return net_error(ErrorKind::kNetwork, transport_code::kTlsHandshakeFailed,
                              what + ": cannot set the expected certificate name");
        }
      } else {
        conn->tls->set_verify_mode(asio::ssl::verify_none);
      }
      bool const hs_total = arm(lowest, deadline, options_.connect_timeout);
      auto [hec] =
          co_await conn->tls->async_handshake(asio::ssl::stream_base::client, kUseAwaitable);
      if (hec) {
        long const vr = ::SSL_get_verify_result(ssl);
        if (options_.tls.verify_peer && vr != X509_V_OK) {
          co_return net_error(ErrorKind::kNetwork, transport_code::kTlsVerifyFailed,
                              what + ": TLS certificate verification failed: " +
                                  ::X509_verify_cert_error_string(vr));
        }
        if (hec == beast::error::timeout) {
          co_return net_error(ErrorKind::kNetwork, transport_code::kTimeout,
                              what + ": TLS handshake timed out" +
                                  (hs_total ? " (total timeout)" : " (connect timeout)"));
        }
        co_return net_error(ErrorKind::kNetwork, transport_code::kTlsHandshakeFailed,
                            what + ": TLS handshake failed: " + hec.message());
      }
    }
    opened_.fetch_add(1, std::memory_order_relaxed);
    co_return conn;
  }

  template <class Stream>
  asio::awaitable<Exchange> exchange(Stream& stream, Connection& conn, ParsedUrl const& url,
                                     HttpRequest const& request, std::string const& what,
                                     Clock::time_point deadline) {
    Exchange out;
    auto& lowest = conn.lowest();

    http::request<http::string_body> msg;
    auto const verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      msg.method_string(request.method);
    } else {
      msg.method(verb);
    }
    msg.target(url.target);
    msg.version(11);
    bool has_host = false;
    bool has_agent = false;
    bool has_length = false;
    for (auto const& [name, value] : request.headers) {
      has_host = has_host || ascii_iequals(name, "host");
      has_agent = has_agent || ascii_iequals(name, "user-agent");
      has_length = has_length || ascii_iequals(name, "content-length") ||
                   ascii_iequals(name, "transfer-encoding");
      msg.insert(name, value);
    }
    if (!has_host) msg.set(http::field::host, url.host_header);
    if (!has_agent && !options_.user_agent.empty()) {
      msg.set(http::field::user_agent, options_.user_agent);
    }
    msg.body() = request.body;
    if (!has_length) msg.prepare_payload();

    bool total_bound = arm(lowest, deadline, options_.read_timeout);
    auto [wec, written] = co_await http::async_write(stream, msg, kUseAwaitable);
    if (wec) {
      out.nothing_written = written == 0;
      // A write that fails on a reused connection is the keep-alive race: the server has
      // nothing of ours to answer, so `run` may re-send.
      out.nothing_received = true;
      if (wec == beast::error::timeout) {
        out.error = net_error(ErrorKind::kNetwork, transport_code::kTimeout,
                              what + ": timed out sending the request" +
                                  (total_bound ? " (total timeout)" : " (read timeout)"));
        out.nothing_received = false;
      } else {
        out.error = net_error(ErrorKind::kNetwork, transport_code::kConnectionReset,
                              what + ": sending the request failed: " + wec.message());
      }
      co_return out;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.body_limit);
    parser.header_limit(options_.header_limit);
    // A HEAD response announces a body it does not send.
    if (verb == http::verb::head) parser.skip(true);
    while (!parser.is_done()) {
      total_bound = arm(lowest, deadline, options_.read_timeout);
      auto [ec, n] = co_await http::async_read_some(stream, conn.buffer, parser, kUseAwaitable);
      (void)n;
      if (!ec) continue;
      out.error = read_error(ec, parser, what, total_bound);
      out.nothing_received =
          !parser.got_some() &&
          (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::ssl::error::stream_truncated);
      co_return out;
    }

    auto res = parser.release();
    HttpResponse response;
    response.status = static_cast<int>(res.result_int());
    response.reason = std::string(res.reason());
    for (auto const& field : res) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(res.body());
    // Reusable only when the message was delimited by length (not by EOF), the server did
    // not ask to close, and nothing beyond this response was received.
    out.keep_alive = res.keep_alive() && !res.need_eof() && conn.buffer.size() == 0;
    out.response = std::move(response);
    co_return out;
  }

  Error read_error(error_code const& ec, http::response_parser<http::string_body> const& parser,
                   std::string const& what, bool total_bound) const {
    std::string const phase = parser.is_header_done() ? "body" : "headers";
    if (ec == beast::error::timeout) {
      return net_error(ErrorKind::kNetwork, transport_code::kTimeout,
                       what + ": timed out waiting for the response " + phase +
                           (total_bound ? " (total timeout " + ms_text(options_.total_timeout) + ")"
                                        : " (no data for " + ms_text(options_.read_timeout) +
                                              ", read timeout)"));
    }
    if (ec == http::error::end_of_stream) {
      return net_error(ErrorKind::kNetwork, transport_code::kConnectionClosed,
                       what + ": the server closed the connection without a response");
    }
    if (ec == http::error::partial_message || ec == asio::ssl::error::stream_truncated) {
      if (!parser.is_header_done()) {
        return net_error(ErrorKind::kNetwork, transport_code::kConnectionClosed,
                         what + ": the connection closed in the middle of the response headers");
      }
      std::string detail = what + ": response body truncated: the connection closed after " +
                           std::to_string(parser.get().body().size()) + " body bytes";
      if (auto const len = parser.content_length()) {
        detail += " of the " + std::to_string(*len) + " announced by Content-Length";
      } else if (parser.chunked()) {
        detail += " before the last chunk";
      }
      if (ec == asio::ssl::error::stream_truncated) detail += " (TLS close without close_notify)";
      return net_error(ErrorKind::kNetwork, transport_code::kTruncatedBody, std::move(detail));
    }
    if (ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::error::broken_pipe) {
      return net_error(ErrorKind::kNetwork, transport_code::kConnectionReset,
                       what + ": connection reset while reading the response " + phase);
    }
    if (ec == http::error::body_limit) {
      return net_error(ErrorKind::kProtocol, transport_code::kBodyTooLarge,
                       what + ": response body exceeds the limit of " +
                           std::to_string(options_.body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return net_error(ErrorKind::kProtocol, transport_code::kHeaderTooLarge,
                       what + ": response headers exceed the limit of " +
                           std::to_string(options_.header_limit) + " bytes");
    }
    if (ec.category() == error_code(http::error::bad_version).category()) {
      return net_error(ErrorKind::kProtocol, transport_code::kMalformedResponse,
                       what + ": malformed HTTP response: " + ec.message());
    }
    return net_error(
        ErrorKind::kNetwork, transport_code::kConnectionReset,
        what + ": network error while reading the response " + phase + ": " + ec.message());
  }

  HttpClientOptions options_;
  // Members are destroyed in reverse order: the pool (sockets, TLS streams) goes before the
  // io_context, and the io_context (with anything still queued) before the TLS context.
  asio::ssl::context ssl_ctx_;
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> pool_;
  std::atomic<std::thread::id> io_thread_id_{};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::uint64_t> stale_retries_{0};
  std::atomic<std::uint64_t> stale_discarded_{0};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// The public face

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpClientOptions options) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  if (ec)
    return make_error(ErrorKind::kConfig, "TLS: cannot set protocol options: " + ec.message());
  if (options.tls.ca_bundle_file.empty()) {
    ctx.set_default_verify_paths(ec);
    // A system without a trust store still serves plain HTTP; HTTPS with verification will
    // then fail at the handshake with a clear verification error.
    ec.clear();
  } else {
    ctx.load_verify_file(options.tls.ca_bundle_file, ec);
    if (ec) {
      return make_error(ErrorKind::kConfig, "TLS: cannot load the CA bundle '" +
                                                options.tls.ca_bundle_file + "': " + ec.message());
    }
  }
  ctx.set_verify_mode(options.tls.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::make_unique<Impl>(std::move(options), std::move(ctx))));
}

Result<std::unique_ptr<HttpClient>> HttpClient::create() {
  HttpClientOptions const defaults;
  return create(defaults);
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

void HttpClient::async_send(HttpRequest request, Callback done) {
  impl_->async_send(std::move(request), std::move(done));
}

Result<HttpResponse> HttpClient::send(HttpRequest request) {
  if (impl_->on_io_thread()) {
    return make_error(ErrorKind::kInternal,
                      "HttpClient::send called from the client's own I/O thread (a callback)");
  }
  std::promise<Result<HttpResponse>> promise;
  auto future = promise.get_future();
  impl_->async_send(std::move(request),
                    [&promise](Result<HttpResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void HttpClient::clear_pool() { impl_->clear_pool(); }

HttpClientStats HttpClient::stats() const noexcept { return impl_->stats(); }

HttpClientOptions const& HttpClient::options() const noexcept { return impl_->options(); }

}  // namespace presign::io
