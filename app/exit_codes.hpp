#pragma once
/// The program's exit codes (documented in README.md). Named as rclone's lib/exitcode does.

#include "presign/core/error.hpp"

namespace presign::app {

enum ExitCode : int {
  kOk = 0,             ///< every object signed and written
  kPartial = 1,        ///< the output is complete except for objects reported as failed
  kUsage = 2,          ///< bad command line or option value; nothing was done
  kAuthOrConfig = 3,   ///< credentials or configuration missing, unreadable or refused
  kIo = 4,             ///< a local file could not be read or written; no output published
  kListingFailed = 5,  ///< listing the bucket failed (network, server); no output published
  kInternal = 10,      ///< a bug
  kInterrupted = 130,  ///< SIGINT (143 for SIGTERM: 128 + the signal)
};

constexpr int exit_code_for(ErrorKind k) noexcept {
  switch (k) {
    case ErrorKind::kUsage:
    case ErrorKind::kInvalidInput:
      return kUsage;
    case ErrorKind::kConfig:
    case ErrorKind::kAuth:
    case ErrorKind::kPermissionDenied:
      return kAuthOrConfig;
    case ErrorKind::kIo:
      return kIo;
    case ErrorKind::kNetwork:
    case ErrorKind::kProtocol:
    case ErrorKind::kNotFound:
    case ErrorKind::kUnavailable:
      return kListingFailed;
    case ErrorKind::kInternal:
      return kInternal;
    case ErrorKind::kCancelled:
      return kInterrupted;
  }
  return kInternal;
}

/// A credential source that could not give credentials (an STS, metadata or token endpoint
/// down or answering garbage, a credential_process failing): the job cannot start, whatever
/// the transport's error kind, so it is a credentials error (exit 3, kAuthOrConfig) — not a
/// listing failure (5), which would send the user looking at the bucket. The message, which
/// names the source, is kept; a cancel and a usage error keep their kinds.
inline Error as_credentials_error(Error e) {
  switch (e.kind) {
    case ErrorKind::kCancelled:
    case ErrorKind::kUsage:
    case ErrorKind::kInvalidInput:
    case ErrorKind::kInternal:
      return e;
    default:
      e.kind = ErrorKind::kAuth;
      return e;
  }
}

}  // namespace presign::app
