// HMAC-SHA256 (RFC 2104) over our Sha256, hex and base64.
#include "presign/signers/crypto.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <type_traits>

namespace presign::signers::crypto {
HmacSha256::HmacSha256(std::span<std::uint8_t const> key) noexcept {
  // RFC 2104: keys longer than the block are hashed first; shorter ones are zero-padded.
  std::uint8_t block[64] = {};
  if (key.size() > sizeof block) {
    Sha256 h;
    h.update(key.data(), key.size());
    h.final(block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  std::uint8_t pad[64];
  for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36U);
  inner_.update(pad, sizeof pad);
  for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5cU);
  outer_.update(pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

void HmacSha256::finish(Sha256& inner, std::uint8_t* out32) const noexcept {
  std::uint8_t ih[32];
  inner.final(ih);
  Sha256 o = outer_;
  o.update(ih, sizeof ih);
  o.final(out32);
}

void HmacSha256::mac(std::string_view msg, std::uint8_t* out32) const noexcept {
  Sha256 i = inner_;
  i.update(msg);
  finish(i, out32);
}

namespace {
// Two output characters per input byte from one table load (hex was ~10% of a URL's time
// with a nibble-at-a-time loop).
constexpr auto kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    t[static_cast<std::size_t>(2 * i)] = kHex[i >> 4];
    t[static_cast<std::size_t>(2 * i + 1)] = kHex[i & 0xF];
  }
  return t;
}();
}  // namespace

void hex_lower(std::uint8_t const* in, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    std::memcpy(out + 2 * i, &kHexPairs[2 * std::size_t{in[i]}], 2);
}

std::string hex_lower(std::span<std::uint8_t const> in) {
  std::string s(in.size() * 2, '\0');
  hex_lower(in.data(), in.size(), s.data());
  return s;
}

std::string base64_encode(std::span<std::uint8_t const> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (std::size_t rest = in.size() - i; rest != 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
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

}  // namespace presign::signers::crypto
