#pragma once
// GCS access tokens inside the one page fetcher (io/src; not installed).
//
// The providers of gcs_tokens.cpp implement `AsyncTokenSource` besides the public
// `AccessTokenProvider`: the GCS strategy (gcs_lister.cpp) awaits `co_token` on the listing's
// own client and I/O thread, so a token refresh costs no thread of its own and no blocked
// thread, and its backoff is a timer wait that the fetch's cancellation cuts short. A provider
// from elsewhere (only the public interface) is asked with its blocking `token()`.

#include "page_fetch.hpp"

#include "presign/io/gcs_lister.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace presign::io::detail {

class AsyncTokenSource {
 public:
  virtual ~AsyncTokenSource() = default;
  /// `AccessTokenProvider::token` as a coroutine (`control` by value: it may be a temporary) on
  /// `executor_of(client)`, sending any token request on `client`; cancellable through `control`
  /// and the coroutine's slot.
  virtual asio::awaitable<Result<std::string>> co_token(HttpClient& client,
                                                        FetchControl control) = 0;
};

/// Printable ASCII of a service's free text, cut to `max` bytes (nothing else reaches a
/// message).
std::string printable(std::string_view s, std::size_t max);

/// Overwrites and empties a secret.
void wipe(std::string& s) noexcept;

}  // namespace presign::io::detail
