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
/// | ndjson   | {"key":K,"url":U,"expires_at":"RFC3339"}\n                 | {"key":K,"error":E}\n
/// | | labelbox | {"row_data":U,"global_key":G[,"media_type":M]} in one array | left out (stderr) |
/// | csv      | U,K\r\n under the header url,external_id (RFC 4180)         | left out (stderr) |
/// | tsv      | K\tU\n, K with \\ \t \n \r escaped as backslash sequences   | left out (stderr) |
/// | urls     | U\n                                                        | left out (stderr)    |
///
/// ndjson keys that are not valid UTF-8 carry U+FFFD in "key" and the exact bytes in an extra
/// "key_base64" field, so the output is valid JSON whatever the bytes. Labelbox records carry
/// no field the Labelbox SDK would refuse: G is the --global-key template rendered for the
/// object (default {key}), and an object whose global key Labelbox would reject (a key that is
/// not UTF-8, more than kLabelboxMaxGlobalKeyChars characters) is a failed object instead.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace presign::io {

enum class Format : std::uint8_t { kNdjson, kLabelbox, kCsv, kTsv, kUrls };

Result<Format> parse_format(std::string_view name);
std::string_view format_name(Format f) noexcept;

/// Labelbox's limits on a data row's global key
/// (https://docs.labelbox.com/reference/data-row-global-keys): at most this many characters, unique
/// across the whole organisation (not per dataset).
inline constexpr std::size_t kLabelboxMaxGlobalKeyChars = 200;

/// A --global-key template, parsed once per job: literal text and the placeholders {key}
/// (the object key), {bucket} (bucket, or Azure container) and {uri} (the object's full URI,
/// s3://BUCKET/KEY, gs://BUCKET/KEY, az://ACCOUNT/CONTAINER/KEY); "{{" and "}}" are literal
/// braces. The default template is "{key}".
class GlobalKeyTemplate {
 public:
  enum class Part : std::uint8_t { kText, kKey, kBucket, kUri };
  struct Piece {
    Part part = Part::kKey;
    std::string text;  ///< the literal text of a kText piece
  };

  GlobalKeyTemplate();  ///< "{key}"
  /// Usage errors: an unknown placeholder, an unbalanced brace, text that is not UTF-8, or a
  /// template with neither {key} nor {uri} (every object would get the same global key).
  static Result<GlobalKeyTemplate> parse(std::string_view text);
  [[nodiscard]] std::span<Piece const> pieces() const noexcept { return pieces_; }

 private:
  std::vector<Piece> pieces_;
};

/// Where a job's objects live, for the {bucket} and {uri} placeholders.
struct ObjectLocation {
  std::string bucket;      ///< {bucket}: the S3 or GCS bucket, the Azure container
  std::string uri_prefix;  ///< {uri} is this followed by the key: "s3://b/", "az://acct/cont/"
};

/// What `labelbox` records carry besides the URL.
struct LabelboxOptions {
  GlobalKeyTemplate global_key;
  std::string media_type;  ///< as written (see parse_labelbox_media_type); empty: no field
  ObjectLocation location;
};

/// A --media-type value, case-insensitive, as Labelbox spells it ("image" -> "IMAGE",
/// "document" -> "PDF"). Unknown names are usage errors listing the accepted ones.
Result<std::string> parse_labelbox_media_type(std::string_view name);
/// Checks what a template cannot check alone: the bucket and URI are UTF-8, and the fixed
/// part of the global key leaves room for a key within Labelbox's length limit.
Result<void> check_labelbox_options(LabelboxOptions const& options);

/// Formats records of one job. Immutable and shareable between threads.
class RecordFormatter {
 public:
  /// `expires_at` is the RFC 3339 expiry written in ndjson records; `labelbox` applies to
  /// the labelbox format only.
  RecordFormatter(Format format, std::string expires_at, LabelboxOptions const& labelbox = {});

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
  /// Whether this format can refuse an object that signed fine (see reject_reason).
  [[nodiscard]] bool may_reject() const noexcept { return format_ == Format::kLabelbox; }
  /// Why `object` can have no record in this format (empty: it can). Labelbox: a key that is
  /// not UTF-8 (when the global key holds it), or a global key longer than Labelbox allows.
  /// Allocates nothing when the object is fine.
  [[nodiscard]] std::string reject_reason(ObjectRef const& object) const;

 private:
  // The global key template with {bucket} and the URI prefix of {uri} resolved: runs of
  // JSON-escaped text and the places the key goes.
  struct KeyPiece {
    bool key = false;
    std::string text;  ///< escaped text (when !key)
  };
  void append_global_key(std::string& out, std::string_view key) const;

  Format format_;
  std::string expires_at_;
  std::vector<KeyPiece> global_key_;
  std::size_t global_key_fixed_chars_ = 0;  ///< characters of the global key besides keys
  std::size_t global_key_key_uses_ = 1;     ///< how many times the key appears in it
  std::string labelbox_tail_;  ///< what follows the global key: '"}' or with media_type
};

/// Appends `s` as the inside of a JSON string (no quotes). Invalid UTF-8 sequences become
/// U+FFFD. Returns false when any replacement was made.
bool append_json_escaped(std::string& out, std::string_view s);

}  // namespace presign::io
