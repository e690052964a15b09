// The aws-c-auth SigV4 test suite (tests/vectors/aws-sigv4/v4, 38 folders, copied verbatim
// from awslabs/aws-c-auth tests/aws-signing-test-suite/v4; see PROVENANCE.md there), query
// (presign) variant, run through the generic staged API of sigv4.hpp:
//   canonical_request → string_to_sign → derive_signing_key + signature.
// Each folder's request.txt is parsed here (request line, headers with folded continuation
// lines and repeated names, body); the expected stage outputs are the folder's
// query-canonical-request.txt, query-string-to-sign.txt and query-signature.txt, produced by
// aws-c-auth itself. The parameters of query-signed-request.txt are compared as a parsed set
// (tests/vectors/README.md gotcha 1: the emission order differs between signers).
#include "presign/signers/sigv4.hpp"

#include "presign/signers/crypto.hpp"
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

struct SuiteCase {
  std::string name;
  // context.json
  Credentials credentials;
  std::string region, service, timestamp;
  std::int64_t expires = 0;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;
  // request.txt
  std::string method, path;
  Params query;    // decoded
  Params headers;  // as written (name case kept, value untrimmed)
  std::string body;
};

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// "a=b&c&=d" -> decoded pairs; a missing '=' means an empty value, empty segments are skipped.
Params parse_query(std::string_view q) {
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

// Splits "METHOD TARGET HTTP/1.1"; the target may itself contain spaces ("/example space/").
void parse_request_line(std::string_view line, std::string& method, std::string& target) {
  auto const first = line.find(' ');
  auto const last = line.rfind(' ');
  REQUIRE(first != std::string_view::npos);
  REQUIRE(last > first);
  REQUIRE(line.substr(last + 1).starts_with("HTTP/"));
  method = std::string(line.substr(0, first));
  target = std::string(line.substr(first + 1, last - first - 1));
}

void parse_request(std::string_view text, SuiteCase& c) {
  auto next_line = [&text]() {
    auto const nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  };
  std::string target;
  parse_request_line(next_line(), c.method, target);
  auto const qmark = target.find('?');
  c.path = target.substr(0, qmark);
  if (qmark != std::string::npos) c.query = parse_query(std::string_view(target).substr(qmark + 1));

  while (!text.empty()) {
    std::string_view const line = next_line();
    if (line.empty()) break;  // end of the header block; the rest is the body
    if (line.front() == ' ' || line.front() == '\t') {
      // obs-fold (RFC 7230 §3.2.4): the line break becomes one SP, the continuation's own
      // leading whitespace is kept, so canonical_request must fold the run.
      REQUIRE(!c.headers.empty());
      c.headers.back().second += ' ';
      c.headers.back().second += line;
      continue;
    }
    auto const colon = line.find(':');
    REQUIRE(colon != std::string_view::npos);
    c.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  c.body = std::string(text);
}

SuiteCase load_case(std::filesystem::path const& dir) {
  SuiteCase c;
  c.name = dir.filename().string();
  simdjson::dom::parser parser;
  std::string const json = test::read_file((dir / "context.json").string());
  simdjson::dom::element ctx = parser.parse(json);
  simdjson::dom::element creds = ctx["credentials"];
  c.credentials.access_key_id = test::str_or_empty(creds, "access_key_id");
  c.credentials.secret_access_key = test::str_or_empty(creds, "secret_access_key");
  c.credentials.session_token = test::str_or_empty(creds, "token");
  c.region = test::str_or_empty(ctx, "region");
  c.service = test::str_or_empty(ctx, "service");
  c.timestamp = test::str_or_empty(ctx, "timestamp");
  c.expires = ctx["expiration_in_seconds"].get_int64().value();
  auto flag = [&ctx](char const* key, bool fallback) {
    bool v = fallback;
    auto e = ctx[key];
    if (!e.error()) v = e.get_bool().value();
    return v;
  };
  c.normalize = flag("normalize", true);
  c.sign_body = flag("sign_body", false);
  c.omit_session_token = flag("omit_session_token", false);
  parse_request(test::read_file((dir / "request.txt").string()), c);
  return c;
}

std::vector<std::filesystem::path> case_dirs() {
  std::vector<std::filesystem::path> dirs;
  for (auto const& e : std::filesystem::directory_iterator(test::vectors_dir() + "/aws-sigv4/v4")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Lower-cased, de-duplicated, sorted header names joined with ';'.
std::string signed_header_list(Params const& headers) {
  std::vector<std::string> names;
  for (auto const& [k, v] : headers) names.push_back(lower(k));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (auto const& n : names) {
    if (!out.empty()) out += ';';
    out += n;
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  crypto::Sha256 h;
  h.update(data);
  return crypto::hex_lower(h.final());
}

// The decoded query parameters of the first line of query-signed-request.txt, sorted.
Params signed_request_params(std::string const& signed_request) {
  std::string method, target;
  parse_request_line(std::string_view(signed_request).substr(0, signed_request.find('\n')), method,
                     target);
  auto const qmark = target.find('?');
  REQUIRE(qmark != std::string::npos);
  Params p = parse_query(std::string_view(target).substr(qmark + 1));
  std::sort(p.begin(), p.end());
  return p;
}

}  // namespace

TEST_SUITE("signers.sigv4") {
  TEST_CASE("every aws-c-auth SigV4 suite case signs its query variant stage by stage") {
    auto const dirs = case_dirs();
    REQUIRE(dirs.size() == 38);
    for (auto const& dir : dirs) {
      std::string const name = dir.filename().string();
      SUBCASE(name.c_str()) {
        SuiteCase const c = load_case(dir);
        auto const t = parse_rfc3339(c.timestamp);
        REQUIRE(t.has_value());
        char amz_date[17];
        char day[9];
        format_amz_date(*t, amz_date, day);
        std::string const scope = credential_scope(day, c.region, c.service);
        std::string const signed_headers = signed_header_list(c.headers);

        // The presign parameters aws-c-auth adds (names and values decoded; canonical_request
        // encodes them).
        HttpRequestParts req;
        req.method = c.method;
        req.path = c.path;
        req.query = c.query;
        req.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
        req.query.emplace_back("X-Amz-Credential", c.credentials.access_key_id + "/" + scope);
        req.query.emplace_back("X-Amz-Date", amz_date);
        req.query.emplace_back("X-Amz-Expires", std::to_string(c.expires));
        req.query.emplace_back("X-Amz-SignedHeaders", signed_headers);
        bool const token = !c.credentials.session_token.empty();
        if (token && !c.omit_session_token) {
          req.query.emplace_back("X-Amz-Security-Token", c.credentials.session_token);
        }
        req.headers = c.headers;
        // sign_body: SHA-256 of the body; otherwise of the empty payload (e3b0c442…b855).
        req.payload_hash = sha256_hex(c.sign_body ? std::string_view(c.body) : std::string_view());

        std::string got_signed_headers;
        std::string const cr =
            canonical_request(req, PathOptions{c.normalize}, &got_signed_headers);
        CHECK(got_signed_headers == signed_headers);
        CHECK(cr == test::read_file((dir / "query-canonical-request.txt").string()));

        std::string const sts = string_to_sign("AWS4-HMAC-SHA256", amz_date, scope, cr);
        CHECK(sts == test::read_file((dir / "query-string-to-sign.txt").string()));

        auto const key =
            derive_signing_key(c.credentials.secret_access_key, day, c.region, c.service);
        std::string const sig = signature(key, sts);
        CHECK(sig == test::read_file((dir / "query-signature.txt").string()));

        // The signed request carries every signed parameter plus the signature, and, when
        // omit_session_token is set, the token appended after signing (not signed).
        Params want = req.query;
        want.emplace_back("X-Amz-Signature", sig);
        if (token && c.omit_session_token) {
          want.emplace_back("X-Amz-Security-Token", c.credentials.session_token);
        }
        std::sort(want.begin(), want.end());
        CHECK(signed_request_params(test::read_file((dir / "query-signed-request.txt").string())) ==
              want);
      }
    }
  }

  TEST_CASE("the generic canonical URI normalises dot segments and slashes only when asked") {
    CHECK(canonical_uri("/example/..", PathOptions{true}) == "/");
    CHECK(canonical_uri("/example/..", PathOptions{false}) == "/example/..");
    CHECK(canonical_uri("//example//", PathOptions{true}) == "/example/");
    CHECK(canonical_uri("/a/b/.", PathOptions{true}) == "/a/b/");
    CHECK(canonical_uri("/a/b/../c", PathOptions{true}) == "/a/c");
    CHECK(canonical_uri("/./", PathOptions{true}) == "/");
    CHECK(canonical_uri("", PathOptions{true}) == "/");
    CHECK(canonical_uri("", PathOptions{false}) == "/");
    CHECK(canonical_uri("/a b/%", PathOptions{false}) == "/a%20b/%25");
  }

  TEST_CASE("the generic canonical request folds inner whitespace and joins repeated headers") {
    HttpRequestParts req;
    req.method = "GET";
    req.path = "/";
    req.headers = {{"X-B", "  one \t two  "}, {"x-a", "v"}, {"X-B", " three"}};
    req.payload_hash = "UNSIGNED-PAYLOAD";
    std::string names;
    std::string const cr = canonical_request(req, PathOptions{}, &names);
    CHECK(cr == "GET\n/\n\nx-a:v\nx-b:one two,three\n\nx-a;x-b\nUNSIGNED-PAYLOAD");
    CHECK(names == "x-a;x-b");
  }

  TEST_CASE("the generic canonical query sorts by encoded name then value and keeps empty names") {
    HttpRequestParts req;
    req.method = "GET";
    req.path = "/";
    req.query = {{"b", "2"}, {"a", "z"},           {"a", "y"},
                 {"", "e"},  {"\xE1\x88\xB4", ""}, {"a b", "+/"}};
    req.payload_hash = "x";
    std::string const cr = canonical_request(req, PathOptions{});
    CHECK(cr == "GET\n/\n=e&%E1%88%B4=&a=y&a=z&a%20b=%2B%2F&b=2\n\n\nx");
  }
}
