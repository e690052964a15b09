#pragma once
/// Output formats: how one signed object becomes bytes.
///
/// A record is written around the URL: `begin` writes what precedes the URL, the signer
/// appends the URL itself, `end` writes what follows. URLs need no escaping in any format
/// (every byte outside the unreserved set is percent-encoded), so the URL is written once,
/// straight into the output buffer. Keys are escaped per format. All functions append to
/// `out`; none allocates once `out` has capacity.
///
/// | format   | record                                                     | failed object        |
/// |----------|------------------------------------------------------------|----------------------|
/// | ndjson   | {"key":K,"url":U,"expires_at":"RFC3339"}\n                 | {"key":K,"error":E}\n |
/// | labelbox | {"row_data":U,"global_key":K} in one JSON array             | left out (stderr)    |
/// | csv      | U,K\r\n under the header url,external_id (RFC 4180)         | left out (stderr)    |
/// | tsv      | K\tU\n, K with \\ \t \n \r escaped as backslash sequences   | left out (stderr)    |
/// | urls     | U\n                                                        | left out (stderr)    |
///
/// JSON keys that are not valid UTF-8 carry U+FFFD in "key"/"global_key" and the exact
/// bytes in an extra "key_base64" field, so the output is valid JSON whatever the bytes.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace presign::io {

enum class Format : std::uint8_t { kNdjson, kLabelbox, kCsv, kTsv, kUrls };

Result<Format> parse_format(std::string_view name);
std::string_view format_name(Format f) noexcept;

/// Formats records of one job. Immutable and shareable between threads.
class RecordFormatter {
 public:
  /// `expires_at` is the RFC 3339 expiry written in ndjson records.
  RecordFormatter(Format format, std::string expires_at);

  [[nodiscard]] Format format() const noexcept { return format_; }

  /// Bytes before the first record (labelbox "[\n", csv header) and after the last.
  [[nodiscard]] std::string header() const;
  [[nodiscard]] std::string footer(bool any_record) const;
  /// Separator written between two records (labelbox ",\n"; empty otherwise).
  [[nodiscard]] std::string_view separator() const noexcept;

  void begin(std::string& out, ObjectRef const& object) const;
  void end(std::string& out, ObjectRef const& object) const;
  /// Whether failed objects get an in-band record in this format.
  [[nodiscard]] bool has_error_records() const noexcept { return format_ == Format::kNdjson; }
  void error_record(std::string& out, ObjectRef const& object, std::string_view reason) const;

 private:
  Format format_;
  std::string expires_at_;
};

/// Appends `s` as the inside of a JSON string (no quotes). Invalid UTF-8 sequences become
/// U+FFFD. Returns false when any replacement was made.
bool append_json_escaped(std::string& out, std::string_view s);
/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;
/// Appends a human-readable, single-line form of a key for messages (C-style escapes).
void append_printable(std::string& out, std::string_view s);

}  // namespace presign::io
