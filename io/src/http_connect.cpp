// Opening a connection for the HTTP client: resolve, TCP connect, TLS handshake with SNI and
// chain + host name verification (http_detail.hpp). Errors are values, each with its
// transport code; a tolerated error says why beside it, as the Beast examples do.

#include "http_detail.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <vector>

#include <sys/socket.h>

namespace presign::io::http_detail {

using tcp = asio::ip::tcp;
using boost::system::error_code;

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

asio::awaitable<Result<std::unique_ptr<Connection>>> connect(
    asio::ssl::context& ssl_ctx, HttpClientOptions const& options, ParsedUrl const& url,
    std::string const& key, std::string const& what, Clock::time_point deadline) {
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
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, ssl_ctx);
  } else {
    conn->tcp = std::make_unique<beast::tcp_stream>(ex);
  }
  auto& lowest = conn->lowest();
  bool const total_bound = arm(lowest, deadline, options.connect_timeout);
  auto [cec, ep] = co_await lowest.async_connect(endpoints, kUseAwaitable);
  (void)ep;
  if (cec) {
    if (cec == beast::error::timeout) {
      co_return net_error(
          ErrorKind::kNetwork, transport_code::kTimeout,
          what + ": connect timed out after " +
              ms_text(total_bound ? options.total_timeout : options.connect_timeout) +
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
    if (options.tls.verify_peer) {
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
    bool const hs_total = arm(lowest, deadline, options.connect_timeout);
    auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, kUseAwaitable);
    if (hec) {
      long const vr = ::SSL_get_verify_result(ssl);
      if (options.tls.verify_peer && vr != X509_V_OK) {
        co_return net_error(
            ErrorKind::kNetwork, transport_code::kTlsVerifyFailed,
            what + ": TLS certificate verification failed: " + ::X509_verify_cert_error_string(vr));
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
  co_return conn;
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

}  // namespace presign::io::http_detail
