// Azure Blob service SAS, the batch hot path (AzureSasSigner): one HMAC per URL, the blob name
// percent-encoded and checked in one pass, the signature base64-encoded and URL-quoted from
// tables. See azure_sas.hpp for the layout and its sources; the staged API and the validation
// are in azure_sas.cpp.
#include "presign/signers/azure_sas.hpp"

#include "azure_sas_detail.hpp"

#include "presign/core/utf8.hpp"
#include "presign/signers/uri.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string_view>
#include <utility>

namespace presign::signers::azure {
namespace {

using detail::Cleanse;
using detail::validate_target;

// ---- Hot-path encoders --------------------------------------------------------------------

// Blob-name byte → its URL form: 1 byte as is (unreserved or '/'), else "%XX". Python's
// BlobClient writes quote(name, safe='~/'), the same set.
struct Escape {
  char c[3];
  std::uint8_t len;
};

constexpr std::array<Escape, 256> kNameEscapes = [] {
  std::array<Escape, 256> t{};
  constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = 0; i < 256; ++i) {
    auto const c = static_cast<char>(i);
    bool const keep = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') || (i >= '0' && i <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    auto& e = t[static_cast<std::size_t>(i)];
    if (keep) {
      e = Escape{{c, 0, 0}, 1};
    } else {
      e = Escape{{'%', kHex[i >> 4], kHex[i & 0xF]}, 3};
    }
  }
  return t;
}();

// Base64 alphabet entry → its URL form: '+' → %2B (and '/' kept), as quote(sig) writes it.
constexpr std::array<Escape, 64> kSigEscapes = [] {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<Escape, 64> t{};
  for (std::size_t i = 0; i < 64; ++i) {
    t[i] = kAlphabet[i] == '+' ? Escape{{'%', '2', 'B'}, 3} : Escape{{kAlphabet[i], 0, 0}, 1};
  }
  return t;
}();

// Two base64 characters per 12 bits of input, one table load each (8 KiB, stays in L1).
constexpr std::array<char, 2 * 4096> kBase64Pairs = [] {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<char, 2 * 4096> t{};
  for (std::size_t i = 0; i < 4096; ++i) {
    t[2 * i] = kAlphabet[i >> 6];
    t[2 * i + 1] = kAlphabet[i & 63];
  }
  return t;
}();

// The longest quoted signature: 43 base64 characters, each "%2B" at worst, and "%3D".
constexpr std::size_t kQuotedSigBytes = 43 * 3 + 3;

// base64 of a 32-byte MAC, then URL-quoted: 43 characters and the pad '=' as "%3D", with
// '+' as "%2B" ('/' stays, as quote(sig) writes it). `out` must hold kQuotedSigBytes; returns
// the length written. Six MAC bytes become eight characters from four table loads and are
// stored at once, unless one of them is a '+' (about one block in nine), which is written
// character by character.
std::size_t quoted_base64_mac(std::uint8_t const* mac, char* out) noexcept {
  // The MAC is read as eight 4-byte words: Sha256::final has just stored it that way, and a
  // load that spans two stores would stall store-to-load forwarding.
  std::uint64_t word[8];
  for (std::size_t k = 0; k < 8; ++k) {
    std::uint32_t w;
    std::memcpy(&w, mac + 4 * k, 4);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
    word[k] = w;
  }
  // Bytes 0-29 as five 48-bit big-endian groups; bytes 30-31 are the low half of word 7.
  std::uint64_t const groups[5] = {
      (word[0] << 16) | (word[1] >> 16), ((word[1] & 0xFFFF) << 32) | word[2],
      (word[3] << 16) | (word[4] >> 16), ((word[4] & 0xFFFF) << 32) | word[5],
      (word[6] << 16) | (word[7] >> 16)};
  char* p = out;
  auto pair = [](std::uint64_t twelve_bits) { return &kBase64Pairs[2 * (twelve_bits & 0xFFF)]; };
  for (std::uint64_t const g : groups) {
    char oct[8];
    std::memcpy(oct, pair(g >> 36), 2);
    std::memcpy(oct + 2, pair(g >> 24), 2);
    std::memcpy(oct + 4, pair(g >> 12), 2);
    std::memcpy(oct + 6, pair(g), 2);
    std::uint64_t q;
    std::memcpy(&q, oct, 8);
    std::uint64_t const x = q ^ 0x2B2B2B2B2B2B2B2BULL;  // a zero byte where oct holds '+'
    if (((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) == 0) {
      std::memcpy(p, oct, 8);
      p += 8;
      continue;
    }
    for (char c : oct) {
      if (c == '+') {
        std::memcpy(p, "%2B", 3);
        p += 3;
      } else {
        *p++ = c;
      }
    }
  }
  // Bytes 30 and 31: three characters, then the pad.
  auto const v = static_cast<std::uint32_t>((word[7] & 0xFFFF) << 8);
  for (std::uint32_t six : {v >> 18, v >> 12, v >> 6}) {
    Escape const& e = kSigEscapes[six & 63];
    std::memcpy(p, e.c, 3);  // always 3 bytes; the cursor moves by the real length
    p += e.len;
  }
  std::memcpy(p, "%3D", 3);
  p += 3;
  return static_cast<std::size_t>(p - out);
}

#if defined(__SSE2__)
// Bit i set when byte i of `v` stays as it is in a URL path: A-Z a-z 0-9 - . _ ~ /.
// "-./0-9" is one range (0x2D-0x39) and the letters are one range after OR 0x20; each range
// test shifts [lo, hi] to the bottom of the signed byte range and compares once.
inline unsigned kept_mask16(__m128i v) noexcept {
  auto in_range = [](__m128i x, char lo, char hi) {
    __m128i const shifted = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
  };
  __m128i keep = in_range(v, 0x2D, 0x39);
  keep = _mm_or_si128(keep, in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'));
  keep = _mm_or_si128(keep, _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
  keep = _mm_or_si128(keep, _mm_cmpeq_epi8(v, _mm_set1_epi8('~')));
  return static_cast<unsigned>(_mm_movemask_epi8(keep));
}

// Copies r < 16 bytes with at most two overlapping fixed-size moves (no library call).
inline void copy_short(char* d, unsigned char const* s, std::size_t r) noexcept {
  if (r >= 8) {
    std::memcpy(d, s, 8);
    std::memcpy(d + r - 8, s + r - 8, 8);
  } else if (r >= 4) {
    std::memcpy(d, s, 4);
    std::memcpy(d + r - 4, s + r - 4, 4);
  } else {
    for (std::size_t k = 0; k < r; ++k) d[k] = static_cast<char>(s[k]);
  }
}
#endif

enum class NameCheck : std::uint8_t { kOk, kTooLong, kInvalid };

// Percent-encodes `name` into `out` while checking that it is well-formed UTF-8 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF) of at most 1,024 characters, and
// notes whether it holds a backslash. One pass. `out` must hold 3 * name.size() bytes: every
// escaped byte writes 3, and a 16-byte store happens only while 16 input bytes remain, so
// no write passes 3 * size.
NameCheck encode_blob_name(std::string_view name, char* out, std::size_t& written,
                           bool& backslash) noexcept {
  auto const* s = reinterpret_cast<unsigned char const*>(name.data());
  std::size_t const n = name.size();
  char* p = out;
  std::size_t chars = 0;
  std::size_t i = 0;
  backslash = false;
  auto emit = [&p](unsigned char c) {
    Escape const& e = kNameEscapes[c];
    std::memcpy(p, e.c, 3);
    p += e.len;
  };
  while (i < n) {
    // First the run of bytes that stay as they are (ASCII, one character each): most names
    // are mostly such runs.
    std::size_t const run_start = i;
#if defined(__SSE2__)
    while (i + 16 <= n) {  // 16 at a time, stored as loaded
      __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s + i));
      unsigned const mask = kept_mask16(v);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
      if (mask != 0xFFFFU) {
        auto const k = static_cast<unsigned>(__builtin_ctz(~mask));
        p += k;
        i += k;
        break;
      }
      p += 16;
      i += 16;
    }
    if (i + 16 > n && n >= 16 && i < n) {
      // The last 1-15 bytes: test the 16 that end the name (overlapping bytes already seen).
      std::size_t const base = n - 16;
      __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s + base));
      std::size_t const r = n - i;
      unsigned const stop = ~(kept_mask16(v) >> (i - base)) & ((1U << r) - 1U);
      std::size_t const k = stop == 0 ? r : static_cast<std::size_t>(__builtin_ctz(stop));
      copy_short(p, s + i, k);
      p += k;
      i += k;
    }
#endif
    while (i < n && kNameEscapes[s[i]].len == 1) *p++ = static_cast<char>(s[i++]);
    chars += i - run_start;
    if (i == n) break;
    unsigned char const c = s[i];
    ++chars;
    if (c < 0x80) {
      backslash |= c == '\\';
      emit(c);
      ++i;
      continue;
    }
    std::size_t const len = utf8_sequence_length(name, i);  // RFC 3629 §4 table
    if (len == 0) return NameCheck::kInvalid;
    for (std::size_t k = 0; k < len; ++k) emit(s[i + k]);
    i += len;
  }
  if (chars > kMaxBlobNameChars) return NameCheck::kTooLong;
  written = static_cast<std::size_t>(p - out);
  return NameCheck::kOk;
}

}  // namespace

// ---- AzureSasSigner -----------------------------------------------------------------------

Result<AzureSasSigner> AzureSasSigner::create(AzureSasConfig config) {
  Cleanse wipe_given{config.account_key};
  std::string no_value;
  Cleanse wipe_delegation{config.delegation_key ? config.delegation_key->value : no_value};
  std::string key;
  Cleanse wipe_decoded{key};
  auto ep = validate_target(config, key);
  if (!ep) return ep.error();
  auto fields = make_sas_fields(config, SasResource::kBlob);
  if (!fields) return fields.error();

  AzureSasSigner s;
  s.account_ = config.account;
  s.container_ = config.container;
  s.fields_ = std::move(*fields);
  s.https_ = ep->https;
  SasFields const& f = s.fields_;

  // URL: endpoint, the container quoted as Python's quote(container) does, then the name.
  s.url_prefix_ = ep->base + "/";
  append_uri_encoded(s.url_prefix_, config.container, /*keep_slash=*/false);
  s.url_prefix_ += '/';

  // Query: BlobClient puts "snapshot=T&" before the token; T is validated to [0-9T:.Z-],
  // which is legal in a query as is, so it is written unquoted as the SDK does.
  s.query_head_ = "?";
  if (!f.snapshot_param.empty()) s.query_head_ += f.snapshot_param + "=" + f.snapshot_time + "&";
  // The token without sig (sas_token skips empty values), then "&sig=" for sign() to finish.
  s.query_head_ += azure::sas_token(f, "");
  s.query_head_ += "&sig=";

  // String to sign: the constant head (fields 1-3 and the resource up to the name) goes into
  // the HMAC inner midstate; the constant tail (every field after the resource: a service
  // SAS's si ... rsct, a user delegation SAS's skoid ... rsct) is hashed after each name.
  std::string head = string_to_sign_head(f);
  head += canonicalized_resource(config.account, config.container, {});
  head += '/';
  s.sts_tail_ = string_to_sign_tail(f);
  s.assemble_ = s.url_prefix_.size() + s.query_head_.size() + kQuotedSigBytes <=
                sizeof(Scratch::url) - 3 * kMaxBlobNameBytes;
  s.key_ =
      crypto::HmacSha256(std::span{reinterpret_cast<std::uint8_t const*>(key.data()), key.size()});
  s.sts_head_ = s.key_.inner();
  s.sts_head_.update(head);
  return s;
}

SignError AzureSasSigner::sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept {
  std::string_view const name = object.key;
  if (name.empty()) return SignError::kEmptyKey;
  if (name.size() > kMaxBlobNameBytes) return SignError::kKeyTooLong;
  // The URL is assembled in the scratch (prefix, encoded name, query, sig) and appended to
  // `out` with one copy, unless the constant pieces are too long for it (a very long endpoint
  // or response overrides); then the pieces are appended one by one.
  std::size_t const prefix = assemble_ ? url_prefix_.size() : 0;
  char* const base = scratch.url;
  // One HMAC: the midstate already holds "sp\nst\nse\n/blob/ACCOUNT/CONTAINER/". It is computed
  // before the name is encoded and checked: SHA-256 is one long dependency chain, and the
  // encoder's independent work then runs while the last block is still being compressed.
  // A name the encoder refuses has cost one wasted HMAC (rare).
  crypto::Sha256 inner = sts_head_;
  inner.update(name);
  inner.update(sts_tail_);
  std::uint8_t mac[32];
  key_.finish(inner, mac);
  std::size_t n = 0;
  bool backslash = false;
  switch (encode_blob_name(name, base + prefix, n, backslash)) {
    case NameCheck::kOk:
      break;
    case NameCheck::kTooLong:
      return SignError::kKeyTooLong;
    case NameCheck::kInvalid:
      return SignError::kInvalidKey;
  }
  if (backslash) {
    // The service reads a backslash in a blob name as '/' (see canonicalized_resource): sign
    // a copy with the backslashes replaced; the URL keeps them (%5C).
    std::memcpy(scratch.signed_name, name.data(), name.size());
    std::replace(scratch.signed_name, scratch.signed_name + name.size(), '\\', '/');
    inner = sts_head_;
    inner.update(scratch.signed_name, name.size());
    inner.update(sts_tail_);
    key_.finish(inner, mac);
  }
  if (assemble_) {
    std::memcpy(base, url_prefix_.data(), prefix);
    char* q = base + prefix + n;
    std::memcpy(q, query_head_.data(), query_head_.size());
    q += query_head_.size();
    q += quoted_base64_mac(mac, q);
    out.append(base, static_cast<std::size_t>(q - base));
    return SignError::kOk;
  }
  char sig[kQuotedSigBytes];
  std::size_t const sig_len = quoted_base64_mac(mac, sig);
  out.append(url_prefix_);
  out.append(base, n);
  out.append(query_head_);
  out.append(sig, sig_len);
  return SignError::kOk;
}

std::string AzureSasSigner::string_to_sign(std::string_view blob) const {
  return azure::string_to_sign(fields_, canonicalized_resource(account_, container_, blob));
}

std::string AzureSasSigner::sas_token(std::string_view blob) const {
  auto const mac = key_.mac(string_to_sign(blob));
  return azure::sas_token(fields_, crypto::base64_encode(mac));
}

}  // namespace presign::signers::azure
