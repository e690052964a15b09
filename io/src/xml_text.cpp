// XML text: entity and character-reference decoding and the small text helpers of the strict
// XML reader (list_page_xml.hpp): kept apart from the reader's tag grammar
// (list_page_xml.cpp). Every read is bounds-checked; the fuzz targets in tests/fuzz/ hold it
// to that.

#include "list_page_xml.hpp"

#include "presign/core/utf8.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace presign::io::detail {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    char b[4] = {
        static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
        static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

// A reference longer than this between '&' and ';' is refused. The longest legal one we would
// meet is a character reference with leading zeros; 32 bytes leaves room for those.
constexpr std::size_t kMaxReferenceBytes = 32;

// Decodes (Sink = std::string) or only checks (Sink = nullptr_t) the references in `raw`.
template <class Sink>
bool decode_core(std::string_view raw, std::size_t offset, Sink* out, std::string& error,
                 std::size_t& error_offset) {
  std::size_t i = 0;
  while (true) {
    std::size_t amp = raw.find('&', i);
    if (amp == kNpos) {
      if constexpr (!std::is_same_v<Sink, std::nullptr_t>)
        out->append(raw.data() + i, raw.size() - i);
      return true;
    }
    if constexpr (!std::is_same_v<Sink, std::nullptr_t>) out->append(raw.data() + i, amp - i);
    std::size_t limit = std::min(raw.size(), amp + 2 + kMaxReferenceBytes);
    std::size_t semi = raw.substr(0, limit).find(';', amp + 1);
    if (semi == kNpos) {
      error = "'&' not followed by a reference ending in ';' (write &amp;): " +
              excerpt(raw.substr(amp, 16));
      error_offset = offset + amp;
      return false;
    }
    std::string_view ref = raw.substr(amp + 1, semi - amp - 1);
    char c = 0;
    if (ref == "lt") {
      c = '<';
    } else if (ref == "gt") {
      c = '>';
    } else if (ref == "amp") {
      c = '&';
    } else if (ref == "quot") {
      c = '"';
    } else if (ref == "apos") {
      c = '\'';
    } else if (!ref.empty() && ref[0] == '#') {
      // Character reference: '&#' [0-9]+ ';' or '&#x' [0-9a-fA-F]+ ';' (XML 1.0 §4.1; the x is
      // lower case only).
      bool hex = ref.size() > 1 && ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      std::uint32_t cp = 0;
      bool ok = !digits.empty();
      for (char d : digits) {
        int v = -1;
        if (d >= '0' && d <= '9') {
          v = d - '0';
        } else if (hex && d >= 'a' && d <= 'f') {
          v = d - 'a' + 10;
        } else if (hex && d >= 'A' && d <= 'F') {
          v = d - 'A' + 10;
        }
        if (v < 0) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16U : 10U) + static_cast<std::uint32_t>(v);
        if (cp > 0x10FFFF) break;  // stops before the multiplication can overflow
      }
      if (!ok) {
        error = "malformed character reference &" + excerpt(ref) + ";";
        error_offset = offset + amp;
        return false;
      }
      // U+0000 cannot be carried by XML at all; surrogates and values above U+10FFFF are not
      // code points. Other control characters are accepted: S3 writes them as references.
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        error = "character reference &" + excerpt(ref) + "; is not a valid XML character";
        error_offset = offset + amp;
        return false;
      }
      if constexpr (!std::is_same_v<Sink, std::nullptr_t>) append_utf8(*out, cp);
      i = semi + 1;
      continue;
    } else {
      error = "unknown entity &" + excerpt(ref) + "; (only the five XML entities are defined)";
      error_offset = offset + amp;
      return false;
    }
    if constexpr (!std::is_same_v<Sink, std::nullptr_t>) *out += c;
    i = semi + 1;
  }
}

}  // namespace

std::string excerpt(std::string_view s, std::size_t max) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& value) noexcept {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_xml_space(s[b])) ++b;
  while (e > b && is_xml_space(s[e - 1])) --e;
  if (b == e) return false;
  std::uint64_t v = 0;
  for (std::size_t i = b; i < e; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;  // v * 10 + d > max, without overflowing
    v = v * 10 + d;
  }
  value = v;
  return true;
}

bool decode_xml_text(std::string_view raw, std::size_t offset, std::string& out, std::string& error,
                     std::size_t& error_offset) {
  // A raw CR would be turned into LF by a conforming parser (XML 1.0 §2.11), so a key holding
  // one is ambiguous: refuse rather than guess. S3 writes &#13; (its key-naming guide).
  if (std::size_t cr = raw.find('\r'); cr != kNpos) {
    error =
        "raw carriage return in a value (ambiguous under XML line-end handling; expected &#13;)";
    error_offset = offset + cr;
    return false;
  }
  return decode_core(raw, offset, &out, error, error_offset);
}

bool check_xml_text(std::string_view raw, std::size_t offset, std::string& error,
                    std::size_t& error_offset) {
  return decode_core<std::nullptr_t>(raw, offset, nullptr, error, error_offset);
}

}  // namespace presign::io::detail
