#pragma once
/// Error values for setup and I/O (the `Result<T>` layer of the error model).
///
/// Hot paths (signing, encoding, formatting a record) never use these: they return a
/// `SignError` code and do not allocate. Everything that can fail for a reason a user must
/// read (configuration, credentials, files, HTTP) returns `Result<T>`.
///
/// Secrets never go into `Error::detail`: callers describe *what* was looked for and *where*,
/// never the value that was found.

#include <boost/system/result.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace presign {

/// The class of a failure; the program maps it to an exit code (see app/exit_codes.hpp),
/// and a service will map it to an HTTP status. The last four are the kinds a service needs
/// beyond the batch program's (a request naming what does not exist, a caller without the
/// right, a dependency down for now, a request body or parameter that is wrong).
enum class ErrorKind : std::uint8_t {
  kUsage,             ///< the command line or an option value is wrong
  kConfig,            ///< credentials or configuration missing or unreadable
  kAuth,              ///< the provider refused the credentials
  kIo,                ///< a local file could not be read or written
  kNetwork,           ///< a connection failed or timed out
  kProtocol,          ///< a peer answered with something we cannot use
  kInternal,          ///< a bug
  kCancelled,         ///< stopped on request (SIGINT/SIGTERM, a cancelled listing)
  kNotFound,          ///< what was asked for does not exist (a bucket, an integration, a key)
  kPermissionDenied,  ///< authenticated, but not allowed to do this
  kUnavailable,       ///< a dependency is down or throttling and retries ran out; try later
  kInvalidInput,      ///< input data (not the command line) is malformed or out of range
};

/// One failure, with enough context to act on it.
struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string detail;         ///< human-readable, secret-free
  int http_status = 0;        ///< HTTP status when a server answered, else 0
  std::string provider_code;  ///< e.g. "SlowDown", "AuthorizationFailure"; may be empty
};

inline Error make_error(ErrorKind kind, std::string detail) {
  return Error{kind, std::move(detail), 0, {}};
}

/// Thrown only when `.value()` is called on a failed Result (a bug at the call site).
class ResultError : public std::runtime_error {
 public:
  explicit ResultError(Error e) : std::runtime_error(e.detail), error_(std::move(e)) {}
  [[nodiscard]] Error const& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Found by ADL from boost::system::result<T, Error>::value().
[[noreturn]] inline void throw_exception_from_error(Error const& e,
                                                    boost::source_location const& /*loc*/) {
  throw ResultError(e);
}

/// Setup/I/O result: a value or an `Error` (google-cloud-cpp's StatusOr, spelled with Boost).
template <class T>
using Result = boost::system::result<T, Error>;

/// Shorthand for returning an error from a function returning `Result<T>`.
inline boost::system::result<void, Error> ok() { return {}; }

}  // namespace presign
