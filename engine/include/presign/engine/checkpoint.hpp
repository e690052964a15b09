#pragma once
/// Crash-safe progress records for `--checkpoint FILE` / `--resume`.
///
/// The file holds two fixed-size slots written alternately (pwrite + fdatasync). Each slot
/// carries a generation number and a SHA-256 over its content, so a slot torn by a crash is
/// detected and the other, older one is used. The output data a checkpoint refers to is
/// fdatasync'ed *before* the checkpoint is written, so a valid checkpoint never points past
/// durable output. On resume the temporary output is truncated to `output_bytes` and the
/// source continues from `source_position`: the final file is byte-identical to a run that
/// was never interrupted (the signing time is part of the checkpoint).

#include "presign/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace presign::engine {

struct CheckpointState {
  std::uint64_t generation = 0;
  std::string fingerprint;         ///< hex SHA-256 of the job's parameters; resume must match
  std::int64_t signing_time = 0;   ///< seconds since the epoch, fixed for the whole job
  std::string part_path;           ///< the temporary output being built
  std::uint64_t output_bytes = 0;  ///< durable length of part_path
  std::uint64_t next_seq = 0;      ///< first batch not yet in the output
  std::uint64_t objects = 0;       ///< objects written so far
  std::uint64_t errors = 0;        ///< failed objects so far
  bool any_record = false;         ///< whether a record was written (labelbox separators)
  std::string source_position;     ///< opaque resume point of the source after next_seq - 1
  bool complete = false;           ///< the output was published; nothing to resume
};

/// Reads the newest valid slot. nullopt when the file does not exist; an Error when it
/// exists but no slot is valid (names the file; never guesses).
Result<std::optional<CheckpointState>> load_checkpoint(std::string const& path);

/// Where a new checkpoint is built until its first record is durable: `PATH.new`.
std::string checkpoint_temp_path(std::string const& path);

/// Writes checkpoints to one file, alternating slots. Not thread-safe (the writer owns it).
/// `open` takes an exclusive lock (flock) held until destruction: a second writer of the same
/// checkpoint is refused with ErrorKind::kUsage. A checkpoint that does not exist yet appears
/// under its name only once its first record is durable (built as `checkpoint_temp_path`).
class CheckpointWriter {
 public:
  static Result<CheckpointWriter> open(std::string const& path);
  CheckpointWriter(CheckpointWriter&&) noexcept;
  CheckpointWriter& operator=(CheckpointWriter&&) noexcept;
  ~CheckpointWriter();

  /// Durably records `state` (its generation is set to the next number).
  Result<void> write(CheckpointState& state);
  /// Deletes the checkpoint file (after the job completed and the output is published).
  Result<void> remove();

 private:
  CheckpointWriter(int fd, std::string path, std::uint64_t generation, bool unpublished)
      : fd_(fd), path_(std::move(path)), generation_(generation), unpublished_(unpublished) {}
  int fd_ = -1;
  std::string path_;
  std::uint64_t generation_ = 0;
  bool unpublished_ = false;  ///< still under checkpoint_temp_path: no record written yet
};

/// Size of one slot; a source position (e.g. a continuation token) must fit with the rest.
inline constexpr std::size_t kCheckpointSlotBytes = 16384;

}  // namespace presign::engine
