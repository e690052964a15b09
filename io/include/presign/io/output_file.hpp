#pragma once
/// Where records go: standard output, or a file published atomically.
///
/// A file is written as `.<name>.<random>.part` in the target's own directory (so the final
/// rename never crosses a device), mode 0600 because signed URLs are bearer credentials.
/// `commit` fsyncs the data, renames it over the target and fsyncs the directory, so after a
/// crash the target is either absent/old or complete. A sink destroyed without `commit`
/// removes its temporary file: a failed job never leaves a half file under the final name.

#include "presign/core/error.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace presign::io {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  /// Writes all of `data` (retrying short writes and EINTR). ENOSPC, EIO, EPIPE... are errors
  /// that name the destination and the reason.
  virtual Result<void> write(std::string_view data) = 0;
  /// Makes everything written so far durable (fdatasync) without publishing it; used before
  /// a checkpoint is recorded. A no-op for pipes and terminals.
  virtual Result<void> sync() = 0;
  /// Makes everything written durable and visible under the final name.
  virtual Result<void> commit() = 0;
  [[nodiscard]] virtual std::string const& name() const = 0;
  /// The temporary file being written ("" for fd sinks).
  [[nodiscard]] virtual std::string const& part_path() const = 0;
};

/// Standard output (or any inherited fd). `commit` flushes nothing: writes go straight to the
/// fd; it fsyncs when the fd is a regular file.
std::unique_ptr<OutputSink> make_fd_sink(int fd, std::string name);

/// The atomic file sink described above.
Result<std::unique_ptr<OutputSink>> make_atomic_file_sink(std::string const& path);

/// Where `--output PATH` goes. A regular file or a path that does not exist yet is published
/// atomically (above); through a symlink that resolves to a regular file, at the resolved
/// path, so the link stays. Anything else that is not a directory (a character device such as
/// /dev/null, a FIFO, a socket, or a symlink to one) is written in place, streaming: never
/// replaced, truncated or created.
struct OutputTarget {
  bool in_place = false;
  std::string path;  ///< where to write: `path`, or a symlink's resolved target
};
Result<OutputTarget> resolve_output_target(std::string const& path);

/// An in-place sink (see OutputTarget): opens `path` O_WRONLY without O_CREAT or O_TRUNC (a
/// FIFO waits for its reader) and writes straight to it; `commit` flushes nothing but a
/// regular file. The descriptor is closed with the sink.
Result<std::unique_ptr<OutputSink>> make_in_place_sink(std::string const& path);

/// A file sink whose temporary file has a fixed name (`part_path`), for checkpointed jobs: it
/// is created fresh, or — when `resume_bytes` is set — reopened and truncated to that many
/// bytes (what the last checkpoint recorded as durable). The temporary file is kept when the
/// sink is destroyed without commit, so a later `--resume` can continue it.
Result<std::unique_ptr<OutputSink>> make_resumable_file_sink(
    std::string const& path, std::string const& part_path,
    std::optional<std::uint64_t> resume_bytes);

/// Publishes a checkpointed job whose checkpoint says it is complete, after a crash between
/// that checkpoint and the end of the job: renames `part_path` (truncated to `bytes`) onto
/// `path` if the rename had not happened yet, or accepts an existing `path` of exactly
/// `bytes` bytes if it had. Idempotent; an error when neither file fits.
Result<void> finish_resumable_output(std::string const& path, std::string const& part_path,
                                     std::uint64_t bytes);

/// The fixed temporary name used for `path` by checkpointed jobs: `.NAME.presign-part` beside it.
std::string resumable_part_path(std::string const& path);

/// write(2) all of `data` to `fd`; shared by the sinks and the checkpoint writer.
Result<void> write_all(int fd, std::string_view data, std::string const& what);

}  // namespace presign::io
