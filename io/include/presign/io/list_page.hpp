#pragma once
/// Parsers for one page of a bucket listing: S3 ListObjectsV2 (XML), Azure List Blobs (XML)
/// and GCS objects.list (JSON), plus the error bodies the three services send instead.
///
/// Contract shared by every parser:
/// - The body is untrusted. Any malformation (truncated or unbalanced document, unknown or
///   out-of-range entity, bad %-escape, invalid UTF-8, a missing required element, a duplicate
///   element, a number that overflows, `IsTruncated=true` without a token, a DOCTYPE or
///   ENTITY declaration) yields an `Error` of kind `ErrorKind::kProtocol` whose `detail` says
///   what was wrong and at which byte offset of the body. A parser never returns a page that
///   is shorter than the document, and never crashes (all four parsers are fuzzed, see
///   tests/fuzz/).
/// - DOCTYPE and ENTITY declarations are refused, never expanded (docs/RELIABILITY.md §5).
/// - Keys are returned as exact bytes: XML entities and, where the document says so, URL
///   escapes are decoded; nothing is trimmed or normalised.
/// - Keys are *appended* to a caller-owned byte buffer (typically `Batch::data`), and each
///   `ListedObject` records the key's offset and length in it. Offsets, unlike views, survive
///   the buffer growing. On error the buffer is cut back to its size on entry, and `page` is
///   left cleared.
/// - Nothing is allocated per key once the page, the key buffer and the parser are warm: every
///   buffer keeps its capacity across pages.
///
/// A `ListPageParser` is not thread-safe; give each listing thread its own.

#include "presign/core/error.hpp"
#include "presign/io/source.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace presign::io {

/// A byte range inside a buffer that may still grow (offset + length, not a view).
struct ByteSpan {
  std::size_t offset = 0;
  std::size_t size = 0;

  /// The bytes of this span in `buf`. `buf` must be the buffer the span was recorded in.
  [[nodiscard]] std::string_view in(std::string_view buf) const noexcept {
    return buf.substr(offset, size);
  }
};

/// One object of a listing page.
struct ListedObject {
  ByteSpan key;            ///< in the key buffer given to the parser; decoded, exact bytes
  std::uint64_t size = 0;  ///< bytes (S3 Size, Azure Content-Length, GCS size)
  ByteSpan last_modified;  ///< in `ListPage::text`, as the service wrote it (ISO 8601 or RFC 1123)
  ByteSpan etag;           ///< in `ListPage::text`, as given (S3 keeps the quotes); may be empty
  ByteSpan version;        ///< in `ListPage::text`: Azure Snapshot (else VersionId), GCS
                           ///< generation; empty for S3 ListObjectsV2
};

/// Which service's listing format a body is in.
enum class ListFormat : std::uint8_t {
  kS3ListObjectsV2,  ///< `ListBucketResult`
  kAzureListBlobs,   ///< `EnumerationResults`
  kGcsObjectsList,   ///< `{"kind":"storage#objects", ...}`
};

/// One parsed listing page. Reuse one per listing thread; `clear` keeps capacities.
struct ListPage {
  std::vector<ListedObject> objects;      ///< in document order
  std::vector<ByteSpan> common_prefixes;  ///< in `text` (S3 CommonPrefixes, Azure BlobPrefix,
                                          ///< GCS prefixes), decoded like keys
  std::string text;                       ///< bytes the non-key spans point into

  /// Where the next page starts: S3 NextContinuationToken, Azure NextMarker, GCS
  /// nextPageToken. Empty exactly when `truncated` is false.
  std::string next_token;
  /// More pages follow. S3: IsTruncated (required; true without a token is an error).
  /// Azure and GCS: a non-empty next token. An empty page may still be truncated.
  bool truncated = false;

  /// What the service echoed back, for the pagination checks of docs/RELIABILITY.md §1.5 (every
  /// page must repeat the request's prefix). `*_echoed` tells "absent" from "empty".
  bool prefix_echoed = false;
  std::string echoed_prefix;  ///< S3 Prefix (URL-decoded if encoded), Azure Prefix
  bool delimiter_echoed = false;
  std::string echoed_delimiter;    ///< S3/Azure Delimiter
  std::string echoed_token;        ///< S3 ContinuationToken, Azure Marker; empty when absent
  std::string echoed_start_after;  ///< S3 StartAfter (URL-decoded if encoded)
  std::string bucket;              ///< S3 Name, Azure ContainerName attribute; GCS: empty
  std::int64_t max_keys = -1;      ///< S3 MaxKeys, Azure MaxResults; -1 when absent
  std::int64_t key_count = -1;     ///< S3 KeyCount; -1 when absent
  bool url_encoded = false;        ///< S3 EncodingType=url was present and has been decoded

  [[nodiscard]] std::string_view text_of(ByteSpan s) const noexcept { return s.in(text); }

  /// Empties the page, keeping every buffer's capacity.
  void clear() noexcept;
};

/// The fields of a service error body (`<Error><Code>…` or `{"error":{…}}`).
/// Only these fields are read. S3's `StringToSign`/`CanonicalRequest` echo are ignored on
/// purpose, so nothing derived from a secret lands in logs.
struct ProviderError {
  std::string code;        ///< "SlowDown", "AuthorizationFailure"; GCS: errors[0].reason, else
                           ///< the numeric code as text
  std::string message;     ///< human-readable, as given (cut to 1,024 bytes)
  std::string request_id;  ///< S3 RequestId; empty elsewhere
  int status = 0;          ///< GCS error.code (the HTTP status it reports); 0 for XML bodies
};

/// Turns a parsed service error into an `Error` carrying `http_status` and the provider code.
/// `kind` is chosen by the caller (retry policy, docs/RELIABILITY.md §1), not here.
Error to_error(ProviderError const& e, ErrorKind kind, int http_status);

/// Parses listing pages. Holds the scratch buffers (entity and URL decoding, the simdjson
/// parser) that make the steady state allocation-free.
class ListPageParser {
 public:
  ListPageParser();
  ~ListPageParser();
  ListPageParser(ListPageParser&&) noexcept;
  ListPageParser& operator=(ListPageParser&&) noexcept;
  ListPageParser(ListPageParser const&) = delete;
  ListPageParser& operator=(ListPageParser const&) = delete;

  /// S3 ListObjectsV2 `ListBucketResult`. With `<EncodingType>url</EncodingType>`, Key,
  /// Prefix, StartAfter, Delimiter and CommonPrefixes/Prefix are URL-decoded ('+' is a
  /// space, as S3 form-encodes them). Required: the root, IsTruncated, and Key and Size in
  /// every Contents. KeyCount, when present, must match the page (see list_page_s3.cpp).
  /// A root of `<Error>` is reported as an error carrying the body's Code.
  Result<void> parse_s3(std::string_view body, ListPage& page, std::string& key_bytes);

  /// Azure List Blobs `EnumerationResults`. `<Name Encoded="true">` is percent-decoded
  /// (RFC 3986; '+' stays '+'). Required: the root, Blobs, and Name and Content-Length in
  /// every Blob.
  Result<void> parse_azure(std::string_view body, ListPage& page, std::string& key_bytes);

  /// GCS JSON API objects.list. Required: `name` and `size` (a decimal string, or an unsigned
  /// JSON number) in every item; `kind`, when present, must be "storage#objects".
  Result<void> parse_gcs(std::string_view body, ListPage& page, std::string& key_bytes);

  /// Dispatches on `format`.
  Result<void> parse(ListFormat format, std::string_view body, ListPage& page,
                     std::string& key_bytes);

  /// `<Error><Code/><Message/><RequestId/></Error>` (S3 and Azure share the shape).
  Result<ProviderError> parse_xml_error(std::string_view body);
  /// `{"error":{"code":403,"message":"…","errors":[{"reason":"forbidden",…}]}}`.
  Result<ProviderError> parse_gcs_error(std::string_view body);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Appends the page's objects to `batch.objects` as views into `batch.data`. The page must
/// have been parsed with `batch.data` as its key buffer, and `batch.data` must not change
/// afterwards (the views point into it). Allocates only when `batch.objects` grows.
void add_to_batch(ListPage const& page, Batch& batch);

/// Stages of the parsers, public for tests and fuzzing (aws-c-auth `private/` idea).
namespace detail {

/// Appends XML character data `raw` (found at document offset `offset`) to `out`, decoding
/// the five predefined entities and character references (to UTF-8). Refuses an unknown
/// entity, a reference to U+0000, a surrogate or a value above U+10FFFF, and a raw '\r'.
/// On failure `error`/`error_offset` say why and where; `out` may hold a partial value.
bool decode_xml_text(std::string_view raw, std::size_t offset, std::string& out, std::string& error,
                     std::size_t& error_offset);

/// Decodes `%XX` escapes (either hex case) and, with `plus_is_space`, '+' as a space, from
/// `in[0, n)` to `out`. `out` may be `in` or point before it in the same buffer: the write
/// position never passes the read position. Returns the decoded length, or `npos` with
/// `bad` = offset in `in` of the malformed escape. noexcept, no allocation.
std::size_t url_decode_to(char const* in, std::size_t n, char* out, bool plus_is_space,
                          std::size_t& bad) noexcept;

}  // namespace detail
}  // namespace presign::io
