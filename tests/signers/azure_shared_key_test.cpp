// Shared Key request signing (signers/azure_shared_key.hpp): the stages on hand-written
// expectations from Microsoft's "Authorize with Shared Key" reference, and whole List Blobs
// requests — built by the io lister's own query functions, hostile prefixes and markers
// included — compared byte for byte with the Azure SDK for Python's SharedKeyCredentialPolicy
// (tests/scripts/azure_shared_key_oracle.py, Debian's /usr/bin/python3).
#include "presign/io/azure_lister.hpp"
#include "presign/signers/azure_shared_key.hpp"
#include "presign/signers/crypto.hpp"

#include "test_support.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace sk = presign::signers::azure::shared_key;
using presign::test::run;
using presign::test::sh_quote;

namespace {

// Azurite's published well-known key (not a secret).
constexpr char const* kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::string decoded_key() {
  std::string k;
  REQUIRE(presign::signers::crypto::base64_decode(kKey, k));
  return k;
}

// JSON string literal for UTF-8 text (the bytes are valid UTF-8; control characters escaped).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string from_hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

}  // namespace

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
    std::string const key = decoded_key();
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
    auto good = sk::decode_account_key("acct", kKey);
    REQUIRE(good.has_value());
    CHECK(*good == decoded_key());
  }

  TEST_CASE(
      "List Blobs requests sign byte-identically to the Python SDK SharedKeyCredentialPolicy") {
    presign::test::TempDir dir("presign-azsk");
    struct Case {
      std::string endpoint, container, prefix, marker;
      std::uint32_t page_size;
      std::string date;
      sk::NameValues extra;  // more headers
    };
    std::vector<Case> const cases = {
        {"http://127.0.0.1:10000/devstoreaccount1",
         "cc1",
         "",
         "",
         5000,
         "Mon, 01 Jan 2024 00:00:00 GMT",
         {}},
        {"http://127.0.0.1:10000/devstoreaccount1",
         "my-container",
         "data/",
         "",
         997,
         "Tue, 02 Jan 2024 03:04:05 GMT",
         {}},
        {"https://devstoreaccount1.blob.core.windows.net",
         "cc1",
         "sp ace/a+b%20c%2F&x=y=z#h?q",
         "2!1!MDAwMDA0IWRhdGEvYSthJTIwIWVuZA--",
         1,
         "Wed, 03 Jan 2024 00:00:00 GMT",
         {}},
        {"http://127.0.0.1:10000/devstoreaccount1",
         "cc1",
         "uni/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 'q' \"dq\" ~!*()$,;:@",
         "marker with space+plus%25&amp;=eq/\xc3\xa9",
         5000,
         "Thu, 04 Jan 2024 00:00:00 GMT",
         {{"x-ms-client-request-id", "req-1"}}},
        {"http://127.0.0.1:10000/devstoreaccount1",
         "cc1",
         "..",
         "+/+",
         2,
         "Fri, 05 Jan 2024 00:00:00 GMT",
         {{"Content-Type", "application/xml"}, {"Content-Length", "0"}, {"If-None-Match", "*"}}},
    };
    std::string json = "[";
    std::vector<sk::Request> requests;
    for (auto const& c : cases) {
      presign::io::AzureListerConfig cfg;
      cfg.account = "devstoreaccount1";
      cfg.container = c.container;
      cfg.endpoint = c.endpoint;
      auto target = presign::io::resolve_azure_list_target(cfg);
      REQUIRE(target.has_value());
      presign::io::ListRequest lr;
      lr.prefix = c.prefix;
      lr.token = c.marker;
      lr.page_size = c.page_size;
      sk::Request r;
      r.path = target->path;
      r.query = presign::io::azure_list_query(lr);
      r.headers = {{"x-ms-date", c.date}, {"x-ms-version", "2021-12-02"}};
      for (auto const& h : c.extra) r.headers.push_back(h);
      std::string const url = target->base_url + "?" + presign::io::azure_encode_query(r.query);
      if (json.size() > 1) json += ",";
      json += "{\"method\":\"GET\",\"url\":" + json_string(url) + ",\"headers\":[";
      for (std::size_t i = 0; i < r.headers.size(); ++i) {
        json += (i ? ",[" : "[") + json_string(r.headers[i].first) + "," +
                json_string(r.headers[i].second) + "]";
      }
      json += "]}";
      requests.push_back(std::move(r));
    }
    json += "]";
    std::string const cases_file = dir.write("cases.json", json);
    int rc = -1;
    std::string const out =
        run("/usr/bin/python3 " +
                sh_quote(std::string(PRESIGN_SOURCE_DIR) +
                         "/tests/scripts/azure_shared_key_oracle.py") +
                " devstoreaccount1 " + sh_quote(kKey) + " " + sh_quote(cases_file) + " 2>&1",
            rc);
    REQUIRE_MESSAGE(rc == 0, out);
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos < out.size();) {
      auto const nl = out.find('\n', pos);
      lines.push_back(out.substr(pos, nl - pos));
      pos = nl == std::string::npos ? out.size() : nl + 1;
    }
    REQUIRE(lines.size() == 2 * cases.size());
    sk::Signer const signer("devstoreaccount1", decoded_key());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      CAPTURE(i);
      CHECK(signer.string_to_sign(requests[i]) == from_hex(lines[2 * i]));
      CHECK(signer.authorization(requests[i]) == lines[2 * i + 1]);
    }
  }
}
