// The service-account JWT assertion (signers/src/gcs_oauth.cpp), stage by stage.
//
// Expected strings are written out by hand from RFC 7515 (JWS compact form, base64url without
// padding), RFC 7523 and Google's "Using OAuth 2.0 for Server to Server Applications" (the
// header and claim names); the base64url vectors are RFC 4648 §10's, re-spelt in the URL-safe
// alphabet. The signature is checked with OpenSSL's EVP_DigestVerify against the *public* half
// of Google's published dummy key (tests/vectors/gcs/test_service_account.not-a-test.json),
// exported and re-imported as a SubjectPublicKeyInfo so nothing of the private key is used.
#include "presign/signers/gcs_oauth.hpp"

#include "presign/signers/crypto.hpp"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "test_support.hpp"

using namespace presign;
using namespace presign::signers::gcs;

namespace {

std::string key_path() { return test::vectors_dir() + "/gcs/test_service_account.not-a-test.json"; }

std::string private_pem_of(std::string const& json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  std::string_view pem;
  REQUIRE(parser.parse(padded)["private_key"].get_string().get(pem) == simdjson::SUCCESS);
  return std::string(pem);
}

// The key as the signers take it: the file's e-mail and PEM private key.
Result<ServiceAccountKey> from_pem_of(std::string const& json) {
  return ServiceAccountKey::from_pem(
      "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com", private_pem_of(json),
      "test key");
}

// The public key only: private PEM → EVP_PKEY → SubjectPublicKeyInfo PEM → EVP_PKEY.
EVP_PKEY* public_key_of(std::string const& private_pem) {
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* priv = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(priv != nullptr);
  BIO* mem = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(mem, priv) == 1);
  EVP_PKEY_free(priv);
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(mem, nullptr, nullptr, nullptr);
  BIO_free(mem);
  REQUIRE(pub != nullptr);
  return pub;
}

bool base64url_decode(std::string_view in, std::string& out) {
  std::string s(in);
  for (char& c : s) {
    if (c == '+' || c == '/' || c == '=') return false;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s += '=';
  return signers::crypto::base64_decode(s, out);
}

bool verifies(EVP_PKEY* pub, std::string_view input, std::string const& sig) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool const ok =
      EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
      EVP_DigestVerify(md, reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

}  // namespace

TEST_SUITE("signers.gcs_oauth") {
  TEST_CASE("base64url has the URL-safe alphabet and no padding") {
    CHECK(oauth::base64url(std::string_view("")) == "");
    CHECK(oauth::base64url(std::string_view("f")) == "Zg");
    CHECK(oauth::base64url(std::string_view("fo")) == "Zm8");
    CHECK(oauth::base64url(std::string_view("foo")) == "Zm9v");
    CHECK(oauth::base64url(std::string_view("foob")) == "Zm9vYg");
    CHECK(oauth::base64url(std::string_view("fooba")) == "Zm9vYmE");
    CHECK(oauth::base64url(std::string_view("foobar")) == "Zm9vYmFy");
    // Standard base64 of FB FF BF is "+/+/": URL-safe is "-_-_".
    CHECK(oauth::base64url(std::string_view("\xfb\xff\xbf")) == "-_-_");
    CHECK(oauth::base64url(std::string_view("\xfb\xff")) == "-_8");
  }

  TEST_CASE("the header is exactly alg RS256 and typ JWT with the key id when known") {
    CHECK(oauth::jwt_header_json("") == R"({"alg":"RS256","typ":"JWT"})");
    CHECK(oauth::jwt_header_json("ffff0123") == R"({"alg":"RS256","typ":"JWT","kid":"ffff0123"})");
  }

  TEST_CASE("the claims are iss scope aud iat and exp one hour later in that order") {
    oauth::ServiceAccountInfo info{"sa@p.iam.gserviceaccount.com", "kid",
                                   "https://oauth2.googleapis.com/token"};
    auto const c = oauth::make_claims(info, SigningTime{std::chrono::seconds{1700000000}});
    CHECK(
        oauth::jwt_claims_json(c) ==
        R"({"iss":"sa@p.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/devstorage.read_only",)"
        R"("aud":"https://oauth2.googleapis.com/token","iat":1700000000,"exp":1700003600})");
    // Quotes, backslashes and controls are escaped: the JSON stays one valid document.
    CHECK(oauth::json_quote("a\"b\\c\x01\n") == R"("a\"b\\c\u0001\u000a")");
  }

  TEST_CASE("the key file gives client_email private_key_id and token_uri") {
    auto info = oauth::parse_service_account_info(test::read_file(key_path()), "test key");
    REQUIRE(info.has_value());
    CHECK(info->client_email == "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com");
    CHECK(info->private_key_id == "ffffffffffffffffffffffffffffffffffffffff");
    CHECK(info->token_uri == "https://oauth2.googleapis.com/token");
  }

  TEST_CASE("a missing token_uri defaults to Google and a non-http one is refused") {
    auto d = oauth::parse_service_account_info(R"({"client_email":"a@b"})", "k.json");
    REQUIRE(d.has_value());
    CHECK(d->token_uri == oauth::kDefaultTokenUri);
    CHECK(d->private_key_id.empty());
    auto const bad = oauth::parse_service_account_info(
        R"({"client_email":"a@b","token_uri":"file:///etc/passwd"})", "k.json");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::kConfig);
    CHECK(bad.error().detail.find("token_uri") != std::string::npos);
    CHECK_FALSE(oauth::parse_service_account_info(
                    R"({"client_email":"a@b","token_uri":"http://a b/"})", "k")
                    .has_value());
    CHECK_FALSE(oauth::parse_service_account_info(R"({"token_uri":"http://x/"})", "k").has_value());
    CHECK_FALSE(oauth::parse_service_account_info("not json", "k").has_value());
  }

  TEST_CASE(
      "the assertion is header dot claims dot a signature that verifies with the public key") {
    std::string const json = test::read_file(key_path());
    auto key = from_pem_of(json);
    REQUIRE(key.has_value());
    auto info = oauth::parse_service_account_info(json, "test key");
    REQUIRE(info.has_value());
    info->token_uri = "http://127.0.0.1:9/token";
    SigningTime const t{std::chrono::seconds{1714564800}};
    auto jwt = oauth::make_assertion(*key, *info, t);
    REQUIRE(jwt.has_value());

    auto const d1 = jwt->find('.');
    auto const d2 = jwt->find('.', d1 + 1);
    REQUIRE(d2 != std::string::npos);
    CHECK(jwt->find('.', d2 + 1) == std::string::npos);
    CHECK(jwt->find_first_of("+/=") == std::string::npos);

    std::string header;
    std::string claims;
    std::string sig;
    REQUIRE(base64url_decode(std::string_view(*jwt).substr(0, d1), header));
    REQUIRE(base64url_decode(std::string_view(*jwt).substr(d1 + 1, d2 - d1 - 1), claims));
    REQUIRE(base64url_decode(std::string_view(*jwt).substr(d2 + 1), sig));
    CHECK(header ==
          R"({"alg":"RS256","typ":"JWT","kid":"ffffffffffffffffffffffffffffffffffffffff"})");
    CHECK(claims == R"({"iss":"test-iam-credentials@dummy-project-id.iam.gserviceaccount.com",)"
                    R"("scope":"https://www.googleapis.com/auth/devstorage.read_only",)"
                    R"("aud":"http://127.0.0.1:9/token","iat":1714564800,"exp":1714568400})");
    CHECK(sig.size() == key->signature_bytes());
    CHECK(std::string_view(*jwt).substr(0, d2) == oauth::jwt_signing_input(header, claims));

    EVP_PKEY* pub = public_key_of(private_pem_of(json));
    std::string_view const input = std::string_view(*jwt).substr(0, d2);
    CHECK(verifies(pub, input, sig));

    // One flipped bit anywhere (signed input or signature) must fail verification.
    std::string tampered(input);
    tampered[tampered.size() / 2] ^= 0x01;
    CHECK_FALSE(verifies(pub, tampered, sig));
    std::string bad_sig = sig;
    bad_sig[7] ^= 0x40;
    CHECK_FALSE(verifies(pub, input, bad_sig));
    EVP_PKEY_free(pub);
  }

  TEST_CASE("the assertion refuses a key that belongs to another account") {
    std::string const json = test::read_file(key_path());
    auto key = from_pem_of(json);
    REQUIRE(key.has_value());
    oauth::ServiceAccountInfo info{"someone-else@x.iam.gserviceaccount.com", "", "https://t/token"};
    auto jwt = oauth::make_assertion(*key, info, SigningTime{std::chrono::seconds{1}});
    REQUIRE_FALSE(jwt.has_value());
    CHECK(jwt.error().kind == ErrorKind::kConfig);
  }

  TEST_CASE("the token request body is the jwt-bearer grant with the assertion") {
    CHECK(oauth::token_request_body("aaa.bbb.ccc") ==
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aaa.bbb.ccc");
  }
}
