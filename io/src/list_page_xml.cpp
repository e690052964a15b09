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
  if (check_xml_text(raw, offset, error, error_offset)) return true;
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
