#pragma once
// The HTTP client's parts, shared by its files (io/src; not installed):
//   http_url.cpp          parse_url, describe_request, header lookup, the small checks below
//   http_connect.cpp      resolve, TCP connect, TLS (SNI, chain and name verification)
//   http_exchange*.cpp    one request and its response on a connection: plain TCP and TLS in
//                         two files, so that the two heaviest template instantiations of the
//                         library compile in parallel
//   http_client.cpp       the I/O thread, the pool, the request loop and the public face
// Everything here runs on the client's I/O thread.

#include "presign/io/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace presign::io::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

inline constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

/// An error with the transport code (io/http_client.hpp, transport_code) as provider_code.
Error net_error(ErrorKind kind, std::string_view code, std::string detail);

/// A control character or a space (not allowed in a method, header name, host or target).
bool has_ctl_or_space(std::string_view s) noexcept;
/// CR, LF or NUL (not allowed in a header value: they would split the request).
bool has_crlf_or_nul(std::string_view s) noexcept;

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
bool looks_alive(Connection& c);

// Sets the stream's deadline for the next operation: `step` from now, but never past the
// request's total deadline. Returns true when the total deadline is the binding one, so a
// timeout can be reported as such.
bool arm(beast::tcp_stream& s, Clock::time_point total, std::chrono::milliseconds step);

/// "250 ms".
std::string ms_text(std::chrono::milliseconds ms);

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

/// Resolves `url`'s host, connects (within the connect timeout and `deadline`) and, for
/// https, handshakes with SNI and, when options.tls.verify_peer, chain and name verification.
asio::awaitable<Result<std::unique_ptr<Connection>>> connect(
    asio::ssl::context& ssl_ctx, HttpClientOptions const& options, ParsedUrl const& url,
    std::string const& key, std::string const& what, Clock::time_point deadline);

/// Closes a TLS connection politely (close_notify, at most 2 s), errors ignored.
asio::awaitable<void> shutdown_tls(std::unique_ptr<Connection> conn);

/// Writes `request` on `conn` and reads its response (http_exchange.cpp: plain TCP;
/// http_exchange_tls.cpp: TLS). The read timeout is an idle timeout; `deadline` bounds all.
asio::awaitable<Exchange> exchange_tcp(Connection& conn, HttpClientOptions const& options,
                                       ParsedUrl const& url, HttpRequest const& request,
                                       std::string const& what, Clock::time_point deadline);
asio::awaitable<Exchange> exchange_tls(Connection& conn, HttpClientOptions const& options,
                                       ParsedUrl const& url, HttpRequest const& request,
                                       std::string const& what, Clock::time_point deadline);

}  // namespace presign::io::http_detail
