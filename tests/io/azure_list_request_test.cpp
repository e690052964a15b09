// Whole List Blobs requests — built by the io lister's own query functions (io/azure_lister.hpp),
// hostile prefixes and markers included — signed with Shared Key
// (signers/azure_shared_key.hpp) and compared byte for byte with the Azure SDK for Python's
// SharedKeyCredentialPolicy (tests/scripts/azure_shared_key_oracle.py, Debian's
// /usr/bin/python3).
#include "presign/io/azure_lister.hpp"
#include "presign/signers/azure_shared_key.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/uri.hpp"

#include "azurite_key.hpp"
#include "test_support.hpp"

#include <string>
#include <vector>

namespace sk = presign::signers::azure::shared_key;
using presign::test::run;
using presign::test::sh_quote;

namespace {

using presign::test::kAzuriteKey;

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

TEST_SUITE("io.azure_list_request") {
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
      std::string const url = target->base_url + "?" + presign::signers::encode_query(r.query);
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
                " devstoreaccount1 " + sh_quote(kAzuriteKey) + " " + sh_quote(cases_file) + " 2>&1",
            rc);
    REQUIRE_MESSAGE(rc == 0, out);
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos < out.size();) {
      auto const nl = out.find('\n', pos);
      lines.push_back(out.substr(pos, nl - pos));
      pos = nl == std::string::npos ? out.size() : nl + 1;
    }
    REQUIRE(lines.size() == 2 * cases.size());
    sk::Signer const signer("devstoreaccount1", presign::test::azurite_key_bytes());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      CAPTURE(i);
      CHECK(signer.string_to_sign(requests[i]) == from_hex(lines[2 * i]));
      CHECK(signer.authorization(requests[i]) == lines[2 * i + 1]);
    }
  }
}
