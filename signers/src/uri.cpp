#include "presign/signers/uri.hpp"

#include <array>

namespace presign::signers {
namespace {

// One table lookup per byte: 1 = emit as is. RFC 3986 §2.3 unreserved characters; '/' is
// handled by the caller's `keep_slash` so the table stays shared.
constexpr std::array<bool, 256> make_unreserved() {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  t['-'] = t['.'] = t['_'] = t['~'] = true;
  return t;
}

constexpr auto kUnreserved = make_unreserved();
constexpr char kHexUpper[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::size_t uri_encode(std::string_view in, char* out, bool keep_slash) noexcept {
  char* p = out;
  for (char ch : in) {
    auto const c = static_cast<unsigned char>(ch);
    if (kUnreserved[c] || (keep_slash && c == '/')) {
      *p++ = ch;
    } else {
      p[0] = '%';
      p[1] = kHexUpper[c >> 4];
      p[2] = kHexUpper[c & 0xF];
      p += 3;
    }
  }
  return static_cast<std::size_t>(p - out);
}

void append_uri_encoded(std::string& out, std::string_view in, bool keep_slash) {
  std::size_t const old = out.size();
  out.resize(old + 3 * in.size());
  out.resize(old + uri_encode(in, out.data() + old, keep_slash));
}

std::string encode_query(std::vector<std::pair<std::string, std::string>> const& params) {
  std::string out;
  for (auto const& [name, value] : params) {
    if (!out.empty()) out += '&';
    append_uri_encoded(out, name, false);
    out += '=';
    append_uri_encoded(out, value, false);
  }
  return out;
}

bool uri_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace presign::signers
