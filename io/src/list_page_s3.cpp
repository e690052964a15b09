// S3 ListObjectsV2 response (`ListBucketResult`), as documented in the S3 API reference
// ("ListObjectsV2", response syntax) and the key-naming guide's XML section.
//
// One pass over the document with the strict pull reader (list_page_xml.hpp): keys are
// entity-decoded straight into the caller's key buffer. With EncodingType=url the keys are
// then URL-decoded in place, left to right (decoding only shrinks, so the write position never
// passes the read position). Doing it after the pass keeps the parser independent of where
// EncodingType sits in the document.

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

constexpr std::string_view kWhat = "S3 ListObjectsV2 page";

// Which unique children were seen (a second one is an error: a duplicated IsTruncated or
// token would make the page ambiguous).
enum Seen : std::uint32_t {
  kName = 1U << 0,
  kPrefix = 1U << 1,
  kKeyCount = 1U << 2,
  kMaxKeys = 1U << 3,
  kIsTruncated = 1U << 4,
  kNextToken = 1U << 5,
  kToken = 1U << 6,
  kStartAfter = 1U << 7,
  kEncodingType = 1U << 8,
  kDelimiter = 1U << 9,
};

enum ContentsSeen : std::uint32_t {
  kKey = 1U << 0,
  kSize = 1U << 1,
  kLastModified = 1U << 2,
  kETag = 1U << 3,
};

bool once(XmlReader& r, XmlElement const& e, std::uint32_t& seen, std::uint32_t bit) {
  if ((seen & bit) != 0) return r.fail(e.offset, "duplicate <" + excerpt(e.name) + ">");
  seen |= bit;
  return true;
}

// Reads a text child into `page.text` and returns its span.
bool read_span(XmlReader& r, XmlElement const& e, std::string& text, ByteSpan& span) {
  span.offset = text.size();
  if (!r.read_text(e, text)) return false;
  span.size = text.size() - span.offset;
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

bool read_bool(XmlReader& r, XmlElement const& e, std::string& scratch, bool& value) {
  scratch.clear();
  if (!r.read_text(e, scratch)) return false;
  std::string_view v = scratch;
  while (!v.empty() && detail::is_xml_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && detail::is_xml_space(v.back())) v.remove_suffix(1);
  // xsd:boolean lexical space (true, false, 1, 0), plus the capitalised forms some S3
  // look-alikes write.
  if (v == "true" || v == "1" || v == "True" || v == "TRUE") {
    value = true;
  } else if (v == "false" || v == "0" || v == "False" || v == "FALSE") {
    value = false;
  } else {
    return r.fail(e.offset, "<" + excerpt(e.name) + "> is not a boolean: '" + excerpt(v) + "'");
  }
  return true;
}

bool read_contents(XmlReader& r, XmlElement const& contents, ListPage& page, std::string& key_bytes,
                   ListPageParser::Impl& im) {
  ListedObject obj;
  std::uint32_t seen = 0;
  XmlElement c;
  while (r.next_child(contents, c)) {
    bool ok = true;
    if (c.name == "Key") {
      ok = once(r, c, seen, kKey);
      if (ok) {
        im.key_origin.push_back(c.offset);
        obj.key.offset = key_bytes.size();
        ok = r.read_text(c, key_bytes);
        obj.key.size = key_bytes.size() - obj.key.offset;
      }
    } else if (c.name == "Size") {
      ok = once(r, c, seen, kSize) &&
           read_number(r, c, im.value, std::numeric_limits<std::uint64_t>::max(), obj.size);
    } else if (c.name == "LastModified") {
      ok = once(r, c, seen, kLastModified) && read_span(r, c, page.text, obj.last_modified);
    } else if (c.name == "ETag") {
      ok = once(r, c, seen, kETag) && read_span(r, c, page.text, obj.etag);
    } else {
      ok = r.skip(c);  // StorageClass, Owner, ChecksumAlgorithm, RestoreStatus, ...
    }
    if (!ok) return false;
  }
  if (r.failed()) return false;
  if ((seen & kKey) == 0) return r.fail(contents.offset, "<Contents> without a <Key>");
  if ((seen & kSize) == 0) return r.fail(contents.offset, "<Contents> without a <Size>");
  page.objects.push_back(obj);
  return true;
}

bool read_common_prefixes(XmlReader& r, XmlElement const& cp, ListPage& page,
                          ListPageParser::Impl& im) {
  bool seen = false;
  XmlElement c;
  while (r.next_child(cp, c)) {
    if (c.name == "Prefix") {
      if (seen) return r.fail(c.offset, "duplicate <Prefix> in <CommonPrefixes>");
      seen = true;
      ByteSpan span;
      im.prefix_origin.push_back(c.offset);
      if (!read_span(r, c, page.text, span)) return false;
      page.common_prefixes.push_back(span);
    } else if (!r.skip(c)) {
      return false;
    }
  }
  if (r.failed()) return false;
  if (!seen) return r.fail(cp.offset, "<CommonPrefixes> without a <Prefix>");
  return true;
}

// EncodingType=url: S3 form-encodes Key, Prefix, StartAfter, Delimiter and CommonPrefixes'
// Prefix (a space arrives as '+', a real '+' as %2B; botocore decodes with unquote_plus).
bool url_decode_page(XmlReader& r, ListPage& page, std::string& key_bytes, std::size_t key_base,
                     ListPageParser::Impl& im, std::size_t prefix_at, std::size_t start_after_at,
                     std::size_t delimiter_at) {
  std::size_t w = key_base;
  for (std::size_t i = 0; i < page.objects.size(); ++i) {
    ByteSpan& k = page.objects[i].key;
    std::size_t bad = 0;
    std::size_t n = detail::url_decode_to(key_bytes.data() + k.offset, k.size, key_bytes.data() + w,
                                          /*plus_is_space=*/true, bad);
    if (n == std::string_view::npos) {
      return r.fail(im.key_origin[i],
                    "malformed %-escape in <Key> (EncodingType=url): '" +
                        excerpt(std::string_view(key_bytes).substr(k.offset + bad, 3)) + "'");
    }
    if (find_invalid_utf8_or_nul(std::string_view(key_bytes.data() + w, n)) != n) {
      return r.fail(im.key_origin[i], "<Key> is not UTF-8 (or holds NUL) after URL-decoding");
    }
    k = ByteSpan{w, n};
    w += n;
  }
  key_bytes.resize(w);

  for (std::size_t i = 0; i < page.common_prefixes.size(); ++i) {
    ByteSpan& p = page.common_prefixes[i];
    std::size_t bad = 0;
    std::size_t n = detail::url_decode_to(page.text.data() + p.offset, p.size,
                                          page.text.data() + p.offset, true, bad);
    if (n == std::string_view::npos ||
        find_invalid_utf8_or_nul(std::string_view(page.text.data() + p.offset, n)) != n) {
      return r.fail(im.prefix_origin[i],
                    "<CommonPrefixes><Prefix> is not valid after URL-decoding (EncodingType=url)");
    }
    p.size = n;  // the bytes after it inside the old span are now unused
  }

  std::size_t bad = 0;
  if (!detail::url_decode_string(page.echoed_prefix, true, bad)) {
    return r.fail(prefix_at, "<Prefix> is not valid after URL-decoding (EncodingType=url)");
  }
  if (!detail::url_decode_string(page.echoed_start_after, true, bad)) {
    return r.fail(start_after_at, "<StartAfter> is not valid after URL-decoding");
  }
  if (!detail::url_decode_string(page.echoed_delimiter, true, bad)) {
    return r.fail(delimiter_at, "<Delimiter> is not valid after URL-decoding");
  }
  return true;
}

bool read_list_bucket_result(XmlReader& r, XmlElement const& root, ListPage& page,
                             std::string& key_bytes, std::size_t key_base,
                             ListPageParser::Impl& im) {
  std::uint32_t seen = 0;
  std::size_t prefix_at = root.offset;
  std::size_t start_after_at = root.offset;
  std::size_t delimiter_at = root.offset;
  std::size_t truncated_at = root.offset;
  std::size_t key_count_at = root.offset;
  XmlElement c;
  while (r.next_child(root, c)) {
    bool ok = true;
    std::string_view n = c.name;
    if (n == "Contents") {
      ok = read_contents(r, c, page, key_bytes, im);
    } else if (n == "CommonPrefixes") {
      ok = read_common_prefixes(r, c, page, im);
    } else if (n == "Name") {
      ok = once(r, c, seen, kName) && r.read_text(c, page.bucket);
    } else if (n == "Prefix") {
      prefix_at = c.offset;
      page.prefix_echoed = true;
      ok = once(r, c, seen, kPrefix) && r.read_text(c, page.echoed_prefix);
    } else if (n == "KeyCount") {
      std::uint64_t v = 0;
      key_count_at = c.offset;
      ok = once(r, c, seen, kKeyCount) &&
           read_number(r, c, im.value, std::numeric_limits<std::int64_t>::max(), v);
      page.key_count = static_cast<std::int64_t>(v);
    } else if (n == "MaxKeys") {
      std::uint64_t v = 0;
      ok = once(r, c, seen, kMaxKeys) &&
           read_number(r, c, im.value, std::numeric_limits<std::int64_t>::max(), v);
      page.max_keys = static_cast<std::int64_t>(v);
    } else if (n == "IsTruncated") {
      truncated_at = c.offset;
      ok = once(r, c, seen, kIsTruncated) && read_bool(r, c, im.value, page.truncated);
    } else if (n == "NextContinuationToken") {
      ok = once(r, c, seen, kNextToken) && r.read_text(c, page.next_token);
    } else if (n == "ContinuationToken") {
      ok = once(r, c, seen, kToken) && r.read_text(c, page.echoed_token);
    } else if (n == "StartAfter") {
      start_after_at = c.offset;
      ok = once(r, c, seen, kStartAfter) && r.read_text(c, page.echoed_start_after);
    } else if (n == "Delimiter") {
      delimiter_at = c.offset;
      page.delimiter_echoed = true;
      ok = once(r, c, seen, kDelimiter) && r.read_text(c, page.echoed_delimiter);
    } else if (n == "EncodingType") {
      im.value.clear();
      ok = once(r, c, seen, kEncodingType) && r.read_text(c, im.value);
      if (ok && im.value != "url") {
        ok = r.fail(c.offset, "unsupported <EncodingType> '" + excerpt(im.value) + "'");
      }
      page.url_encoded = ok;
    } else {
      ok = r.skip(c);
    }
    if (!ok) return false;
  }
  if (r.failed() || !r.finish()) return false;

  if ((seen & kIsTruncated) == 0) return r.fail(root.offset, "<IsTruncated> is missing");
  // rclone ab849b3 (rclone#6600): a V1 server answering a V2 request sets IsTruncated with no
  // NextContinuationToken; following it would loop or stop early. The other way round is as
  // ambiguous, so both are errors.
  if (page.truncated && page.next_token.empty()) {
    return r.fail(truncated_at,
                  "IsTruncated is true but NextContinuationToken is missing or empty");
  }
  if (!page.truncated && !page.next_token.empty()) {
    return r.fail(truncated_at, "IsTruncated is false but a NextContinuationToken is present");
  }
  // KeyCount counts Contents plus CommonPrefixes on AWS; some S3 look-alikes count Contents
  // only. Either is accepted; anything else means the page lost (or gained) entries.
  if (page.key_count >= 0) {
    auto const keys = static_cast<std::int64_t>(page.objects.size());
    auto const all = keys + static_cast<std::int64_t>(page.common_prefixes.size());
    if (page.key_count != all && page.key_count != keys) {
      return r.fail(key_count_at, "KeyCount " + std::to_string(page.key_count) +
                                      " does not match the page (" + std::to_string(keys) +
                                      " Contents, " + std::to_string(page.common_prefixes.size()) +
                                      " CommonPrefixes)");
    }
  }
  if (page.url_encoded) {
    return url_decode_page(r, page, key_bytes, key_base, im, prefix_at, start_after_at,
                           delimiter_at);
  }
  return true;
}

}  // namespace

Result<void> ListPageParser::parse_s3(std::string_view body, ListPage& page,
                                      std::string& key_bytes) {
  Impl& im = *impl_;
  page.clear();
  im.key_origin.clear();
  im.prefix_origin.clear();
  std::size_t const key_base = key_bytes.size();
  return detail::parse_xml_listing(body, im.stack, page, key_bytes, kWhat, "ListBucketResult", "S3",
                                   [&](XmlReader& r, XmlElement const& root) {
                                     return read_list_bucket_result(r, root, page, key_bytes,
                                                                    key_base, im);
                                   });
}

}  // namespace presign::io
