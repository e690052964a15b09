#pragma once
/// What `presign` writes on stderr while it works, besides errors: the progress line (on a
/// terminal only, unless --quiet) and the reports of listing retries (unless --quiet).
///
/// One status line is shared by the whole process: `presign sign`'s progress ticker, `presign
/// ls`'s loop and the retry reporter (called on the listing's prefetch thread) all draw it
/// under one mutex. A drawn line ends with "\r…ESC[K" and no newline; `end_progress_line`
/// (called by `fail` before an error message) ends it so the message gets a line of its own.

#include "presign/engine/pipeline.hpp"
#include "presign/io/retry.hpp"

#include <cstdint>
#include <string>

namespace presign::app {

/// The retry observer of a listing (page fetches, GCS token requests), or an empty one when
/// `quiet`. On a terminal (stderr) a retry shows in the status line, e.g. "  retrying page 3
/// (2/8): connection refused", until the call succeeds; otherwise each retry is one log line:
/// "presign: page 3: connection refused; retry 2/8 in 1.6 s".
io::RetryObserver make_retry_reporter(bool quiet);

/// The log line of one retry, without the newline (see make_retry_reporter).
std::string retry_log_line(io::RetryEvent const& event);

/// `presign sign`'s progress line (engine::PipelineOptions::on_progress): elapsed time,
/// objects, errors, rate, output size, and percent and ETA when the input's size is known
/// (a key file). Cheap: one snprintf and one write a call.
void print_progress(engine::Progress const& p);

/// `presign ls`'s progress line: objects listed, elapsed time, rate; `final` ends the line.
void print_ls_progress(std::uint64_t objects, double seconds, bool final);

/// Ends the status line with a newline if one is on screen (no-op otherwise).
void end_progress_line();

}  // namespace presign::app
