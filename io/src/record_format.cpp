#include "presign/io/record_format.hpp"
#include "presign/core/base64.hpp"
#include "presign/core/text.hpp"
#include "presign/core/utf8.hpp"

#include <array>
#include <utility>
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

// The data-row media types Labelbox documents for assets given by URL (the per-asset import
// pages, e.g. https://docs.labelbox.com/reference/image and .../import-text-data, and the
// SDK's MediaType values): accepted names, then what is written. Tiled imagery and the LLM
// project types are left out: their row_data is not a file URL.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kMediaTypes{{
    {"AUDIO", "AUDIO"},
    {"CONVERSATIONAL", "CONVERSATIONAL"},
    {"DICOM", "DICOM"},
    {"DOCUMENT", "PDF"},  // the SDK's MediaType.Document is sent as PDF
    {"HTML", "HTML"},
    {"IMAGE", "IMAGE"},
    {"PDF", "PDF"},
    {"TEXT", "TEXT"},
    {"VIDEO", "VIDEO"},
}};

}  // namespace

GlobalKeyTemplate::GlobalKeyTemplate() : pieces_{Piece{Part::kKey, {}}} {}

Result<GlobalKeyTemplate> GlobalKeyTemplate::parse(std::string_view text) {
  auto bad = [&](std::string const& why) {
    std::string quoted;
    append_printable(quoted, text);
    return make_error(ErrorKind::kUsage, "--global-key '" + quoted + "': " + why);
  };
  if (!is_valid_utf8(text)) return bad("not valid UTF-8");
  GlobalKeyTemplate t;
  t.pieces_.clear();
  bool per_object = false;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) t.pieces_.push_back(Piece{Part::kText, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      return bad("unbalanced '}' at offset " + std::to_string(i) +
                 " (write }} for a literal brace)");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    std::size_t const close = text.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || text[close] != '}') {
      return bad("unbalanced '{' at offset " + std::to_string(i) +
                 " (write {{ for a literal brace)");
    }
    std::string_view const name = text.substr(i + 1, close - i - 1);
    Part part;
    if (name == "key") {
      part = Part::kKey;
    } else if (name == "bucket") {
      part = Part::kBucket;
    } else if (name == "uri") {
      part = Part::kUri;
    } else {
      std::string shown;
      append_printable(shown, name);
      return bad("unknown placeholder {" + shown + "} (known: {key}, {bucket}, {uri})");
    }
    per_object = per_object || part != Part::kBucket;
    flush();
    t.pieces_.push_back(Piece{part, {}});
    i = close;
  }
  flush();
  if (!per_object) {
    return bad(
        "has neither {key} nor {uri}, so every object would get the same global key "
        "(Labelbox global keys are unique across the organisation)");
  }
  return t;
}

Result<std::string> parse_labelbox_media_type(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  for (auto const& [accepted, written] : kMediaTypes) {
    if (upper == accepted) return std::string(written);
  }
  std::string list;
  for (auto const& [accepted, written] : kMediaTypes) {
    if (!list.empty()) list += ", ";
    list += accepted;
  }
  std::string shown;
  append_printable(shown, name);
  return make_error(ErrorKind::kUsage, "--media-type '" + shown +
                                           "' is not a Labelbox data row "
                                           "media type (" +
                                           list + "; any case)");
}

Result<void> check_labelbox_options(LabelboxOptions const& o) {
  if (!is_valid_utf8(o.location.bucket) || !is_valid_utf8(o.location.uri_prefix)) {
    return make_error(ErrorKind::kUsage,
                      "the bucket name is not valid UTF-8, so it cannot be part "
                      "of a Labelbox global key");
  }
  RecordFormatter const f(Format::kLabelbox, "", o);
  // A one-character key must fit, or no object could ever have a record.
  std::string const one(1, 'k');
  if (auto why = f.reject_reason(ObjectRef{one, {}}); !why.empty()) {
    return make_error(ErrorKind::kUsage, "--global-key leaves no room for a key: " + why);
  }
  return {};
}

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
    case Format::kNdjson:
      return "ndjson";
    case Format::kLabelbox:
      return "labelbox";
    case Format::kCsv:
      return "csv";
    case Format::kTsv:
      return "tsv";
    case Format::kUrls:
      return "urls";
  }
  return "?";
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
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
      ++i;
    } else {
      std::size_t n = utf8_sequence_length(s, i);
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

RecordFormatter::RecordFormatter(Format format, std::string expires_at,
                                 LabelboxOptions const& labelbox)
    : format_(format), expires_at_(std::move(expires_at)) {
  // Resolve everything but the key once, escaped, so a record is a few appends.
  global_key_key_uses_ = 0;
  auto text = [&](std::string_view raw) {
    if (raw.empty()) return;
    if (global_key_.empty() || global_key_.back().key) global_key_.push_back(KeyPiece{false, {}});
    append_json_escaped(global_key_.back().text, raw);
    global_key_fixed_chars_ += utf8_char_count(raw);
  };
  auto key = [&] {
    global_key_.push_back(KeyPiece{true, {}});
    ++global_key_key_uses_;
  };
  for (GlobalKeyTemplate::Piece const& p : labelbox.global_key.pieces()) {
    switch (p.part) {
      case GlobalKeyTemplate::Part::kText:
        text(p.text);
        break;
      case GlobalKeyTemplate::Part::kBucket:
        text(labelbox.location.bucket);
        break;
      case GlobalKeyTemplate::Part::kUri:
        text(labelbox.location.uri_prefix);
        key();
        break;
      case GlobalKeyTemplate::Part::kKey:
        key();
        break;
    }
  }
  labelbox_tail_ = "\"";
  if (!labelbox.media_type.empty()) {
    labelbox_tail_ += ",\"media_type\":\"";
    append_json_escaped(labelbox_tail_, labelbox.media_type);
    labelbox_tail_ += '"';
  }
  labelbox_tail_ += '}';
}

std::string RecordFormatter::reject_reason(ObjectRef const& object) const {
  if (format_ != Format::kLabelbox) return {};
  std::size_t chars = global_key_fixed_chars_;
  if (global_key_key_uses_ > 0) {
    if (!is_valid_utf8(object.key)) {
      return "the key is not valid UTF-8, so it cannot be part of a Labelbox global key";
    }
    chars += global_key_key_uses_ * utf8_char_count(object.key);
  }
  if (chars == 0) return "the Labelbox global key would be empty";
  if (chars > kLabelboxMaxGlobalKeyChars) {
    return "the Labelbox global key would be " + std::to_string(chars) +
           " characters long; Labelbox allows at most " +
           std::to_string(kLabelboxMaxGlobalKeyChars);
  }
  return {};
}

void RecordFormatter::append_global_key(std::string& out, std::string_view key) const {
  for (KeyPiece const& p : global_key_) {
    if (p.key) {
      append_json_escaped(out, key);
    } else {
      out.append(p.text);
    }
  }
}

std::string RecordFormatter::header() const {
  switch (format_) {
    case Format::kLabelbox:
      return "[\n";
    case Format::kCsv:
      return "url,external_id\r\n";
    default:
      return {};
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
    case Format::kLabelbox:
      out += "{\"row_data\":\"";
      break;
    case Format::kTsv:
      for (char c : object.key) {
        switch (c) {
          case '\\':
            out += "\\\\";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          default:
            out += c;
        }
      }
      out += '\t';
      break;
    case Format::kCsv:
    case Format::kUrls:
      break;
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
      // Objects reject_reason refuses never get here: the key is UTF-8, nothing to add.
      out.append(R"(","global_key":")");
      append_global_key(out, object.key);
      out.append(labelbox_tail_);
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
    case Format::kUrls:
      out += '\n';
      break;
  }
}

void RecordFormatter::error_record(std::string& out, ObjectRef const& object,
                                   std::string_view reason) const {
  append_json_key_fields(out, R"({"key":")", object.key, R"(","error":")");
  append_json_escaped(out, reason);
  out += "\"}\n";
}

}  // namespace presign::io
