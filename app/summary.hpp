#pragma once
/// `--summary FILE`: a JSON record of one `presign sign` run, written on success and on
/// failure (atomically: a temporary file beside it, renamed into place).

#include "sign_command.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/pipeline.hpp"

#include <optional>
#include <string>

namespace presign::app {

/// What a run reports, filled as the job gets along: a failure before the pipeline leaves the
/// counts at zero.
struct JobReport {
  engine::RunStats stats;
  std::optional<SigningTime> signing_time;
  std::optional<SigningTime> expires_at;
  std::optional<Error> error;  ///< the failure the run reported (none for ok/partial)
};

/// Refuses, before any work, a summary path that could not be written at the end: a
/// directory (kUsage) or a file in a missing or unwritable directory (kIo, with the reason).
/// Creates and removes a temporary file beside `path`.
Result<void> check_summary_path(std::string const& path);

/// Writes the summary of a run that ends with `exit_code` (schema in README.md).
Result<void> write_summary(std::string const& path, JobReport const& report, SignOptions const& o,
                           int exit_code);

}  // namespace presign::app
