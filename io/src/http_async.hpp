#pragma once
// The HTTP client's asynchronous path, for presign_io's own coroutines (io/src; not
// installed). `HttpClient::send` and `HttpClient::async_send` are wrappers over `co_send`.
//
// `co_send` must be awaited by a coroutine running on `executor_of(client)` (the client's one
// I/O thread, which owns the connection pool). It takes its caller's cancellation state: a
// terminal cancellation emitted on the slot the caller was spawned with aborts the resolve,
// connect, write or read in progress, and the request then fails at once (with a transport
// error; the caller, which knows it cancelled, reports the cancellation).

#include "presign/io/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <string_view>

namespace presign::io::http_detail {

using Executor = boost::asio::io_context::executor_type;

/// The executor of the client's I/O thread.
Executor executor_of(HttpClient& client) noexcept;

/// Sends `request` on the client's pool (see the file comment).
boost::asio::awaitable<Result<HttpResponse>> co_send(HttpClient& client, HttpRequest request);

/// The kInternal error for an exception that escaped a coroutine of the client's thread
/// (only bugs and bad_alloc: network errors are values). `who` prefixes the message.
Error exception_error(std::exception_ptr const& e, std::string_view who);

}  // namespace presign::io::http_detail
