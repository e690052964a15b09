#pragma once
/// A small, strict, non-validating XML pull reader for the two listing formats (S3
/// ListBucketResult, Azure EnumerationResults) and their `<Error>` bodies. Internal to
/// presign::io; the public surface is presign/io/list_page.hpp.
///
/// Why hand-written and not pugixml: measured in bench/io/list_page_bench.cpp (numbers at the
/// top of that file). The reader never builds a tree: the parsers walk the document once and
/// decode text straight into the caller's buffers.
///
/// What it accepts: XML 1.0 documents in UTF-8 (a BOM and an XML declaration are allowed;
/// a declared encoding other than UTF-8 is refused), elements with attributes, text, CDATA,
/// comments and processing instructions. The five predefined entities and character
/// references are decoded; a reference to any code point except U+0000, the surrogates and
/// values above U+10FFFF is accepted, because S3 writes control characters in keys as `&#x3;`
/// (docs/RELIABILITY.md §1.4).
///
/// What it refuses, with the byte offset: invalid UTF-8 and NUL anywhere; `<!DOCTYPE`,
/// `<!ENTITY` and any other declaration (never expanded, docs/RELIABILITY.md §5); an unknown
/// entity; mismatched or missing end tags; text where elements are expected; elements where text is
/// expected; a raw carriage return inside a value that is read (XML would turn it into a line
/// feed, so the key's bytes would be ambiguous: a server must write `&#13;`); content after the
/// root element; nesting deeper than `kMaxDepth`.
///
/// Not implemented on purpose: namespaces (element names are compared as written, so
/// `<s3:Key>` is an unknown element), DTD validation, attribute-value whitespace normalisation
/// (no attribute we read can carry whitespace).

#include "presign/io/list_page.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace presign::io::detail {

/// One start tag.
struct XmlElement {
  std::string_view name;
  std::string_view attrs;  ///< raw bytes between the name and `>` or `/>`, already checked
  std::size_t offset = 0;  ///< of its `<` in the document
  bool empty = false;      ///< written `<Name/>`: no content, no end tag
};

/// Reads one document. All positions in errors are byte offsets into `doc`.
/// `stack` is caller-owned scratch (kept warm across documents).
class XmlReader {
 public:
  static constexpr std::size_t kMaxDepth = 64;

  XmlReader(std::string_view doc, std::vector<std::string_view>& stack) noexcept;

  /// Checks the whole document for UTF-8 and NUL, reads the prolog (BOM, declaration,
  /// comments, PIs; refuses DOCTYPE) and the root start tag.
  bool open_root(XmlElement& root);
  /// The next child element of the innermost open element `parent`. Returns false either at
  /// `parent`'s end tag (consumed; `failed()` is false) or on an error.
  bool next_child(XmlElement const& parent, XmlElement& child);
  /// Reads the content of `e` (just returned by open_root/next_child) up to and including its
  /// end tag, appending the decoded text to `out`. Elements inside are an error.
  bool read_text(XmlElement const& e, std::string& out);
  /// Skips `e` and everything in it, still checking that it is well formed.
  bool skip(XmlElement const& e);
  /// After the root's end tag: only comments, PIs and whitespace may follow.
  bool finish();
  /// Looks up attribute `name` of `e` and appends its decoded value to `out`.
  bool attr(XmlElement const& e, std::string_view name, std::string& out, bool& found);

  /// Records an error (the first one wins) and returns false.
  bool fail(std::size_t offset, std::string what);
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] std::size_t error_offset() const noexcept { return error_offset_; }
  [[nodiscard]] std::string const& error() const noexcept { return error_; }
  [[nodiscard]] std::string_view doc() const noexcept { return doc_; }

 private:
  enum class Tok { kStart, kEnd, kText, kCdata };
  struct Token {
    Tok kind = Tok::kText;
    std::string_view text;   // kText, kCdata: raw bytes
    std::size_t offset = 0;  // of the token's first byte
  };

  // The next token; a start tag is written straight into `elem` (copying it afterwards cost a
  // store-forwarding stall per element, 15% of a page).
  bool step(Token& t, XmlElement& elem);
  bool parse_start_tag(std::size_t lt, XmlElement& e);
  bool parse_attributes(std::size_t lt, std::string_view name, std::size_t p, XmlElement& e);
  bool parse_end_tag(std::size_t lt);
  bool skip_comment(std::size_t lt);
  bool skip_pi(std::size_t lt);
  bool parse_declaration(std::size_t lt);
  bool refuse_declaration(std::size_t lt);
  bool skip_misc();
  bool check_text(std::string_view raw, std::size_t offset);
  bool expect_name(std::size_t& pos, std::string_view& name);

  std::string_view doc_;
  std::vector<std::string_view>& stack_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::size_t error_offset_ = 0;
  std::string error_;
};

/// A short, printable excerpt of `s` for error messages (non-printable bytes as \xNN).
std::string excerpt(std::string_view s, std::size_t max = 40);

/// Parses an unsigned decimal with optional surrounding XML whitespace; false on anything
/// else, or when the value exceeds `max`.
bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& value) noexcept;

/// Decodes the entity and character references of the text `raw` (at byte `offset` of its
/// document) into `out`; false with `error` and `error_offset` set otherwise, and for a raw
/// carriage return (ambiguous under XML line-end handling; S3 writes `&#13;`). xml_text.cpp.
bool decode_xml_text(std::string_view raw, std::size_t offset, std::string& out, std::string& error,
                     std::size_t& error_offset);
/// The same checks as `decode_xml_text` but the CR rule, decoding nothing (text skipped).
bool check_xml_text(std::string_view raw, std::size_t offset, std::string& error,
                    std::size_t& error_offset);

/// True if `b` is XML whitespace (space, tab, CR, LF).
constexpr bool is_xml_space(char b) noexcept {
  return b == ' ' || b == '\t' || b == '\n' || b == '\r';
}

/// The parsers' scratch state (kept warm across pages). The GCS part is defined in
/// list_page_gcs.cpp so that only that file includes simdjson.
struct GcsScratch;
struct GcsScratchDeleter {
  void operator()(GcsScratch* p) const noexcept;
};

}  // namespace presign::io::detail

namespace presign::io {

struct ListPageParser::Impl {
  std::vector<std::string_view> stack;     // XmlReader's open elements
  std::string value;                       // one text value (numbers, booleans, attributes)
  std::vector<std::size_t> key_origin;     // document offset of each key, for decoding errors
  std::vector<std::size_t> prefix_origin;  // same, for each common prefix
  std::unique_ptr<detail::GcsScratch, detail::GcsScratchDeleter> gcs;
};

namespace detail {

/// "<what>: <reason> at byte <offset>", kind kProtocol.
Error protocol_error(std::string_view what, std::size_t offset, std::string_view reason);

/// Reads Code, Message and RequestId from the children of an `<Error>` root, then finishes
/// the document. Code is required.
bool read_xml_error(XmlReader& r, XmlElement const& root, ProviderError& out);

/// URL-decodes `s` in place; false with `bad` set on a malformed escape or a result that is
/// not UTF-8 (or holds NUL).
bool url_decode_string(std::string& s, bool plus_is_space, std::size_t& bad);

/// What the S3 and Azure XML listing parsers share around their own root element: the body's
/// root must be `root_name`, read by `read_root(reader, root)` (false when it failed, the
/// reader holding why), or an `<Error>` document — a 200 with an error body, or an error body
/// handed to the wrong parser — which becomes that error, said to be `cloud`'s. On any failure
/// the page is cleared and `key_bytes` cut back to its size at the call.
template <class ReadRoot>
Result<void> parse_xml_listing(std::string_view body, std::vector<std::string_view>& stack,
                               ListPage& page, std::string& key_bytes, std::string_view what,
                               std::string_view root_name, std::string_view cloud,
                               ReadRoot&& read_root) {
  std::size_t const key_base = key_bytes.size();
  XmlReader r(body, stack);
  XmlElement root;
  if (r.open_root(root)) {
    if (root.name == root_name) {
      if (read_root(r, root)) return ok();
    } else if (root.name == "Error") {
      ProviderError pe;
      if (read_xml_error(r, root, pe)) {
        key_bytes.resize(key_base);
        page.clear();
        Error e = to_error(pe, ErrorKind::kProtocol, 0);
        e.detail = std::string(what) + ": the body is an " + std::string(cloud) +
                   " error, not a listing: " + e.detail;
        return e;
      }
    } else {
      r.fail(root.offset, "root element is <" + excerpt(root.name) + ">, expected <" +
                              std::string(root_name) + ">");
    }
  }
  key_bytes.resize(key_base);
  page.clear();
  return protocol_error(what, r.error_offset(), r.error());
}

}  // namespace detail
}  // namespace presign::io
