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
//
// The parts live in their own files (http_detail.hpp lists them); this one holds the I/O
// thread, the connection pool, the request loop and the public face.

#include "presign/io/http_client.hpp"

#include "http_async.hpp"
#include "http_detail.hpp"

#include "presign/core/text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <thread>
#include <unordered_map>
#include <vector>

namespace presign::io {

using namespace http_detail;  // NOLINT(google-build-using-namespace): the client's own parts
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// RFC 9110 §9.2.2: these methods may be repeated without changing the outcome, so a request
// whose response never started can be re-sent after a keep-alive race.
bool idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

}  // namespace

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

  // The async path everything else is built on: runs on the I/O thread, inside the caller's
  // coroutine, so the caller's cancellation slot reaches the resolve, connect, write and
  // read in progress.
  asio::awaitable<Result<HttpResponse>> co_send(HttpRequest request) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    co_return co_await run(std::move(request));
  }

  [[nodiscard]] Executor executor() noexcept { return ioc_.get_executor(); }

  void async_send(HttpRequest request, Callback done) {
    asio::co_spawn(ioc_, co_send(std::move(request)),
                   [done = std::move(done)](std::exception_ptr e, Result<HttpResponse> r) mutable {
                     if (!e) {
                       done(std::move(r));
                       return;
                     }
                     done(exception_error(e, "http client"));
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
        auto fresh = co_await connect(ssl_ctx_, options_, *url, key, what, deadline);
        if (!fresh) co_return fresh.error();
        conn = std::move(*fresh);
        opened_.fetch_add(1, std::memory_order_relaxed);
      } else {
        reused_.fetch_add(1, std::memory_order_relaxed);
      }

      // Not a conditional expression: g++ 12 miscompiles co_await inside ?: (the temporary
      // is destroyed twice).
      Exchange ex;
      if (conn->tls) {
        ex = co_await exchange_tls(*conn, options_, *url, request, what, deadline);
      } else {
        ex = co_await exchange_tcp(*conn, options_, *url, request, what, deadline);
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
      // A cancelled caller (Asio cancellation slot) gets its failure, not a re-send.
      auto const cancel_state = co_await asio::this_coro::cancellation_state;
      if (may_resend && Clock::now() < deadline &&
          cancel_state.cancelled() == asio::cancellation_type::none) {
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

namespace {

Result<asio::ssl::context> make_tls_context(HttpClientOptions const& options) {
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
  return ctx;
}

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpClientOptions options) {
  auto ctx = make_tls_context(options);
  if (!ctx) return ctx.error();
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::make_unique<Impl>(std::move(options), std::move(*ctx))));
}

Result<void> HttpClient::check_options(HttpClientOptions const& options) {
  auto ctx = make_tls_context(options);
  if (!ctx) return ctx.error();
  return {};
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

namespace http_detail {

Executor executor_of(HttpClient& client) noexcept { return client.impl().executor(); }

asio::awaitable<Result<HttpResponse>> co_send(HttpClient& client, HttpRequest request) {
  return client.impl().co_send(std::move(request));
}

Error exception_error(std::exception_ptr const& e, std::string_view who) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (std::exception const& ex) {
    what = ex.what();
  } catch (...) {
  }
  return make_error(ErrorKind::kInternal, std::string(who) + ": " + what);
}

}  // namespace http_detail

HttpClientStats HttpClient::stats() const noexcept { return impl_->stats(); }

HttpClientOptions const& HttpClient::options() const noexcept { return impl_->options(); }

}  // namespace presign::io
