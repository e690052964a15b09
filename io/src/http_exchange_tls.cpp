// One exchange on a TLS connection (http_exchange.hpp), in a file of its own: with the
// plain TCP one, the heaviest template instantiations of the library, compiled in parallel.

#include "http_exchange.hpp"

#include <boost/beast/ssl.hpp>

namespace presign::io::http_detail {

asio::awaitable<Exchange> exchange_tls(Connection& conn, HttpClientOptions const& options,
                                       ParsedUrl const& url, HttpRequest const& request,
                                       std::string const& what, Clock::time_point deadline) {
  return exchange(*conn.tls, conn, options, url, request, what, deadline);
}

}  // namespace presign::io::http_detail
