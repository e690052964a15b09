// The building blocks under the signers: percent-encoding (uri.hpp), SHA-256 / HMAC-SHA256 /
// base64 (crypto.hpp), and the S3Presigner's
// validation, host/addressing rules and hot-path error contract (sigv4.hpp).
//
// Expected values come from the specs, not from this code:
// - SHA-256: FIPS 180-2 appendix B / NIST CAVP examples ("abc", the 448- and 896-bit messages,
//   one million 'a').
// - HMAC-SHA256: RFC 4231 §4.2–4.8 test cases 1–7; every case is also recomputed with
//   OpenSSL's HMAC() as an independent implementation.
// - base64: RFC 4648 §10.
#include "presign/signers/uri.hpp"

#include "presign/signers/crypto.hpp"
#include "presign/signers/sigv4.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

using namespace presign;
using namespace presign::signers;
namespace crypto = presign::signers::crypto;
namespace sigv4 = presign::signers::sigv4;

namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string hex(crypto::Digest const& d) { return crypto::hex_lower(d); }

std::string primitives_sha256_hex(std::string_view msg) {
  crypto::Sha256 h;
  h.update(msg);
  return hex(h.final());
}

std::string hmac_hex(std::string_view key, std::string_view msg) {
  return hex(crypto::HmacSha256(key).mac(msg));
}

std::string openssl_hmac_hex(std::string_view key, std::string_view msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<unsigned char const*>(msg.data()), msg.size(), md, &len);
  REQUIRE(len == 32);
  return crypto::hex_lower(std::span<std::uint8_t const>(md, len));
}

std::span<std::uint8_t const> bytes(std::string_view s) {
  return {reinterpret_cast<std::uint8_t const*>(s.data()), s.size()};
}

std::string encode(std::string_view in, bool keep_slash) {
  std::string out;
  append_uri_encoded(out, in, keep_slash);
  return out;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

SigningTime at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return SigningTime{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch() + hours{h} +
                     minutes{mi} + seconds{s}};
}

sigv4::S3PresignConfig base_config() {
  sigv4::S3PresignConfig c;
  c.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  c.region = "us-east-1";
  c.bucket = "examplebucket";
  c.expires_seconds = 900;
  c.signing_time = at(2024, 1, 1);
  return c;
}

// The query-less part of the URL `sign` produces for `key`.
std::string url_base(sigv4::S3Presigner const& s, std::string_view key) {
  sigv4::S3Presigner::Scratch scratch;
  std::string out;
  REQUIRE(s.sign(ObjectRef{key, {}}, scratch, out) == SignError::kOk);
  return out.substr(0, out.find('?'));
}

// The `host:` line of the canonical request.
std::string signed_host(sigv4::S3Presigner const& s) {
  std::string const cr = s.canonical_request("k");
  auto const at_host = cr.find("\nhost:");
  REQUIRE(at_host != std::string::npos);
  auto const begin = at_host + 6;
  return cr.substr(begin, cr.find('\n', begin) - begin);
}

}  // namespace

TEST_SUITE("signers.uri") {
  TEST_CASE("uri_encode keeps exactly the RFC 3986 unreserved bytes for all 256 byte values") {
    for (int i = 0; i < 256; ++i) {
      auto const c = static_cast<unsigned char>(i);
      std::string const in(1, static_cast<char>(c));
      char buf[3];
      for (bool keep_slash : {false, true}) {
        std::size_t const n = uri_encode(in, buf, keep_slash);
        std::string const got(buf, n);
        INFO("byte " << i << " keep_slash " << keep_slash);
        if (unreserved(c) || (keep_slash && c == '/')) {
          CHECK(got == in);
        } else {
          char want[4];
          std::snprintf(want, sizeof want, "%%%02X", i);
          CHECK(got == want);
        }
        CHECK(encode(in, keep_slash) == got);
      }
    }
  }

  TEST_CASE("uri_encode writes at most three bytes per input byte and reports the length") {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    std::vector<char> buf(3 * all.size());
    std::size_t const n = uri_encode(all, buf.data(), false);
    CHECK(n == 66 + 3 * (256 - 66));
    CHECK(uri_encode("", buf.data(), true) == 0);
  }

  TEST_CASE("append_uri_encoded appends to existing content and encodes space as %20, never +") {
    std::string out = "pre/";
    append_uri_encoded(out, "a b+c/d~e", true);
    CHECK(out == "pre/a%20b%2Bc/d~e");
    append_uri_encoded(out, "/", false);
    CHECK(out == "pre/a%20b%2Bc/d~e%2F");
  }

  TEST_CASE("uri_decode inverts uri_encode for every byte, with either hex case") {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (bool keep_slash : {false, true}) {
      std::string decoded = "junk";
      REQUIRE(uri_decode(encode(all, keep_slash), decoded));
      CHECK(decoded == all);
    }
    std::string out;
    REQUIRE(uri_decode("%e1%88%b4%E1%88%B4", out));
    CHECK(out == "\xE1\x88\xB4\xE1\x88\xB4");
    REQUIRE(uri_decode("", out));
    CHECK(out.empty());
  }

  TEST_CASE("uri_decode rejects malformed escapes") {
    std::string out;
    for (char const* bad : {"%", "%4", "a%", "a%4", "%G0", "%0G", "%%41", "%-1", "%x1", "ok%2"}) {
      INFO(bad);
      CHECK_FALSE(uri_decode(bad, out));
    }
  }

  TEST_CASE("uri_decode turns + into a space only in form mode") {
    std::string out;
    REQUIRE(uri_decode("a+b%2Bc", out));
    CHECK(out == "a+b+c");
    REQUIRE(uri_decode("a+b%2Bc", out, /*plus_is_space=*/true));
    CHECK(out == "a b+c");
    REQUIRE(uri_decode("%20+", out, true));
    CHECK(out == "  ");
  }
}

TEST_SUITE("signers.crypto") {
  TEST_CASE("SHA-256 matches the FIPS 180-2 / NIST example vectors") {
    CHECK(primitives_sha256_hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(primitives_sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(primitives_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(primitives_sha256_hex(
              "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmno"
              "pqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    crypto::Sha256 h;
    std::string const chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i) h.update(chunk);
    CHECK(hex(h.final()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  TEST_CASE("a copied SHA-256 midstate resumes exactly like the original") {
    std::string msg;
    for (int i = 0; i < 300; ++i) msg += static_cast<char>(i * 7 + 3);
    for (std::size_t split : {0, 1, 55, 56, 63, 64, 65, 128, 299, 300}) {
      crypto::Sha256 head;
      head.update(std::string_view(msg).substr(0, split));
      crypto::Sha256 a = head;  // fork twice from one midstate
      crypto::Sha256 b = head;
      a.update(std::string_view(msg).substr(split));
      b.update(std::string_view(msg).substr(split));
      INFO("split " << split);
      auto const da = a.final();
      CHECK(da == b.final());
      CHECK(hex(da) == primitives_sha256_hex(msg));
    }
  }

  TEST_CASE("HMAC-SHA256 matches RFC 4231 test cases 1 to 7 and OpenSSL") {
    struct Case {
      std::string key, data, mac;
    };
    std::vector<Case> const cases = {
        {std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {std::string(20, '\xaa'), std::string(50, '\xdd'),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        // Test case 5 specifies only the first 128 bits of the output.
        {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
        {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {std::string(131, '\xaa'),
         "This is a test using a larger than block-size key and a larger than block-size data. "
         "The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
      INFO("RFC 4231 test case " << i + 1);
      std::string const got = hmac_hex(cases[i].key, cases[i].data);
      CHECK(got.substr(0, cases[i].mac.size()) == cases[i].mac);
      CHECK(got == openssl_hmac_hex(cases[i].key, cases[i].data));
    }
  }

  TEST_CASE("HMAC-SHA256 agrees with OpenSSL for key lengths around the block size") {
    for (std::size_t klen : {0, 1, 31, 32, 63, 64, 65, 200}) {
      std::string key(klen, '\0');
      for (std::size_t i = 0; i < klen; ++i) key[i] = static_cast<char>(i * 13 + 1);
      INFO("key length " << klen);
      CHECK(hmac_hex(key, "message") == openssl_hmac_hex(key, "message"));
      // The span and string_view constructors are the same key.
      CHECK(hex(crypto::HmacSha256(bytes(key)).mac("message")) == hmac_hex(key, "message"));
    }
  }

  TEST_CASE("an HMAC continued from a copy of its inner midstate equals the one-shot MAC") {
    crypto::HmacSha256 const mac("key");
    std::string const head = "AWS4-HMAC-SHA256\n20130524T000000Z\n";
    std::string const tail = "20130524/us-east-1/s3/aws4_request\nabcdef";
    crypto::Sha256 mid = mac.inner();
    mid.update(head);
    for (int round = 0; round < 2; ++round) {  // the midstate is reusable
      crypto::Sha256 inner = mid;
      inner.update(tail);
      crypto::Digest d;
      mac.finish(inner, d.data());
      CHECK(hex(d) == hmac_hex("key", head + tail));
    }
  }

  TEST_CASE("hex_lower writes two lower-case digits per byte") {
    std::array<std::uint8_t, 4> const in{0x00, 0x0f, 0xa0, 0xff};
    CHECK(crypto::hex_lower(in) == "000fa0ff");
    CHECK(crypto::hex_lower(std::span<std::uint8_t const>{}).empty());
  }

  TEST_CASE("base64 matches the RFC 4648 section 10 vectors both ways") {
    std::pair<char const*, char const*> const vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto const& [plain, encoded] : vectors) {
      auto const& shown = plain;  // (clang 14 cannot capture a structured binding)
      INFO(shown);
      CHECK(crypto::base64_encode(bytes(plain)) == encoded);
      std::string out = "junk";
      REQUIRE(crypto::base64_decode(encoded, out));
      CHECK(out == plain);
    }
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(255 - i);
    std::string out;
    REQUIRE(crypto::base64_decode(crypto::base64_encode(bytes(all)), out));
    CHECK(out == all);
  }

  TEST_CASE("base64 decoding is strict about the alphabet, length and padding") {
    std::string out;
    for (char const* bad : {"Z", "Zg", "Zg=", "Zm9vY", "Z===", "====", "=Zg=", "Zg==Zg==", "Zg=a",
                            "Zm9v\n", "Zm 9v", "Zm9v-_==", "Zm9v!!==", "Zg==\r\n"}) {
      INFO("'" << bad << "'");
      CHECK_FALSE(crypto::base64_decode(bad, out));
    }
  }

  TEST_CASE("base64 decoding refuses non-zero bits after the last byte as strict decoders do") {
    // RFC 4648 §3.5: the pad bits of the last group must be zero; a canonical encoder never
    // sets them, so "Zh==" (Z = 011001, h = 100001: the low four bits 0001 are pad bits) is
    // not the encoding of any byte string. Go's StdEncoding.Strict() and Rust's base64 crate
    // (by default) refuse it.
    std::string out;
    for (char const* bad :
         {"Zh==", "Zj==", "Zv==", "Z/==", "Zm9=", "Zm+=", "Zm9vYh==", "Zm9vYmF="}) {
      INFO("'" << bad << "'");
      CHECK_FALSE(crypto::base64_decode(bad, out));
    }
    // Zero pad bits decode: g = 100000, w = 110000, 8 = 111100, A = 000000.
    std::pair<char const*, std::string> const good[] = {{"Zg==", "f"},
                                                        {"Zw==", "g"},
                                                        {"Zm8=", "fo"},
                                                        {"AA==", std::string(1, '\0')},
                                                        {"AAA=", std::string(2, '\0')}};
    for (auto const& [encoded, plain] : good) {
      auto const& shown = encoded;  // (clang 14 cannot capture a structured binding)
      INFO("'" << shown << "'");
      REQUIRE(crypto::base64_decode(encoded, out));
      CHECK(out == plain);
    }
  }
}

TEST_SUITE("signers.s3") {
  TEST_CASE("is_dns_compatible_bucket follows botocore's virtual-hosting rule") {
    for (char const* ok : {"abc", "my-bucket", "123", "a1-b2-c3", "examplebucket"}) {
      INFO(ok);
      CHECK(sigv4::is_dns_compatible_bucket(ok));
    }
    CHECK(sigv4::is_dns_compatible_bucket(std::string(63, 'a')));
    for (char const* bad : {"", "ab", "-abc", "abc-", "My-bucket", "a.b.c", "my_bucket", "a b",
                            "abc/", "\xC3\xA9tude"}) {
      INFO(bad);
      CHECK_FALSE(sigv4::is_dns_compatible_bucket(bad));
    }
    CHECK_FALSE(sigv4::is_dns_compatible_bucket(std::string(64, 'a')));
  }

  TEST_CASE("S3Presigner::create accepts expiries of 1 to 604800 seconds only") {
    for (std::int64_t ok : std::initializer_list<std::int64_t>{1, 3600, 604800}) {
      auto c = base_config();
      c.expires_seconds = ok;
      CHECK(sigv4::S3Presigner::create(c).has_value());
    }
    for (std::int64_t bad : std::initializer_list<std::int64_t>{
             0, -1, 604801, std::numeric_limits<std::int64_t>::max()}) {
      auto c = base_config();
      c.expires_seconds = bad;
      auto const r = sigv4::S3Presigner::create(c);
      INFO(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.find(std::to_string(bad)) != std::string::npos);
    }
  }

  TEST_CASE("S3Presigner::create refuses methods other than GET, PUT and HEAD") {
    for (char const* ok : {"GET", "PUT", "HEAD"}) {
      auto c = base_config();
      c.method = ok;
      CHECK(sigv4::S3Presigner::create(c).has_value());
    }
    for (char const* bad : {"get", "POST", "DELETE", "", "GET "}) {
      auto c = base_config();
      c.method = bad;
      auto const r = sigv4::S3Presigner::create(c);
      INFO("'" << bad << "'");
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
    }
  }

  TEST_CASE("S3Presigner::create refuses endpoints that are not scheme://host[:port]") {
    for (char const* bad :
         {"127.0.0.1:9000", "ftp://example.com", "http://", "https:///", "http://host/path",
          "http://host?x=1", "http://host#f", "http://user@host", "http://ho st"}) {
      auto c = base_config();
      c.endpoint = bad;
      auto const r = sigv4::S3Presigner::create(c);
      INFO("'" << bad << "'");
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
    }
    auto c = base_config();
    c.endpoint = "HTTP://Example.COM:9000/";  // scheme and host case-folded, trailing '/' dropped
    c.addressing = sigv4::Addressing::kPath;
    auto const s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(url_base(*s, "k") == "http://example.com:9000/examplebucket/k");
  }

  TEST_CASE(
      "S3Presigner::create refuses an endpoint with a control character, as the lister does") {
    // Before core's one endpoint parser the signer accepted "\t", "\r" and "\n" here (the
    // lister refused them); the message shows the byte escaped, never raw.
    for (std::string const ep : {"http://127.0.0.1:1\t", "http://127.0.0.1:1\r\n", "http://h\x01:1",
                                 "http://h\x7f", "http://h:0", "http://h:65536", "http://h:x"}) {
      CAPTURE(ep);
      auto c = base_config();
      c.endpoint = ep;
      auto const r = sigv4::S3Presigner::create(c);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.starts_with("endpoint '"));
      for (char ch : r.error().detail) CHECK(static_cast<unsigned char>(ch) >= 0x20);
    }
  }

  TEST_CASE("S3Presigner::create refuses empty credentials, bucket and bad regions") {
    auto c = base_config();
    c.credentials.access_key_id.clear();
    auto r = sigv4::S3Presigner::create(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);
    c = base_config();
    c.credentials.secret_access_key.clear();
    r = sigv4::S3Presigner::create(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);
    c = base_config();
    c.bucket.clear();
    CHECK_FALSE(sigv4::S3Presigner::create(c).has_value());
    for (char const* bad : {"", "US-EAST-1", "us east 1", "us-east-1/x"}) {
      c = base_config();
      c.region = bad;
      INFO("'" << bad << "'");
      CHECK_FALSE(sigv4::S3Presigner::create(c).has_value());
    }
  }

  TEST_CASE("the secret access key never appears in a create error") {
    auto c = base_config();
    c.expires_seconds = 0;
    auto const r = sigv4::S3Presigner::create(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find(c.credentials.secret_access_key) == std::string::npos);
  }

  TEST_CASE("auto addressing is virtual-hosted for DNS-compatible names on AWS") {
    auto c = base_config();
    c.addressing = sigv4::Addressing::kAuto;
    auto s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "examplebucket.s3.amazonaws.com");
    CHECK(url_base(*s, "dir/a b.txt") == "https://examplebucket.s3.amazonaws.com/dir/a%20b.txt");
    // botocore 1.29 uses the global host for virtual-hosted URLs in every region.
    c.region = "eu-west-1";
    s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "examplebucket.s3.amazonaws.com");
  }

  TEST_CASE("auto addressing is path style for dotted and other non-DNS bucket names") {
    auto c = base_config();
    c.bucket = "my.dotted.bucket";
    auto s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "s3.amazonaws.com");
    CHECK(url_base(*s, "k") == "https://s3.amazonaws.com/my.dotted.bucket/k");
    CHECK(s->canonical_request("k").starts_with("GET\n/my.dotted.bucket/k\n"));
    c.bucket = "Upper_Case";
    s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(url_base(*s, "k") == "https://s3.amazonaws.com/Upper_Case/k");
  }

  TEST_CASE("path style uses s3.amazonaws.com in us-east-1 and s3.REGION.amazonaws.com elsewhere") {
    auto c = base_config();
    c.addressing = sigv4::Addressing::kPath;
    auto s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "s3.amazonaws.com");
    CHECK(url_base(*s, "k") == "https://s3.amazonaws.com/examplebucket/k");
    c.region = "ap-northeast-1";
    s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "s3.ap-northeast-1.amazonaws.com");
    CHECK(signed_host(*s) == "s3.ap-northeast-1.amazonaws.com");
    CHECK(url_base(*s, "k") == "https://s3.ap-northeast-1.amazonaws.com/examplebucket/k");
  }

  TEST_CASE("auto addressing is path style on an IP-address endpoint and virtual on a name") {
    auto c = base_config();
    c.endpoint = "http://127.0.0.1:9000";
    auto s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(url_base(*s, "k") == "http://127.0.0.1:9000/examplebucket/k");
    c.endpoint = "http://[::1]:9000";
    s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(url_base(*s, "k") == "http://[::1]:9000/examplebucket/k");
    c.endpoint = "https://minio.example.com:9000";
    s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(url_base(*s, "k") == "https://examplebucket.minio.example.com:9000/k");
    CHECK(signed_host(*s) == "examplebucket.minio.example.com:9000");
  }

  TEST_CASE("an endpoint port is kept in the URL and the signed host") {
    auto c = base_config();
    c.endpoint = "http://127.0.0.1:4569";
    c.addressing = sigv4::Addressing::kPath;
    auto const s = sigv4::S3Presigner::create(c);
    REQUIRE(s.has_value());
    CHECK(s->host() == "127.0.0.1:4569");
    CHECK(signed_host(*s) == "127.0.0.1:4569");
    CHECK(url_base(*s, "k") == "http://127.0.0.1:4569/examplebucket/k");
  }

  TEST_CASE("a default port is kept in the URL but stripped from the signed host") {
    struct Case {
      char const* endpoint;
      char const* host;
      char const* url;
    };
    for (auto const& [endpoint, host, url] : {
             Case{"http://127.0.0.1:80", "127.0.0.1", "http://127.0.0.1:80/examplebucket/k"},
             Case{"https://127.0.0.1:443", "127.0.0.1", "https://127.0.0.1:443/examplebucket/k"},
             Case{"http://127.0.0.1:443", "127.0.0.1:443", "http://127.0.0.1:443/examplebucket/k"},
             Case{"https://127.0.0.1:8080", "127.0.0.1:8080",
                  "https://127.0.0.1:8080/examplebucket/k"},
         }) {
      auto c = base_config();
      c.endpoint = endpoint;
      c.addressing = sigv4::Addressing::kPath;
      auto const s = sigv4::S3Presigner::create(c);
      auto const& shown = endpoint;  // (clang 14 cannot capture a structured binding)
      INFO(shown);
      REQUIRE(s.has_value());
      CHECK(s->host() == std::string(host));
      CHECK(signed_host(*s) == std::string(host));
      CHECK(url_base(*s, "k") == std::string(url));
    }
  }

  TEST_CASE("sign leaves the buffer unchanged for an empty or 1025-byte key") {
    auto const s = sigv4::S3Presigner::create(base_config());
    REQUIRE(s.has_value());
    sigv4::S3Presigner::Scratch scratch;
    std::string out = "previous record\n";
    CHECK(s->sign(ObjectRef{"", {}}, scratch, out) == SignError::kEmptyKey);
    CHECK(out == "previous record\n");
    std::string const long_key(1025, 'k');
    CHECK(s->sign(ObjectRef{long_key, {}}, scratch, out) == SignError::kKeyTooLong);
    CHECK(out == "previous record\n");
  }

  TEST_CASE("sign appends the URL of a 1024-byte key, even one encoding to 3072 bytes") {
    auto const s = sigv4::S3Presigner::create(base_config());
    REQUIRE(s.has_value());
    sigv4::S3Presigner::Scratch scratch;
    for (char fill : {'k', '\xff'}) {
      std::string const key(1024, fill);
      std::string out = "previous\n";
      REQUIRE(s->sign(ObjectRef{key, {}}, scratch, out) == SignError::kOk);
      CHECK(out.starts_with("previous\nhttps://examplebucket.s3.amazonaws.com/"));
      std::string decoded;
      std::string const path = out.substr(9 + 39, out.find('?') - 9 - 39);
      REQUIRE(uri_decode(path, decoded));
      CHECK(decoded == key);
      CHECK(out.size() - out.find("X-Amz-Signature=") == 16 + 64);
    }
  }
}
