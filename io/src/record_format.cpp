#include "presign/io/record_format.hpp"

#include <cstdint>
#include <cstring>

namespace presign::io {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes a JSON string carries as they are: printable ASCII except '"' and '\\'.
constexpr bool json_plain(unsigned char c) noexcept {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// Length of the run of json_plain bytes at the start of s. Keys are mostly plain ASCII, so the
// scan tests 8 bytes per step (SWAR): a word is plain when no byte is < 0x20, >= 0x80, '"' or
// '\\' (the classic has-less / has-zero bit tricks; each test is exact as a yes/no per word).
std::size_t json_plain_run(char const* s, std::size_t n) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + i, 8);
    std::uint64_t const quote = w ^ (kOnes * '"');
    std::uint64_t const slash = w ^ (kOnes * '\\');
    std::uint64_t const special = ((w - kOnes * 0x20) & ~w) |  // a byte < 0x20
                                  w |                          // a byte >= 0x80
                                  ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash);
    if ((special & kHigh) != 0) break;
  }
  while (i < n && json_plain(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not well formed
// (Unicode Table 3-7).
std::size_t utf8_len(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char const c = b(i);
  std::size_t const left = s.size() - i;
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

void append_base64(std::string& out, std::string_view in) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto u = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (u(i) << 16) | (u(i + 1) << 8) | u(i + 2);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (std::size_t rest = in.size() - i; rest) {
    std::uint32_t v = u(i) << 16;
    if (rest == 2) v |= u(i + 1) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
}

// Writes `<open><escaped key>` and `<close>`, with `,"key_base64":"..."` between them for keys
// that are not UTF-8. `open` is `"name":"` with what precedes it in the record; `close` starts
// with the '"' that ends the last string. Whole pieces are appended at once: each std::string
// append costs a few ns, and a whole record used to take ~50 ns.
void append_json_key_fields(std::string& out, std::string_view open, std::string_view key,
                            std::string_view close) {
  out.append(open);
  if (!append_json_escaped(out, key)) {
    out += "\",\"key_base64\":\"";
    append_base64(out, key);
  }
  out.append(close);
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  if (name == "ndjson") return Format::kNdjson;
  if (name == "labelbox") return Format::kLabelbox;
  if (name == "csv") return Format::kCsv;
  if (name == "tsv") return Format::kTsv;
  if (name == "urls") return Format::kUrls;
  return make_error(ErrorKind::kUsage, "unknown format '" + std::string(name) +
                                           "' (ndjson, labelbox, csv, tsv or urls)");
}

std::string_view format_name(Format f) noexcept {
  switch (f) {
    case Format::kNdjson: return "ndjson";
    case Format::kLabelbox: return "labelbox";
    case Format::kCsv: return "csv";
    case Format::kTsv: return "tsv";
    case Format::kUrls: return "urls";
  }
  return "?";
}

bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool append_json_escaped(std::string& out, std::string_view s) {
  bool exact = true;
  for (std::size_t i = 0; i < s.size();) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (json_plain(c)) {
      // Copy the run of plain ASCII in one append.
      std::size_t const run = json_plain_run(s.data() + i, s.size() - i);
      out.append(s.data() + i, run);
      i += run;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
      ++i;
    } else {
      std::size_t n = utf8_len(s, i);
      if (n == 0) {
        out += "\\ufffd";
        exact = false;
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
    }
  }
  return exact;
}

void append_printable(std::string& out, std::string_view s) {
  for (char ch : s) {
    auto const c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
}

RecordFormatter::RecordFormatter(Format format, std::string expires_at)
    : format_(format), expires_at_(std::move(expires_at)) {}

std::string RecordFormatter::header() const {
  switch (format_) {
    case Format::kLabelbox: return "[\n";
    case Format::kCsv: return "url,external_id\r\n";
    default: return {};
  }
}

std::string RecordFormatter::footer(bool any_record) const {
  if (format_ == Format::kLabelbox) return any_record ? "\n]\n" : "]\n";
  return {};
}

std::string_view RecordFormatter::separator() const noexcept {
  return format_ == Format::kLabelbox ? std::string_view(",\n") : std::string_view();
}

void RecordFormatter::begin(std::string& out, ObjectRef const& object) const {
  switch (format_) {
    case Format::kNdjson:
      append_json_key_fields(out, R"({"key":")", object.key, R"(","url":")");
      break;
    case Format::kLabelbox: out += "{\"row_data\":\""; break;
    case Format::kTsv:
      for (char c : object.key) {
        switch (c) {
          case '\\': out += "\\\\"; break;
          case '\t': out += "\\t"; break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          default: out += c;
        }
      }
      out += '\t';
      break;
    case Format::kCsv:
    case Format::kUrls: break;
  }
}

void RecordFormatter::end(std::string& out, ObjectRef const& object) const {
  switch (format_) {
    case Format::kNdjson: {
      // The record's tail is the same for every object: build it on the stack and append it
      // once (expires_at_ is a 20-byte RFC 3339 instant; anything longer takes the slow way).
      constexpr std::string_view kOpen = R"(","expires_at":")";
      constexpr std::string_view kClose = "\"}\n";
      char tail[64];
      if (kOpen.size() + expires_at_.size() + kClose.size() <= sizeof tail) {
        char* p = tail;
        std::memcpy(p, kOpen.data(), kOpen.size());
        p += kOpen.size();
        std::memcpy(p, expires_at_.data(), expires_at_.size());
        p += expires_at_.size();
        std::memcpy(p, kClose.data(), kClose.size());
        p += kClose.size();
        out.append(tail, static_cast<std::size_t>(p - tail));
      } else {
        out.append(kOpen);
        out.append(expires_at_);
        out.append(kClose);
      }
      break;
    }
    case Format::kLabelbox:
      append_json_key_fields(out, R"(","global_key":")", object.key, R"("})");
      break;
    case Format::kCsv:
      out += ',';
      if (object.key.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += object.key;
      } else {
        out += '"';
        for (char c : object.key) {
          if (c == '"') out += '"';
          out += c;
        }
        out += '"';
      }
      out += "\r\n";
      break;
    case Format::kTsv:
    case Format::kUrls: out += '\n'; break;
  }
}

void RecordFormatter::error_record(std::string& out, ObjectRef const& object,
                                   std::string_view reason) const {
  append_json_key_fields(out, R"({"key":")", object.key, R"(","error":")");
  append_json_escaped(out, reason);
  out += "\"}\n";
}

}  // namespace presign::io
