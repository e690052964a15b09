// One exchange on a plain TCP connection, and how a failed read is reported
// (http_exchange.hpp).

#include "http_exchange.hpp"

#include <boost/asio/ssl/error.hpp>

namespace presign::io::http_detail {

Error read_error(error_code const& ec, http::response_parser<http::string_body> const& parser,
                 HttpClientOptions const& options, std::string const& what, bool total_bound) {
  std::string const phase = parser.is_header_done() ? "body" : "headers";
  if (ec == beast::error::timeout) {
    return net_error(
        ErrorKind::kNetwork, transport_code::kTimeout,
        what + ": timed out waiting for the response " + phase +
            (total_bound ? " (total timeout " + ms_text(options.total_timeout) + ")"
                         : " (no data for " + ms_text(options.read_timeout) + ", read timeout)"));
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
                         std::to_string(options.body_limit) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return net_error(ErrorKind::kProtocol, transport_code::kHeaderTooLarge,
                     what + ": response headers exceed the limit of " +
                         std::to_string(options.header_limit) + " bytes");
  }
  if (ec.category() == error_code(http::error::bad_version).category()) {
    return net_error(ErrorKind::kProtocol, transport_code::kMalformedResponse,
                     what + ": malformed HTTP response: " + ec.message());
  }
  return net_error(
      ErrorKind::kNetwork, transport_code::kConnectionReset,
      what + ": network error while reading the response " + phase + ": " + ec.message());
}

asio::awaitable<Exchange> exchange_tcp(Connection& conn, HttpClientOptions const& options,
                                       ParsedUrl const& url, HttpRequest const& request,
                                       std::string const& what, Clock::time_point deadline) {
  return exchange(*conn.tcp, conn, options, url, request, what, deadline);
}

}  // namespace presign::io::http_detail
