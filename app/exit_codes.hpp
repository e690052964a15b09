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

}  // namespace presign::app
