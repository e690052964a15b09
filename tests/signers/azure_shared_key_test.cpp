// Shared Key request signing (signers/azure_shared_key.hpp): the stages on hand-written
// expectations from Microsoft's "Authorize with Shared Key" reference. (Whole List Blobs
// requests against the Python SDK: tests/io/azure_list_request_test.cpp.)
#include "presign/signers/azure_shared_key.hpp"
#include "presign/signers/crypto.hpp"

#include "azurite_key.hpp"
#include "test_support.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace sk = presign::signers::azure::shared_key;
using presign::test::run;
using presign::test::sh_quote;

using presign::test::kAzuriteKey;

TEST_SUITE("signers.azure_shared_key") {
  TEST_CASE("canonicalized headers keep x-ms headers only lower-cased trimmed and sorted by name") {
    sk::NameValues const h = {{"X-MS-Version", "2021-12-02"},
                              {"Content-Type", "text/plain"},
                              {"x-ms-date", "  Mon, 01 Jan 2024 00:00:00 GMT\t"},
                              {"x-ms-client-request-id", "abc"},
                              {"x-ms-meta-b", "2"},
                              {"x-ms-meta-a", "1"},
                              {"x-ms-meta-a", "0"},
                              {"Host", "x"}};
    CHECK(sk::canonicalized_headers(h) ==
          "x-ms-client-request-id:abc\n"
          "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n"
          "x-ms-meta-a:1,0\n"
          "x-ms-meta-b:2\n"
          "x-ms-version:2021-12-02\n");
    CHECK(sk::canonicalized_headers({{"Content-Length", "5"}}).empty());
  }

  TEST_CASE(
      "the canonicalized resource is the account and the path then sorted decoded query lines") {
    sk::Request r;
    r.path = "/devstoreaccount1/my-container";
    r.query = {{"restype", "container"},
               {"comp", "list"},
               {"Prefix", "a b+c%d&e=f/\xc3\xa9"},
               {"include", "snapshots"},
               {"include", "metadata"}};
    CHECK(sk::canonicalized_resource("devstoreaccount1", r) ==
          "/devstoreaccount1/devstoreaccount1/my-container\n"
          "comp:list\n"
          "include:metadata,snapshots\n"
          "prefix:a b+c%d&e=f/\xc3\xa9\n"
          "restype:container");
    r.path = "/c";
    r.query.clear();
    CHECK(sk::canonicalized_resource("acct", r) == "/acct/c");
  }

  TEST_CASE("the string to sign has the twelve standard lines then headers then resource") {
    sk::Request r;
    r.method = "PUT";
    r.path = "/c/blob";
    r.headers = {{"Content-Length", "0"},        {"content-type", "text/plain"},
                 {"If-Match", "\"etag\""},       {"Range", "bytes=0-9"},
                 {"x-ms-version", "2021-12-02"}, {"x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT"}};
    r.query = {{"comp", "block"}};
    CHECK(sk::string_to_sign("acct", r) ==
          "PUT\n"
          "\n"            // Content-Encoding
          "\n"            // Content-Language
          "\n"            // Content-Length 0 is empty
          "\n"            // Content-MD5
          "text/plain\n"  // Content-Type
          "\n"            // Date
          "\n"            // If-Modified-Since
          "\"etag\"\n"    // If-Match
          "\n"            // If-None-Match
          "\n"            // If-Unmodified-Since
          "bytes=0-9\n"   // Range
          "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n"
          "x-ms-version:2021-12-02\n"
          "/acct/c/blob\n"
          "comp:block");
    r.headers[0].second = "12";
    CHECK(sk::string_to_sign("acct", r).starts_with("PUT\n\n\n12\n"));
  }

  TEST_CASE("the authorization header is base64 of HMAC-SHA256 over the string to sign") {
    // Expected value from: printf '%s' "GET\n…" | openssl dgst -sha256 -mac HMAC
    //   -macopt hexkey:$(echo KEY | base64 -d | xxd -p -c 256) -binary | base64
    std::string const sts =
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n"
        "x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/c\n"
        "comp:list\nrestype:container";
    std::string const key = presign::test::azurite_key_bytes();
    std::string const auth = sk::authorization("devstoreaccount1", key, sts);
    CHECK(auth.starts_with("SharedKey devstoreaccount1:"));
    CHECK(auth.size() == std::string("SharedKey devstoreaccount1:").size() + 44);
    int rc = -1;
    std::string const want =
        run("printf '%s' " + sh_quote(sts) + " | openssl dgst -sha256 -mac HMAC -macopt hexkey:" +
                presign::signers::crypto::hex_lower(
                    std::span(reinterpret_cast<std::uint8_t const*>(key.data()), key.size())) +
                " -binary | base64 -w0",
            rc);
    REQUIRE(rc == 0);
    CHECK(auth == "SharedKey devstoreaccount1:" + want);
    sk::Signer const signer("devstoreaccount1", key);
    sk::Request r;
    r.path = "/devstoreaccount1/c";
    r.query = {{"restype", "container"}, {"comp", "list"}};
    r.headers = {{"x-ms-version", "2021-12-02"}, {"x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT"}};
    CHECK(signer.string_to_sign(r) == sts);
    CHECK(signer.authorization(r) == auth);
  }

  TEST_CASE("a key that is not base64 is a config error that never quotes the key") {
    auto bad = sk::decode_account_key("acct", "not*base64-secretish");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == presign::ErrorKind::kConfig);
    CHECK(bad.error().detail.find("secretish") == std::string::npos);
    CHECK(bad.error().detail.find("acct") != std::string::npos);
    CHECK_FALSE(sk::decode_account_key("acct", "").has_value());
    auto good = sk::decode_account_key("acct", kAzuriteKey);
    REQUIRE(good.has_value());
    CHECK(*good == presign::test::azurite_key_bytes());
  }
}
