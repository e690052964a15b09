#pragma once
// One request and its response on a connection, for any stream type (http_detail.hpp):
// instantiated once for plain TCP (http_exchange.cpp) and once for TLS
// (http_exchange_tls.cpp).

#include "http_detail.hpp"

#include "presign/core/text.hpp"

#include <boost/beast/http.hpp>

namespace presign::io::http_detail {

namespace http = beast::http;
using boost::system::error_code;

/// What a failed read of the response means, as the error reported (http_exchange.cpp).
Error read_error(error_code const& ec, http::response_parser<http::string_body> const& parser,
                 HttpClientOptions const& options, std::string const& what, bool total_bound);

template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, Connection& conn,
                                   HttpClientOptions const& options, ParsedUrl const& url,
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
  if (!has_agent && !options.user_agent.empty()) {
    msg.set(http::field::user_agent, options.user_agent);
  }
  msg.body() = request.body;
  if (!has_length) msg.prepare_payload();

  bool total_bound = arm(lowest, deadline, options.read_timeout);
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
  parser.body_limit(options.body_limit);
  parser.header_limit(options.header_limit);
  // A HEAD response announces a body it does not send.
  if (verb == http::verb::head) parser.skip(true);
  while (!parser.is_done()) {
    total_bound = arm(lowest, deadline, options.read_timeout);
    auto [ec, n] = co_await http::async_read_some(stream, conn.buffer, parser, kUseAwaitable);
    (void)n;
    if (!ec) continue;
    out.error = read_error(ec, parser, options, what, total_bound);
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

}  // namespace presign::io::http_detail
