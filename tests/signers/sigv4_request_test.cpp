// SigV4 header auth (sigv4_request.hpp) against the header variant of the aws-c-auth SigV4
// suite (tests/vectors/aws-sigv4/v4, 38 folders copied verbatim from awslabs/aws-c-auth
// tests/aws-signing-test-suite/v4; see PROVENANCE.md there). For every folder the request in
// request.txt is signed with the folder's context.json and compared with what aws-c-auth
// produced: header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt and
// header-signed-request.txt (the request with the added headers, byte for byte, order
// included). `sign_body` maps to `content_sha256_header` (aws-c-auth adds the header exactly
// when it signs the body) and `omit_session_token` to `sign_session_token = false`.
#include "presign/signers/sigv4_request.hpp"

#include "presign/signers/uri.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

using namespace presign;
using namespace presign::signers;
using namespace presign::signers::sigv4;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct HeaderCase {
  Credentials credentials;
  HeaderSigningOptions options;
  std::string timestamp;
  HttpRequestParts request;
  std::string head;  // request.txt up to the end of its last header line (raw)
  std::string body;
  bool sign_body = false;
};

Params request_parse_query(std::string_view q) {
  Params out;
  while (!q.empty()) {
    auto const amp = q.find('&');
    std::string_view const item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty()) continue;
    auto const eq = item.find('=');
    std::string name, value;
    REQUIRE(uri_decode(item.substr(0, eq), name));
    if (eq != std::string_view::npos) REQUIRE(uri_decode(item.substr(eq + 1), value));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// request.txt: request line, headers (obs-fold continuation lines joined with one space, as
// aws-c-auth's test reader does), an empty line, the body.
void parse_request(std::string const& text, HeaderCase& c) {
  std::size_t pos = 0;
  auto next_line = [&]() {
    auto const nl = text.find('\n', pos);
    std::string_view line = std::string_view(text).substr(pos, nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    return line;
  };
  std::string_view const request_line = next_line();
  auto const first = request_line.find(' ');
  auto const last = request_line.rfind(' ');
  REQUIRE(first != std::string_view::npos);
  REQUIRE(last > first);
  c.request.method = std::string(request_line.substr(0, first));
  std::string_view const target = request_line.substr(first + 1, last - first - 1);
  auto const qmark = target.find('?');
  c.request.path = std::string(target.substr(0, qmark));
  if (qmark != std::string_view::npos)
    c.request.query = request_parse_query(target.substr(qmark + 1));
  for (;;) {
    std::size_t const line_start = pos;
    if (pos >= text.size()) {
      c.head = text;
      if (!c.head.ends_with('\n')) c.head += '\n';
      break;
    }
    std::string_view const line = next_line();
    if (line.empty()) {
      c.head = text.substr(0, line_start);
      c.body = text.substr(pos);
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      REQUIRE(!c.request.headers.empty());
      c.request.headers.back().second += ' ';
      c.request.headers.back().second += line;
      continue;
    }
    auto const colon = line.find(':');
    REQUIRE(colon != std::string_view::npos);
    c.request.headers.emplace_back(std::string(line.substr(0, colon)),
                                   std::string(line.substr(colon + 1)));
  }
}

HeaderCase load_header_case(std::filesystem::path const& dir) {
  HeaderCase c;
  simdjson::dom::parser parser;
  std::string const json = test::read_file((dir / "context.json").string());
  simdjson::dom::element ctx = parser.parse(json);
  simdjson::dom::element creds = ctx["credentials"];
  c.credentials.access_key_id = test::str_or_empty(creds, "access_key_id");
  c.credentials.secret_access_key = test::str_or_empty(creds, "secret_access_key");
  c.credentials.session_token = test::str_or_empty(creds, "token");
  c.options.region = test::str_or_empty(ctx, "region");
  c.options.service = test::str_or_empty(ctx, "service");
  c.timestamp = test::str_or_empty(ctx, "timestamp");
  auto flag = [&ctx](char const* key, bool fallback) {
    bool v = fallback;
    auto e = ctx[key];
    if (!e.error()) v = e.get_bool().value();
    return v;
  };
  c.options.path.normalize = flag("normalize", true);
  c.sign_body = flag("sign_body", false);
  c.options.content_sha256_header = c.sign_body;
  c.options.sign_session_token = !flag("omit_session_token", false);
  parse_request(test::read_file((dir / "request.txt").string()), c);
  c.request.payload_hash = payload_sha256_hex(c.sign_body ? std::string_view(c.body) : "");
  return c;
}

std::vector<std::filesystem::path> header_case_dirs() {
  std::vector<std::filesystem::path> dirs;
  for (auto const& e : std::filesystem::directory_iterator(test::vectors_dir() + "/aws-sigv4/v4")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

SigningTime at(std::string const& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

HttpRequestParts list_request() {
  HttpRequestParts r;
  r.method = "GET";
  r.path = "/bucket";
  r.query = {{"list-type", "2"}, {"prefix", "a b+c"}};
  r.headers = {{"Host", "127.0.0.1:9000"}};
  r.payload_hash = std::string(kEmptyPayloadSha256);
  return r;
}

}  // namespace

TEST_SUITE("signers.sigv4_request") {
  TEST_CASE("every aws-c-auth SigV4 suite case signs its header variant byte for byte") {
    auto const dirs = header_case_dirs();
    REQUIRE(dirs.size() == 38);
    int signed_cases = 0;
    for (auto const& dir : dirs) {
      std::string const name = dir.filename().string();
      SUBCASE(name.c_str()) {
        HeaderCase const c = load_header_case(dir);
        auto const r = sign_request_headers(c.request, c.credentials, c.options, at(c.timestamp));
        REQUIRE(r.has_value());
        CHECK(r->canonical_request ==
              test::read_file((dir / "header-canonical-request.txt").string()));
        CHECK(r->string_to_sign == test::read_file((dir / "header-string-to-sign.txt").string()));
        CHECK(r->signature == test::read_file((dir / "header-signature.txt").string()));

        // The signed request: the original head, the added headers in the signer's order,
        // an empty line, the body.
        std::string signed_request = c.head;
        for (auto const& [n, v] : r->headers) signed_request += n + ":" + v + "\n";
        signed_request += "\n" + c.body;
        CHECK(signed_request == test::read_file((dir / "header-signed-request.txt").string()));
        ++signed_cases;
      }
    }
    CHECK(signed_cases >= 1);
  }

  TEST_CASE("the cached request signer agrees with the one-shot function across days") {
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    HeaderSigningOptions opts{.region = "eu-north-1", .service = "s3"};
    RequestSigner signer(creds, opts);
    for (auto const* ts : {"2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z", "2024-01-02T00:00:00Z",
                           "2024-01-01T12:00:00Z"}) {
      CAPTURE(ts);
      auto const a = signer.sign(list_request(), at(ts));
      auto const b = sign_request_headers(list_request(), creds, opts, at(ts));
      REQUIRE(a.has_value());
      REQUIRE(b.has_value());
      CHECK(a->headers == b->headers);
    }
  }

  TEST_CASE("an S3 request signs host and x-amz-content-sha256 and x-amz-date and the token") {
    Credentials creds{"AKIDEXAMPLE", "secret", "session/token+=="};
    HeaderSigningOptions opts{.region = "us-east-1", .service = "s3"};
    auto const r = sign_request_headers(list_request(), creds, opts, at("2024-01-01T00:00:00Z"));
    REQUIRE(r.has_value());
    CHECK(r->signed_headers == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    CHECK(r->get("x-amz-security-token") == "session/token+==");
    CHECK(r->get("X-AMZ-DATE") == "20240101T000000Z");
    CHECK(r->get("x-amz-content-sha256") == kEmptyPayloadSha256);
    CHECK(r->get("authorization")
              .starts_with(
                  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, "
                  "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                  "Signature="));
    // S3 keeps the path as written (no dot-segment normalisation by default) and encodes
    // the query values once.
    CHECK(r->canonical_request.starts_with("GET\n/bucket\nlist-type=2&prefix=a%20b%2Bc\n"));
    // A different secret gives a different signature.
    auto const other = sign_request_headers(list_request(), {"AKIDEXAMPLE", "other", ""}, opts,
                                            at("2024-01-01T00:00:00Z"));
    REQUIRE(other.has_value());
    CHECK(other->signature != r->signature);
  }

  TEST_CASE("malformed requests and empty credentials are refused without echoing secrets") {
    HeaderSigningOptions opts{.region = "us-east-1", .service = "s3"};
    auto const when = at("2024-01-01T00:00:00Z");
    Credentials good{"AKID", "very-secret-value", ""};

    auto no_secret = sign_request_headers(list_request(), {"AKID", "", ""}, opts, when);
    REQUIRE_FALSE(no_secret.has_value());
    CHECK(no_secret.error().kind == ErrorKind::kConfig);

    auto no_host = list_request();
    no_host.headers.clear();
    auto r1 = sign_request_headers(no_host, good, opts, when);
    REQUIRE_FALSE(r1.has_value());
    CHECK(r1.error().kind == ErrorKind::kUsage);

    auto injected = list_request();
    injected.headers.emplace_back("X-Test", "a\r\nAuthorization: x");
    auto r2 = sign_request_headers(injected, good, opts, when);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().kind == ErrorKind::kUsage);

    auto preset = list_request();
    preset.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 whatever");
    auto r3 = sign_request_headers(preset, good, opts, when);
    REQUIRE_FALSE(r3.has_value());
    CHECK(r3.error().kind == ErrorKind::kUsage);

    auto no_hash = list_request();
    no_hash.payload_hash.clear();
    auto r4 = sign_request_headers(no_hash, good, opts, when);
    REQUIRE_FALSE(r4.has_value());

    for (auto const* e : {&r1, &r2, &r3, &r4}) {
      CHECK(e->error().detail.find("very-secret-value") == std::string::npos);
    }
  }
}
