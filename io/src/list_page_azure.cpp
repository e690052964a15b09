// Azure Blob "List Blobs" response (`EnumerationResults`), as documented in the Blob service
// REST reference ("List Blobs", response body), service versions up to 2026-02-06.
//
// Blob names with characters XML cannot carry (U+FFFE, U+FFFF) arrive percent-encoded with
// `<Name Encoded="true">` (RFC 3986 escapes: '+' stays '+'); those are decoded in place right
// after the name is read.

#include "list_page_xml.hpp"
#include "presign/io/list_page.hpp"
#include "presign/core/utf8.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace presign::io {
namespace {

using detail::excerpt;
using detail::XmlElement;
using detail::XmlReader;

constexpr std::string_view kWhat = "Azure List Blobs page";

bool once(XmlReader& r, XmlElement const& e, bool& seen) {
  if (seen) return r.fail(e.offset, "duplicate <" + excerpt(e.name) + ">");
  seen = true;
  return true;
}

// Reads a name-like element (Name, Prefix) appending its decoded value to `out` from
// `out.size()` on, honouring Encoded="true".
bool read_name(XmlReader& r, XmlElement const& e, std::string& out, std::string& scratch) {
  scratch.clear();
  bool found = false;
  if (!r.attr(e, "Encoded", scratch, found)) return false;
  bool encoded = false;
  if (found) {
    if (scratch == "true") {
      encoded = true;
    } else if (scratch != "false") {
      return r.fail(e.offset,
                    "Encoded attribute is neither true nor false: '" + excerpt(scratch) + "'");
    }
  }
  std::size_t const begin = out.size();
  if (!r.read_text(e, out)) return false;
  if (!encoded) return true;
  std::size_t bad = 0;
  std::size_t n = detail::url_decode_to(out.data() + begin, out.size() - begin, out.data() + begin,
                                        /*plus_is_space=*/false, bad);
  if (n == std::string_view::npos) {
    return r.fail(e.offset, "malformed %-escape in <" + excerpt(e.name) + " Encoded=\"true\">: '" +
                                excerpt(std::string_view(out).substr(begin + bad, 3)) + "'");
  }
  out.resize(begin + n);
  if (find_invalid_utf8_or_nul(std::string_view(out).substr(begin)) != n) {
    return r.fail(e.offset, "<" + excerpt(e.name) + "> is not UTF-8 (or holds NUL) after decoding");
  }
  return true;
}

bool read_number(XmlReader& r, XmlElement const& e, std::string& scratch, std::uint64_t max,
                 std::uint64_t& value) {
  scratch.clear();
  if (!r.read_text(e, scratch)) return false;
  if (!detail::parse_decimal(scratch, max, value)) {
    return r.fail(e.offset, "<" + excerpt(e.name) + "> is not a decimal number up to " +
                                std::to_string(max) + ": '" + excerpt(scratch) + "'");
  }
  return true;
}

bool read_span(XmlReader& r, XmlElement const& e, std::string& text, ByteSpan& span) {
  span.offset = text.size();
  if (!r.read_text(e, text)) return false;
  span.size = text.size() - span.offset;
  return true;
}

bool read_properties(XmlReader& r, XmlElement const& props, ListPage& page, ListedObject& obj,
                     std::string& scratch) {
  bool length = false;
  bool modified = false;
  bool etag = false;
  XmlElement c;
  while (r.next_child(props, c)) {
    bool ok = true;
    if (c.name == "Content-Length") {
      ok = once(r, c, length) &&
           read_number(r, c, scratch, std::numeric_limits<std::uint64_t>::max(), obj.size);
    } else if (c.name == "Last-Modified") {
      ok = once(r, c, modified) && read_span(r, c, page.text, obj.last_modified);
    } else if (c.name == "Etag") {
      ok = once(r, c, etag) && read_span(r, c, page.text, obj.etag);
    } else {
      ok = r.skip(c);  // Creation-Time, Content-Type, BlobType, AccessTier, LeaseState, ...
    }
    if (!ok) return false;
  }
  if (r.failed()) return false;
  if (!length) return r.fail(props.offset, "<Properties> without <Content-Length>");
  return true;
}

bool read_blob(XmlReader& r, XmlElement const& blob, ListPage& page, std::string& key_bytes,
               std::string& scratch) {
  ListedObject obj;
  bool name = false;
  bool props = false;
  bool snapshot = false;
  bool version_id = false;
  ByteSpan snapshot_span;
  ByteSpan version_span;
  XmlElement c;
  while (r.next_child(blob, c)) {
    bool ok = true;
    if (c.name == "Name") {
      obj.key.offset = key_bytes.size();
      ok = once(r, c, name) && read_name(r, c, key_bytes, scratch);
      obj.key.size = key_bytes.size() - obj.key.offset;
    } else if (c.name == "Properties") {
      ok = once(r, c, props) && read_properties(r, c, page, obj, scratch);
    } else if (c.name == "Snapshot") {
      ok = once(r, c, snapshot) && read_span(r, c, page.text, snapshot_span);
    } else if (c.name == "VersionId") {
      ok = once(r, c, version_id) && read_span(r, c, page.text, version_span);
    } else {
      ok = r.skip(c);  // Deleted, IsCurrentVersion, Metadata, Tags, OrMetadata, ...
    }
    if (!ok) return false;
  }
  if (r.failed()) return false;
  if (!name) return r.fail(blob.offset, "<Blob> without a <Name>");
  if (!props) return r.fail(blob.offset, "<Blob> without <Properties>");
  // A snapshot names one exact state of the blob; otherwise the version id, when listed.
  obj.version = snapshot_span.size != 0 ? snapshot_span : version_span;
  page.objects.push_back(obj);
  return true;
}

bool read_blob_prefix(XmlReader& r, XmlElement const& bp, ListPage& page, std::string& scratch) {
  bool name = false;
  XmlElement c;
  while (r.next_child(bp, c)) {
    if (c.name == "Name") {
      ByteSpan span;
      span.offset = page.text.size();
      if (!once(r, c, name) || !read_name(r, c, page.text, scratch)) return false;
      span.size = page.text.size() - span.offset;
      page.common_prefixes.push_back(span);
    } else if (!r.skip(c)) {
      return false;
    }
  }
  if (r.failed()) return false;
  if (!name) return r.fail(bp.offset, "<BlobPrefix> without a <Name>");
  return true;
}

bool read_blobs(XmlReader& r, XmlElement const& blobs, ListPage& page, std::string& key_bytes,
                std::string& scratch) {
  XmlElement c;
  while (r.next_child(blobs, c)) {
    bool ok = true;
    if (c.name == "Blob") {
      ok = read_blob(r, c, page, key_bytes, scratch);
    } else if (c.name == "BlobPrefix") {
      ok = read_blob_prefix(r, c, page, scratch);
    } else {
      ok = r.skip(c);
    }
    if (!ok) return false;
  }
  return !r.failed();
}

bool read_enumeration_results(XmlReader& r, XmlElement const& root, ListPage& page,
                              std::string& key_bytes, std::string& scratch) {
  bool found = false;
  if (!r.attr(root, "ContainerName", page.bucket, found)) return false;
  bool prefix = false;
  bool marker = false;
  bool max_results = false;
  bool delimiter = false;
  bool blobs = false;
  bool next_marker = false;
  XmlElement c;
  while (r.next_child(root, c)) {
    bool ok = true;
    std::string_view n = c.name;
    if (n == "Blobs") {
      ok = once(r, c, blobs) && read_blobs(r, c, page, key_bytes, scratch);
    } else if (n == "Prefix") {
      page.prefix_echoed = true;
      ok = once(r, c, prefix) && read_name(r, c, page.echoed_prefix, scratch);
    } else if (n == "Marker") {
      ok = once(r, c, marker) && r.read_text(c, page.echoed_token);
    } else if (n == "MaxResults") {
      std::uint64_t v = 0;
      ok = once(r, c, max_results) &&
           read_number(r, c, scratch, std::numeric_limits<std::int64_t>::max(), v);
      page.max_keys = static_cast<std::int64_t>(v);
    } else if (n == "Delimiter") {
      page.delimiter_echoed = true;
      ok = once(r, c, delimiter) && r.read_text(c, page.echoed_delimiter);
    } else if (n == "NextMarker") {
      ok = once(r, c, next_marker) && r.read_text(c, page.next_token);
    } else {
      ok = r.skip(c);
    }
    if (!ok) return false;
  }
  if (r.failed() || !r.finish()) return false;
  if (!blobs) return r.fail(root.offset, "<Blobs> is missing");
  // The service always writes NextMarker (empty, `<NextMarker />`, on the last page). A page
  // without it may have lost the element that says whether more follow (the rustfs#1596 /
  // ozone#10668 class of bug), so it is refused rather than read as the last page.
  if (!next_marker) return r.fail(root.offset, "<NextMarker> is missing");
  page.truncated = !page.next_token.empty();
  return true;
}

}  // namespace

Result<void> ListPageParser::parse_azure(std::string_view body, ListPage& page,
                                         std::string& key_bytes) {
  Impl& im = *impl_;
  page.clear();
  return detail::parse_xml_listing(body, im.stack, page, key_bytes, kWhat, "EnumerationResults",
                                   "Azure", [&](XmlReader& r, XmlElement const& root) {
                                     return read_enumeration_results(r, root, page, key_bytes,
                                                                     im.value);
                                   });
}

}  // namespace presign::io
