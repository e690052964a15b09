// Standard base64 (RFC 4648 §4): the one encoder and decoder of the project (record formats,
// `ls --format ndjson`, HMAC keys and signatures).
#include "presign/core/base64.hpp"

#include <cstdint>

namespace presign {

void append_base64(std::string& out, std::string_view in) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto u = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k]));
  };
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

bool base64_decode(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  if (in.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pads = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<std::size_t>(j)];
      if (c == '=') {
        // Padding only in the last group, only in its last two places, and contiguous.
        if (i + 4 != in.size() || j < 2) return false;
        ++pads;
        v[j] = 0;
      } else {
        if (pads != 0) return false;
        v[j] = value(c);
        if (v[j] < 0) return false;
      }
    }
    std::uint32_t w = (static_cast<std::uint32_t>(v[0]) << 18) |
                      (static_cast<std::uint32_t>(v[1]) << 12) |
                      (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    // RFC 4648 §3.5: the bits a padded group carries past its last byte must be zero. A
    // canonical encoder never sets them, so "Zh==" encodes no byte string; strict decoders
    // (Go's StdEncoding.Strict(), Rust's base64 crate by default) refuse it, and so does this
    // one, so each byte string has exactly one accepted spelling.
    if ((pads == 2 && (w & 0xFFFFu) != 0) || (pads == 1 && (w & 0xFFu) != 0)) return false;
    out += static_cast<char>((w >> 16) & 0xFF);
    if (pads < 2) out += static_cast<char>((w >> 8) & 0xFF);
    if (pads < 1) out += static_cast<char>(w & 0xFF);
  }
  return true;
}

}  // namespace presign
