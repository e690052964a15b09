#pragma once
// Invariants shared by the three listing-page fuzz targets. Each target feeds the raw input to
// one parser and checks, beyond "no crash, no sanitizer report":
//  - a warm parser (reused across inputs, as in production) and a fresh one agree exactly;
//  - on error: kind kProtocol, a detail with "at byte", the key buffer cut back to its size on
//    entry, the page empty;
//  - on success: keys lie back to back in the key buffer after what was there, every span is in
//    range, `truncated` matches the token;
//  - the page re-serialised by a writer written here (every byte escaped) parses back to the
//    same keys, sizes and token (a differential check of the decoders).
// These files are also compiled into io_tests (PRESIGN_FUZZ_NO_MAIN), where a doctest replays
// tests/fuzz/corpus/ and tests/fuzz/regressions/ through the same entry points.

#include "fuzz_check.hpp"
#include "presign/io/list_page.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::fuzz {

using io::ListFormat;
using io::ListPage;
using io::ListPageParser;

/// What a page says, in a form that compares with ==.
struct Flat {
  std::vector<std::string> keys;
  std::vector<std::uint64_t> sizes;
  std::vector<std::string> prefixes;
  std::vector<std::string> etags;
  std::vector<std::string> modified;
  std::string next_token;
  bool truncated = false;

  bool operator==(Flat const&) const = default;
};

inline Flat flatten(ListPage const& page, std::string_view keys) {
  Flat f;
  for (auto const& o : page.objects) {
    f.keys.emplace_back(o.key.in(keys));
    f.sizes.push_back(o.size);
    f.etags.emplace_back(page.text_of(o.etag));
    f.modified.emplace_back(page.text_of(o.last_modified));
  }
  for (auto const& p : page.common_prefixes) f.prefixes.emplace_back(page.text_of(p));
  f.next_token = page.next_token;
  f.truncated = page.truncated;
  return f;
}

inline void check_spans(ListPage const& page, std::string const& keys, std::size_t base) {
  std::size_t at = base;
  for (auto const& o : page.objects) {
    PRESIGN_FUZZ_CHECK(o.key.offset == at);  // back to back, in document order
    at += o.key.size;
    PRESIGN_FUZZ_CHECK(o.last_modified.offset + o.last_modified.size <= page.text.size());
    PRESIGN_FUZZ_CHECK(o.etag.offset + o.etag.size <= page.text.size());
    PRESIGN_FUZZ_CHECK(o.version.offset + o.version.size <= page.text.size());
  }
  PRESIGN_FUZZ_CHECK(at == keys.size());
  for (auto const& p : page.common_prefixes) {
    PRESIGN_FUZZ_CHECK(p.offset + p.size <= page.text.size());
  }
  PRESIGN_FUZZ_CHECK(page.truncated == !page.next_token.empty());
}

/// Parses `body` with a warm and a fresh parser and checks the invariants above. Returns the
/// flattened page when both succeeded.
inline bool parse_and_check(ListFormat format, std::string_view body, Flat* out = nullptr) {
  static ListPageParser warm;  // reused across inputs, like a listing thread's parser
  static ListPage warm_page;
  static std::string warm_keys;
  std::string const sentinel = "bytes already in the batch";
  warm_keys = sentinel;
  auto r1 = warm.parse(format, body, warm_page, warm_keys);

  ListPageParser fresh;
  ListPage page;
  std::string keys;
  auto r2 = fresh.parse(format, body, page, keys);

  PRESIGN_FUZZ_CHECK(r1.has_value() == r2.has_value());
  if (!r1) {
    PRESIGN_FUZZ_CHECK(r1.error().kind == ErrorKind::kProtocol);
    PRESIGN_FUZZ_CHECK(r1.error().detail == r2.error().detail);
    PRESIGN_FUZZ_CHECK(!r1.error().detail.empty());
    // A service error body says which service code it carries; every other failure says where.
    PRESIGN_FUZZ_CHECK(!r1.error().provider_code.empty() ||
                       r1.error().detail.find(" at byte ") != std::string::npos);
    PRESIGN_FUZZ_CHECK(warm_keys == sentinel);
    PRESIGN_FUZZ_CHECK(keys.empty());
    PRESIGN_FUZZ_CHECK(warm_page.objects.empty() && page.objects.empty());
    PRESIGN_FUZZ_CHECK(warm_page.text.empty() && page.common_prefixes.empty());
    return false;
  }
  PRESIGN_FUZZ_CHECK(warm_keys.compare(0, sentinel.size(), sentinel) == 0);
  check_spans(warm_page, warm_keys, sentinel.size());
  check_spans(page, keys, 0);
  Flat a = flatten(warm_page, std::string_view(warm_keys));
  Flat b = flatten(page, keys);
  PRESIGN_FUZZ_CHECK(a == b);
  if (out != nullptr) *out = std::move(b);
  return true;
}

// ---- Writers used for the round trip ---------------------------------------------------------

/// XML text with every byte that could be misread escaped (controls as character references).
inline void xml_escape(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "&#x";
          if (c >= 16) out += kHex[c >> 4];
          out += kHex[c & 15];
          out += ';';
        } else {
          out += ch;
        }
    }
  }
}

/// Form encoding as S3 does it for encoding-type=url (space as '+'), or RFC 3986 (Azure).
inline void url_encode(std::string& out, std::string_view s, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (unreserved) {
      out += ch;
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

inline void json_escape(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace presign::fuzz
