// The strict XML pull reader behind the S3 and Azure listing parsers (see list_page_xml.hpp).
// Every loop moves `pos_` forward or fails, and every read is bounds-checked against
// `doc_.size()`; the fuzz targets in tests/fuzz/ hold it to that.

#include "list_page_xml.hpp"

#include "presign/core/utf8.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace presign::io::detail {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// Byte classes for XML names (XML 1.0 §2.3, restricted to ASCII; every byte of a multi-byte
// UTF-8 sequence counts as a name byte). A table: name scanning was the reader's hottest loop.
constexpr unsigned char kNameStart = 1;
constexpr unsigned char kNameChar = 2;
constexpr auto kNameClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool start =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
    bool rest = start || (c >= '0' && c <= '9') || c == '-' || c == '.';
    t[static_cast<std::size_t>(c)] =
        static_cast<unsigned char>((start ? kNameStart : 0) | (rest ? kNameChar : 0));
  }
  return t;
}();

bool is_name_start(unsigned char c) noexcept { return (kNameClass[c] & kNameStart) != 0; }

bool is_name_char(unsigned char c) noexcept { return (kNameClass[c] & kNameChar) != 0; }

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

bool all_space(std::string_view s, std::size_t& first_other) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_xml_space(s[i])) {
      first_other = i;
      return false;
    }
  }
  return true;
}

std::string element_name(std::string_view name) { return "<" + excerpt(name) + ">"; }

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

XmlReader::XmlReader(std::string_view doc, std::vector<std::string_view>& stack) noexcept
    : doc_(doc), stack_(stack) {
  stack_.clear();
}

bool XmlReader::fail(std::size_t offset, std::string what) {
  if (!failed_) {
    failed_ = true;
    error_offset_ = offset;
    error_ = std::move(what);
  }
  return false;
}

bool XmlReader::check_text(std::string_view raw, std::size_t offset) {
  std::string error;
  std::size_t error_offset = 0;
  if (decode_core<std::nullptr_t>(raw, offset, nullptr, error, error_offset)) return true;
  return fail(error_offset, std::move(error));
}

bool XmlReader::expect_name(std::size_t& pos, std::string_view& name) {
  std::size_t start = pos;
  if (pos >= doc_.size() || !is_name_start(static_cast<unsigned char>(doc_[pos]))) return false;
  ++pos;
  while (pos < doc_.size() && is_name_char(static_cast<unsigned char>(doc_[pos]))) ++pos;
  name = doc_.substr(start, pos - start);
  return true;
}

bool XmlReader::skip_comment(std::size_t lt) {
  std::size_t end = doc_.find("-->", lt + 4);
  if (end == kNpos) return fail(lt, "unterminated comment (truncated document?)");
  pos_ = end + 3;
  return true;
}

bool XmlReader::skip_pi(std::size_t lt) {
  std::size_t p = lt + 2;
  std::string_view target;
  if (!expect_name(p, target)) return fail(lt, "malformed processing instruction");
  if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
      (target[2] | 0x20) == 'l') {
    return fail(lt, "XML declaration not at the start of the document");
  }
  std::size_t end = doc_.find("?>", p);
  if (end == kNpos) return fail(lt, "unterminated processing instruction (truncated document?)");
  pos_ = end + 2;
  return true;
}

bool XmlReader::parse_declaration(std::size_t lt) {
  std::size_t end = doc_.find("?>", lt);
  if (end == kNpos) return fail(lt, "unterminated XML declaration");
  std::string_view decl = doc_.substr(lt, end - lt);
  // Only the encoding matters: the body must be UTF-8 (it was checked as such already).
  if (std::size_t e = decl.find("encoding"); e != kNpos) {
    std::size_t p = e + 8;
    while (p < decl.size() && is_xml_space(decl[p])) ++p;
    if (p >= decl.size() || decl[p] != '=') return fail(lt + p, "malformed encoding declaration");
    ++p;
    while (p < decl.size() && is_xml_space(decl[p])) ++p;
    if (p >= decl.size() || (decl[p] != '"' && decl[p] != '\'')) {
      return fail(lt + p, "malformed encoding declaration");
    }
    char q = decl[p];
    std::size_t close = decl.find(q, p + 1);
    if (close == kNpos) return fail(lt + p, "malformed encoding declaration");
    std::string_view enc = decl.substr(p + 1, close - p - 1);
    bool utf8 = enc.size() == 5 && (enc[0] | 0x20) == 'u' && (enc[1] | 0x20) == 't' &&
                (enc[2] | 0x20) == 'f' && enc[3] == '-' && enc[4] == '8';
    if (!utf8) return fail(lt + p + 1, "declared encoding '" + excerpt(enc) + "' is not UTF-8");
  }
  pos_ = end + 2;
  return true;
}

bool XmlReader::skip_misc() {
  while (true) {
    while (pos_ < doc_.size() && is_xml_space(doc_[pos_])) ++pos_;
    if (pos_ >= doc_.size()) return true;
    std::string_view rest = doc_.substr(pos_);
    if (rest.starts_with("<!--")) {
      if (!skip_comment(pos_)) return false;
    } else if (rest.starts_with("<?")) {
      if (!skip_pi(pos_)) return false;
    } else if (rest.starts_with("<!")) {
      return refuse_declaration(pos_);
    } else {
      return true;
    }
  }
}

bool XmlReader::refuse_declaration(std::size_t lt) {
  // Declarations are refused outright: a DOCTYPE can declare entities (billion laughs,
  // external entities), and nothing in a listing needs one (docs/RELIABILITY.md §5).
  std::string_view rest = doc_.substr(lt);
  if (rest.starts_with("<!DOCTYPE")) {
    return fail(lt, "DOCTYPE declaration refused (entities are never expanded)");
  }
  if (rest.starts_with("<!ENTITY")) return fail(lt, "ENTITY declaration refused");
  return fail(lt, "markup declaration '" + excerpt(rest.substr(0, 12)) + "' refused");
}

bool XmlReader::open_root(XmlElement& root) {
  if (std::size_t bad = find_invalid_utf8_or_nul(doc_); bad != doc_.size()) {
    return fail(bad, doc_[bad] == '\0'
                         ? "NUL byte in the document"
                         : "invalid UTF-8 (byte 0x" + excerpt(doc_.substr(bad, 1)).substr(2) + ")");
  }
  pos_ = 0;
  if (doc_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark
  std::string_view rest = doc_.substr(pos_);
  if (rest.starts_with("<?xml") && rest.size() > 5 && (is_xml_space(rest[5]) || rest[5] == '?')) {
    if (!parse_declaration(pos_)) return false;
  }
  if (!skip_misc()) return false;
  if (pos_ >= doc_.size()) return fail(pos_, "no root element (empty or truncated document)");
  if (doc_[pos_] != '<') return fail(pos_, "text before the root element");
  return parse_start_tag(pos_, root);
}

bool XmlReader::parse_start_tag(std::size_t lt, XmlElement& e) {
  if (doc_.size() - lt > 1 && doc_[lt + 1] == '!') return refuse_declaration(lt);
  std::size_t p = lt + 1;
  std::string_view name;
  if (!expect_name(p, name)) return fail(lt, "expected an element name after '<'");
  std::size_t const attrs_begin = p;
  if (p < doc_.size() && doc_[p] == '>') {
    // Fast path: `<Name>`, no attributes.
    e.empty = false;
    pos_ = p + 1;
  } else {
    if (!parse_attributes(lt, name, p, e)) return false;
  }
  e.name = name;
  e.attrs = doc_.substr(attrs_begin, (e.empty ? pos_ - 2 : pos_ - 1) - attrs_begin);
  e.offset = lt;
  if (!e.empty) {
    if (stack_.size() >= kMaxDepth) return fail(lt, "elements nested deeper than 64 levels");
    stack_.push_back(name);
  }
  return true;
}

bool XmlReader::parse_attributes(std::size_t lt, std::string_view name, std::size_t p,
                                 XmlElement& e) {
  while (true) {
    bool had_space = false;
    while (p < doc_.size() && is_xml_space(doc_[p])) {
      ++p;
      had_space = true;
    }
    if (p >= doc_.size()) {
      return fail(lt, "unterminated start tag " + element_name(name) + " (truncated)");
    }
    char c = doc_[p];
    if (c == '>') {
      e.empty = false;
      pos_ = p + 1;
      break;
    }
    if (c == '/') {
      if (p + 1 >= doc_.size() || doc_[p + 1] != '>') return fail(p, "expected '>' after '/'");
      e.empty = true;
      pos_ = p + 2;
      break;
    }
    if (!had_space) return fail(p, "expected whitespace, '>' or '/>' in " + element_name(name));
    std::string_view attr_name;
    if (!expect_name(p, attr_name)) return fail(p, "malformed attribute in " + element_name(name));
    while (p < doc_.size() && is_xml_space(doc_[p])) ++p;
    if (p >= doc_.size() || doc_[p] != '=') return fail(p, "expected '=' after attribute name");
    ++p;
    while (p < doc_.size() && is_xml_space(doc_[p])) ++p;
    if (p >= doc_.size() || (doc_[p] != '"' && doc_[p] != '\'')) {
      return fail(p, "expected a quoted attribute value");
    }
    char q = doc_[p];
    std::size_t close = doc_.find(q, p + 1);
    if (close == kNpos) return fail(p, "unterminated attribute value");
    std::string_view value = doc_.substr(p + 1, close - p - 1);
    if (std::size_t lt2 = value.find('<'); lt2 != kNpos) {
      return fail(p + 1 + lt2, "'<' in an attribute value");
    }
    if (!check_text(value, p + 1)) return false;
    p = close + 1;
  }
  return true;
}

bool XmlReader::parse_end_tag(std::size_t lt) {
  std::size_t p = lt + 2;
  // Fast path: almost every end tag is exactly `</` + the open element's name + `>`.
  if (!stack_.empty()) {
    std::string_view top = stack_.back();
    if (doc_.size() - p > top.size() && doc_[p + top.size()] == '>' &&
        std::memcmp(doc_.data() + p, top.data(), top.size()) == 0) {
      stack_.pop_back();
      pos_ = p + top.size() + 1;
      return true;
    }
  }
  std::string_view name;
  if (!expect_name(p, name)) return fail(lt, "expected an element name after '</'");
  while (p < doc_.size() && is_xml_space(doc_[p])) ++p;
  if (p >= doc_.size()) return fail(lt, "document ends in an end tag (truncated)");
  if (doc_[p] != '>') return fail(p, "expected '>' to close the end tag");
  if (stack_.empty()) return fail(lt, "end tag </" + excerpt(name) + "> without a start tag");
  if (stack_.back() != name) {
    return fail(lt,
                "end tag </" + excerpt(name) + "> does not close " + element_name(stack_.back()));
  }
  stack_.pop_back();
  pos_ = p + 1;
  return true;
}

bool XmlReader::step(Token& t, XmlElement& elem) {
  while (true) {
    if (pos_ >= doc_.size()) {
      return fail(doc_.size(),
                  "document ends inside " +
                      (stack_.empty() ? std::string("the prolog") : element_name(stack_.back())) +
                      " (truncated)");
    }
    if (doc_[pos_] != '<') {
      std::size_t lt = doc_.find('<', pos_);
      if (lt == kNpos) {
        return fail(doc_.size(),
                    "document ends inside " +
                        (stack_.empty() ? std::string("the prolog") : element_name(stack_.back())) +
                        " (truncated)");
      }
      t.kind = Tok::kText;
      t.text = doc_.substr(pos_, lt - pos_);
      t.offset = pos_;
      pos_ = lt;
      return true;
    }
    std::size_t const lt = pos_;
    if (doc_.size() - lt < 2) return fail(lt, "document ends in a tag (truncated)");
    char const c = doc_[lt + 1];
    if (c == '/') {
      if (!parse_end_tag(lt)) return false;
      t.kind = Tok::kEnd;
      t.offset = lt;
      return true;
    }
    if (c == '?') {
      if (!skip_pi(lt)) return false;
      continue;
    }
    if (c == '!') {
      std::string_view rest = doc_.substr(lt);
      if (rest.starts_with("<!--")) {
        if (!skip_comment(lt)) return false;
        continue;
      }
      if (rest.starts_with("<![CDATA[")) {
        std::size_t end = doc_.find("]]>", lt + 9);
        if (end == kNpos) return fail(lt, "unterminated CDATA section (truncated document?)");
        t.kind = Tok::kCdata;
        t.text = doc_.substr(lt + 9, end - lt - 9);
        t.offset = lt + 9;
        pos_ = end + 3;
        return true;
      }
    }
    if (!parse_start_tag(lt, elem)) return false;
    t.kind = Tok::kStart;
    t.offset = lt;
    return true;
  }
}

bool XmlReader::next_child(XmlElement const& parent, XmlElement& child) {
  if (parent.empty) return false;  // <Parent/>: no children, and no end tag to consume
  Token t;
  while (step(t, child)) {
    switch (t.kind) {
      case Tok::kText: {
        std::size_t other = 0;
        if (!all_space(t.text, other)) {
          return fail(t.offset + other,
                      "text where an element was expected in " + element_name(parent.name));
        }
        break;
      }
      case Tok::kCdata:
        return fail(t.offset,
                    "CDATA where an element was expected in " + element_name(parent.name));
      case Tok::kStart:
        return true;
      case Tok::kEnd:
        return false;
    }
  }
  return false;
}

bool XmlReader::read_text(XmlElement const& e, std::string& out) {
  if (e.empty) return true;
  Token t;
  XmlElement inner;
  while (step(t, inner)) {
    switch (t.kind) {
      case Tok::kText: {
        std::string error;
        std::size_t error_offset = 0;
        if (!decode_xml_text(t.text, t.offset, out, error, error_offset)) {
          return fail(error_offset, std::move(error));
        }
        break;
      }
      case Tok::kCdata:
        if (std::size_t cr = t.text.find('\r'); cr != kNpos) {
          return fail(t.offset + cr, "raw carriage return in a value (ambiguous; expected &#13;)");
        }
        out.append(t.text);
        break;
      case Tok::kStart:
        return fail(t.offset, "element " + element_name(inner.name) + " inside " +
                                  element_name(e.name) + ", which holds text only");
      case Tok::kEnd:
        return true;
    }
  }
  return false;
}

bool XmlReader::skip(XmlElement const& e) {
  if (e.empty) return true;
  std::size_t const depth = stack_.size() - 1;  // `e` is the innermost open element
  Token t;
  XmlElement inner;
  while (step(t, inner)) {
    if (t.kind == Tok::kText) {
      if (!check_text(t.text, t.offset)) return false;
    } else if (t.kind == Tok::kEnd && stack_.size() == depth) {
      return true;
    }
  }
  return false;
}

bool XmlReader::finish() {
  if (!stack_.empty()) return fail(pos_, "document ends inside " + element_name(stack_.back()));
  if (!skip_misc()) return false;
  if (pos_ != doc_.size()) return fail(pos_, "content after the root element");
  return true;
}

bool XmlReader::attr(XmlElement const& e, std::string_view name, std::string& out, bool& found) {
  found = false;
  // The attribute list was checked by parse_start_tag, so this walk can be simple; it still
  // checks bounds at every step.
  std::string_view a = e.attrs;
  std::size_t const base = static_cast<std::size_t>(a.data() - doc_.data());
  std::size_t p = 0;
  while (p < a.size()) {
    while (p < a.size() && is_xml_space(a[p])) ++p;
    std::size_t name_begin = p;
    while (p < a.size() && a[p] != '=' && !is_xml_space(a[p])) ++p;
    std::string_view attr_name = a.substr(name_begin, p - name_begin);
    while (p < a.size() && a[p] != '"' && a[p] != '\'') ++p;
    if (p >= a.size()) break;
    char q = a[p];
    std::size_t close = a.find(q, p + 1);
    if (close == kNpos) break;
    if (attr_name == name) {
      if (found) return fail(base + name_begin, "duplicate attribute " + excerpt(name));
      std::string error;
      std::size_t error_offset = 0;
      if (!decode_xml_text(a.substr(p + 1, close - p - 1), base + p + 1, out, error,
                           error_offset)) {
        return fail(error_offset, std::move(error));
      }
      found = true;
    }
    p = close + 1;
  }
  return true;
}

}  // namespace presign::io::detail

// ---- Shared by the three parsers -------------------------------------------------------------

namespace presign::io::detail {

std::size_t url_decode_to(char const* in, std::size_t n, char* out, bool plus_is_space,
                          std::size_t& bad) noexcept {
  auto hex = [](char c) noexcept -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = in[i];
    if (c == '%') {
      if (n - i < 3) {
        bad = i;
        return std::string_view::npos;
      }
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) {
        bad = i;
        return std::string_view::npos;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out[w++] = c;  // w <= i always, so an in-place decode never overwrites unread input
  }
  return w;
}

bool url_decode_string(std::string& s, bool plus_is_space, std::size_t& bad) {
  std::size_t n = url_decode_to(s.data(), s.size(), s.data(), plus_is_space, bad);
  if (n == std::string_view::npos) return false;
  s.resize(n);
  if (std::size_t u = find_invalid_utf8_or_nul(s); u != s.size()) {
    bad = 0;  // the offset inside the decoded value means nothing to a reader of the body
    return false;
  }
  return true;
}

Error protocol_error(std::string_view what, std::size_t offset, std::string_view reason) {
  std::string detail;
  detail.reserve(what.size() + reason.size() + 32);
  detail.append(what)
      .append(": ")
      .append(reason)
      .append(" at byte ")
      .append(std::to_string(offset));
  return make_error(ErrorKind::kProtocol, std::move(detail));
}

bool read_xml_error(XmlReader& r, XmlElement const& root, ProviderError& out) {
  bool has_code = false;
  bool has_message = false;
  bool has_request_id = false;
  XmlElement c;
  while (r.next_child(root, c)) {
    std::string* field = nullptr;
    bool* seen = nullptr;
    if (c.name == "Code") {
      field = &out.code;
      seen = &has_code;
    } else if (c.name == "Message") {
      field = &out.message;
      seen = &has_message;
    } else if (c.name == "RequestId") {
      field = &out.request_id;
      seen = &has_request_id;
    }
    if (field == nullptr) {
      // StringToSign, CanonicalRequest, SignatureProvided, HostId...: deliberately not read.
      if (!r.skip(c)) return false;
      continue;
    }
    if (*seen) return r.fail(c.offset, "duplicate <" + excerpt(c.name) + "> in <Error>");
    *seen = true;
    if (!r.read_text(c, *field)) return false;
  }
  if (r.failed() || !r.finish()) return false;
  if (!has_code || out.code.empty()) return r.fail(root.offset, "<Error> without a <Code>");
  truncate_utf8(out.message, 1024);
  return true;
}

}  // namespace presign::io::detail

namespace presign::io {

void ListPage::clear() noexcept {
  objects.clear();
  common_prefixes.clear();
  text.clear();
  next_token.clear();
  truncated = false;
  prefix_echoed = false;
  echoed_prefix.clear();
  delimiter_echoed = false;
  echoed_delimiter.clear();
  echoed_token.clear();
  echoed_start_after.clear();
  bucket.clear();
  max_keys = -1;
  key_count = -1;
  url_encoded = false;
}

Error to_error(ProviderError const& e, ErrorKind kind, int http_status) {
  std::string detail = e.code;
  if (!e.message.empty()) detail.append(": ").append(e.message);
  if (!e.request_id.empty()) detail.append(" (request id ").append(e.request_id).append(")");
  Error err = make_error(kind, std::move(detail));
  err.http_status = http_status != 0 ? http_status : e.status;
  err.provider_code = e.code;
  return err;
}

ListPageParser::ListPageParser() : impl_(std::make_unique<Impl>()) {}
ListPageParser::~ListPageParser() = default;
ListPageParser::ListPageParser(ListPageParser&&) noexcept = default;
ListPageParser& ListPageParser::operator=(ListPageParser&&) noexcept = default;

Result<void> ListPageParser::parse(ListFormat format, std::string_view body, ListPage& page,
                                   std::string& key_bytes) {
  switch (format) {
    case ListFormat::kS3ListObjectsV2:
      return parse_s3(body, page, key_bytes);
    case ListFormat::kAzureListBlobs:
      return parse_azure(body, page, key_bytes);
    case ListFormat::kGcsObjectsList:
      return parse_gcs(body, page, key_bytes);
  }
  return make_error(ErrorKind::kInternal, "unknown listing format");
}

Result<ProviderError> ListPageParser::parse_xml_error(std::string_view body) {
  detail::XmlReader r(body, impl_->stack);
  detail::XmlElement root;
  ProviderError out;
  if (r.open_root(root)) {
    if (root.name != "Error") {
      r.fail(root.offset, "root element is <" + detail::excerpt(root.name) + ">, expected <Error>");
    } else {
      detail::read_xml_error(r, root, out);
    }
  }
  if (r.failed()) return detail::protocol_error("XML error body", r.error_offset(), r.error());
  return out;
}

void add_to_batch(ListPage const& page, Batch& batch) {
  std::string_view data = batch.data;
  batch.objects.reserve(batch.objects.size() + page.objects.size());
  for (ListedObject const& o : page.objects) {
    batch.objects.push_back(ObjectRef{o.key.in(data), {}});
  }
}

}  // namespace presign::io
