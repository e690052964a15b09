// The Azure List Blobs fetcher (io/azure_lister.hpp): the pure request pieces (target, query,
// encoding, maxresults clamp, error mapping), and whole fetches against a scripted loopback
// HTTP server that records each request, so the URL sent, the headers and the Shared Key
// signature can be checked, and retries, auth and not-found answers driven.
#include "presign/io/azure_lister.hpp"
#include "presign/signers/azure_shared_key.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/uri.hpp"

#include "script_server.hpp"
#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace io = presign::io;
namespace sk = presign::signers::azure::shared_key;
using presign::ErrorKind;

using presign::test::Canned;
using presign::test::Recorded;
using presign::test::ScriptServer;

namespace {

constexpr char const* kKeyB64 =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::string key_bytes_of(char const* b64) {
  std::string k;
  REQUIRE(presign::signers::crypto::base64_decode(b64, k));
  return k;
}

std::string page_xml(std::vector<std::string> const& names, std::string const& next,
                     std::string const& container = "cc1", std::string const& prefix = "") {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"http://127.0.0.1/devstoreaccount1\" ContainerName=\"" +
      container + "\"><Prefix>" + prefix + "</Prefix><MaxResults>2</MaxResults><Blobs>";
  for (auto const& n : names) {
    x += "<Blob><Name>" + n +
         "</Name><Properties><Content-Length>7</Content-Length>"
         "<Etag>0x1</Etag></Properties></Blob>";
  }
  x += "</Blobs><NextMarker>" + next + "</NextMarker></EnumerationResults>";
  return x;
}

Canned error_resp(int status, std::string const& code, std::string const& message) {
  return Canned{status,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code +
                    "</Code><Message>" + message + "</Message></Error>",
                {{"x-ms-error-code", code}}};
}

struct Sleeps {
  std::vector<std::chrono::milliseconds> slept;
};

io::AzureListerConfig config_for(ScriptServer const& s, Sleeps& sleeps) {
  io::AzureListerConfig cfg;
  cfg.account = "devstoreaccount1";
  cfg.container = "cc1";
  cfg.endpoint = s.endpoint();
  cfg.account_key = key_bytes_of(kKeyB64);
  cfg.retry_env.sleep = [&sleeps](std::chrono::milliseconds d) { sleeps.slept.push_back(d); };
  cfg.retry_env.uniform01 = [] { return 0.5; };
  cfg.http.total_timeout = std::chrono::seconds(10);
  return cfg;
}

// Checks that `r` carries a Shared Key signature that verifies for the decoded query.
void check_signature(Recorded const& r) {
  std::string const target = r.target;
  auto const q = target.find('?');
  REQUIRE(q != std::string::npos);
  sk::Request req;
  req.path = target.substr(0, q);
  std::string const query = target.substr(q + 1);
  for (std::size_t pos = 0; pos <= query.size();) {
    auto amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string const kv = query.substr(pos, amp - pos);
    auto const eq = kv.find('=');
    std::string name, value;
    REQUIRE(presign::signers::uri_decode(kv.substr(0, eq), name));
    REQUIRE(presign::signers::uri_decode(kv.substr(eq + 1), value));
    req.query.emplace_back(name, value);
    pos = amp + 1;
  }
  req.headers = {{"x-ms-date", r.header("x-ms-date")}, {"x-ms-version", r.header("x-ms-version")}};
  sk::Signer const signer("devstoreaccount1", key_bytes_of(kKeyB64));
  CHECK(r.header("Authorization") == signer.authorization(req));
}

}  // namespace

TEST_SUITE("io.azure_lister") {
  TEST_CASE("the query is sorted with marker and prefix only when set and maxresults clamped") {
    io::ListRequest r;
    r.page_size = 0;
    auto q = io::azure_list_query(r);
    CHECK(presign::signers::encode_query(q) == "comp=list&maxresults=5000&restype=container");
    r.page_size = 9999;
    CHECK(presign::signers::encode_query(io::azure_list_query(r)) ==
          "comp=list&maxresults=5000&restype=container");
    r.page_size = 1;
    r.prefix = "sp ace/a+b%c&d=e#\xc3\xa9~";
    r.token = "2!96!MDAwMDI0IXNw+/=";
    r.start_after = "ignored";
    CHECK(presign::signers::encode_query(io::azure_list_query(r)) ==
          "comp=list&marker=2%2196%21MDAwMDI0IXNw%2B%2F%3D&maxresults=1"
          "&prefix=sp%20ace%2Fa%2Bb%25c%26d%3De%23%C3%A9~&restype=container");
    r.page_size = 997;
    q = io::azure_list_query(r);
    REQUIRE(q.size() == 5);
    CHECK(q[1] == std::pair<std::string, std::string>{"marker", r.token});
    CHECK(q[2].second == "997");
    CHECK(q[3].second == r.prefix);
  }

  TEST_CASE("the target is the endpoint plus the container and the signed path keeps the account") {
    io::AzureListerConfig c;
    c.account = "devstoreaccount1";
    c.container = "my-container";
    auto t = io::resolve_azure_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "https://devstoreaccount1.blob.core.windows.net/my-container");
    CHECK(t->path == "/my-container");
    CHECK(t->host_header == "devstoreaccount1.blob.core.windows.net");
    c.endpoint = "HTTP://127.0.0.1:10000/devstoreaccount1/";
    t = io::resolve_azure_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "http://127.0.0.1:10000/devstoreaccount1/my-container");
    CHECK(t->path == "/devstoreaccount1/my-container");
    CHECK(t->host_header == "127.0.0.1:10000");
    c.endpoint = "https://acct.blob.core.windows.net";
    CHECK(io::resolve_azure_list_target(c)->path == "/my-container");
  }

  TEST_CASE("bad accounts containers and endpoints are usage errors before any request") {
    io::AzureListerConfig c;
    c.account = "devstoreaccount1";
    c.container = "cc1";
    for (char const* bad : {"ftp://h", "127.0.0.1:10000", "http://h/a b", "http://h/p?q=1",
                            "http://", "http://u@h", "http://h/a//b"}) {
      CAPTURE(bad);
      c.endpoint = bad;
      auto t = io::resolve_azure_list_target(c);
      REQUIRE_FALSE(t.has_value());
      CHECK(t.error().kind == ErrorKind::kUsage);
    }
    c.endpoint.clear();
    for (char const* bad : {"", "Upper", "a/b", "x y", "ab", "c%2f"}) {
      CAPTURE(bad);
      c.container = bad;
      CHECK_FALSE(io::resolve_azure_list_target(c).has_value());
    }
    c.container = "$root";
    CHECK(io::resolve_azure_list_target(c).has_value());
    c.account = "Bad_Account";
    CHECK_FALSE(io::resolve_azure_list_target(c).has_value());
    c.account = "acct";
    c.account_key.clear();
    auto f = io::make_azure_page_fetcher(c);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().kind == ErrorKind::kConfig);
    c.account_key = "k";
    c.retry.max_attempts = 0;
    CHECK(io::make_azure_page_fetcher(c).error().kind == ErrorKind::kUsage);
  }

  TEST_CASE(
      "error responses map to auth and config errors that name the account and never the key") {
    io::AzureListerConfig c;
    c.account = "acct";
    c.container = "cc1";
    c.account_key = key_bytes_of(kKeyB64);
    std::string const url = "https://acct.blob.core.windows.net/cc1?comp=list&marker=SECRETISH";
    io::HttpResponse r;
    r.status = 403;
    r.headers = {{"x-ms-error-code", "AuthenticationFailed"}};
    r.body =
        "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the "
        "request.</Message><AuthenticationErrorDetail>sts</AuthenticationErrorDetail></Error>";
    auto e = io::azure_list_error(r, url, c);
    CHECK(e.kind == ErrorKind::kAuth);
    CHECK(e.http_status == 403);
    CHECK(e.provider_code == "AuthenticationFailed");
    CHECK(e.detail.find("'acct'") != std::string::npos);
    CHECK(e.detail.find("wrong account key") != std::string::npos);
    CHECK(e.detail.find(kKeyB64) == std::string::npos);
    CHECK(e.detail.find("SECRETISH") == std::string::npos);

    r.status = 404;
    r.headers = {{"x-ms-error-code", "ContainerNotFound"}};
    r.body =
        "<Error><Code>ContainerNotFound</Code><Message>The specified container does not "
        "exist.</Message></Error>";
    e = io::azure_list_error(r, url, c);
    CHECK(e.kind == ErrorKind::kConfig);
    CHECK(e.detail.find("container 'cc1' does not exist in storage account 'acct'") !=
          std::string::npos);

    c.endpoint = "http://127.0.0.1:1/acct";
    r.headers = {{"x-ms-error-code", "ResourceNotFound"}};
    e = io::azure_list_error(r, url, c);
    CHECK(e.kind == ErrorKind::kConfig);
    CHECK(e.detail.find("--endpoint") != std::string::npos);

    r.status = 503;
    r.headers = {{"x-ms-error-code", "ServerBusy"}};
    e = io::azure_list_error(r, url, c);
    CHECK(e.kind == ErrorKind::kProtocol);
    CHECK(e.provider_code == "ServerBusy");
  }

  TEST_CASE("a fetch sends the signed List Blobs request and returns the parsed page") {
    ScriptServer server(
        {Canned{200, page_xml({"a&amp;b", "sp ace+"}, "2!marker+/=", "cc1", "p re+"), {}}});
    Sleeps sleeps;
    auto cfg = config_for(server, sleeps);
    cfg.prefix_for_messages = "p re+";
    cfg.clock = [] {
      return presign::SigningTime{std::chrono::sys_days{std::chrono::year{2024} / 1 / 2}};
    };
    auto f = io::make_azure_page_fetcher(cfg);
    REQUIRE(f.has_value());
    CHECK((*f)->describe() == "az://devstoreaccount1/cc1/p re+ at " + server.endpoint());
    io::ListRequest req;
    req.prefix = "p re+";
    req.token = "1!x+y";
    req.page_size = 2;
    io::ListPage page;
    std::string keys = "previous";
    auto r = (*f)->fetch(req, page, keys);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
    REQUIRE(page.objects.size() == 2);
    CHECK(page.objects[0].key.in(keys) == "a&b");
    CHECK(page.objects[1].key.in(keys) == "sp ace+");
    CHECK(page.objects[1].size == 7);
    CHECK(page.truncated);
    CHECK(page.next_token == "2!marker+/=");
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].target ==
          "/devstoreaccount1/"
          "cc1?comp=list&marker=1%21x%2By&maxresults=2&prefix=p%20re%2B&restype=container");
    CHECK(reqs[0].header("x-ms-date") == "Tue, 02 Jan 2024 00:00:00 GMT");
    CHECK(reqs[0].header("x-ms-version") == io::kAzureListVersion);
    check_signature(reqs[0]);
  }

  TEST_CASE("an empty page with a NextMarker is returned as a truncated page") {
    ScriptServer server({Canned{200, page_xml({}, "2!next"), {}}});
    Sleeps sleeps;
    auto f = io::make_azure_page_fetcher(config_for(server, sleeps));
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    REQUIRE((*f)->fetch(io::ListRequest{}, page, keys).has_value());
    CHECK(page.objects.empty());
    CHECK(page.truncated);
    CHECK(page.next_token == "2!next");
  }

  TEST_CASE(
      "ServerBusy and a malformed 200 are retried with a fresh date and the page then returned") {
    ScriptServer server({error_resp(503, "ServerBusy", "busy"),
                         Canned{200, page_xml({"a"}, "").substr(0, 120), {}},
                         Canned{200, page_xml({"a", "b"}, ""), {}}});
    Sleeps sleeps;
    auto cfg = config_for(server, sleeps);
    int tick = 0;
    cfg.clock = [&tick] {
      return presign::SigningTime{std::chrono::sys_days{std::chrono::year{2024} / 1 / 2}} +
             std::chrono::seconds(tick++);
    };
    auto f = io::make_azure_page_fetcher(cfg);
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    auto r = (*f)->fetch(io::ListRequest{}, page, keys);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
    CHECK(page.objects.size() == 2);
    CHECK_FALSE(page.truncated);
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(sleeps.slept.size() == 2);
    CHECK(reqs[0].header("x-ms-date") != reqs[2].header("x-ms-date"));
    for (auto const& q : reqs) check_signature(q);
  }

  TEST_CASE(
      "a refused key is one attempt and an auth error and a missing container a config error") {
    for (auto const& [canned, kind, needle] :
         {std::tuple{
              error_resp(403, "AuthenticationFailed", "Server failed to authenticate the request."),
              ErrorKind::kAuth, std::string("storage account 'devstoreaccount1'")},
          std::tuple{
              error_resp(404, "ContainerNotFound", "The specified container does not exist."),
              ErrorKind::kConfig, std::string("container 'cc1' does not exist")}}) {
      ScriptServer server({canned});
      Sleeps sleeps;
      auto f = io::make_azure_page_fetcher(config_for(server, sleeps));
      REQUIRE(f.has_value());
      io::ListPage page;
      std::string keys = "kept";
      auto r = (*f)->fetch(io::ListRequest{}, page, keys);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == kind);
      CHECK(r.error().detail.find(needle) != std::string::npos);
      CHECK(r.error().detail.find(kKeyB64) == std::string::npos);
      CHECK(keys == "kept");
      CHECK(server.requests().size() == 1);
      CHECK(sleeps.slept.empty());
    }
  }

  TEST_CASE("a page of another container is a protocol error and is not retried") {
    ScriptServer server({Canned{200, page_xml({"a"}, "", "other"), {}}});
    Sleeps sleeps;
    auto f = io::make_azure_page_fetcher(config_for(server, sleeps));
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    auto r = (*f)->fetch(io::ListRequest{}, page, keys);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kProtocol);
    CHECK_MESSAGE(r.error().detail.find("'other', not 'cc1'") != std::string::npos,
                  r.error().detail);
    CHECK(keys.empty());
    CHECK(page.objects.empty());
    CHECK(server.requests().size() == 1);
  }

  TEST_CASE("retries give up after the configured attempts") {
    ScriptServer server({error_resp(500, "InternalError", "boom")});
    Sleeps sleeps;
    auto cfg = config_for(server, sleeps);
    cfg.retry.max_attempts = 3;
    auto f = io::make_azure_page_fetcher(cfg);
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    auto r = (*f)->fetch(io::ListRequest{}, page, keys);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("gave up after 3 attempts") != std::string::npos);
    CHECK(server.requests().size() == 3);
  }

  TEST_CASE("with a bearer source the lister sends its token and refreshes it before it ends") {
    ScriptServer server({Canned{200, page_xml({"a"}, "next"), {}}});
    Sleeps sleeps;
    auto cfg = config_for(server, sleeps);
    cfg.account_key.clear();
    presign::SigningTime now{std::chrono::sys_days{std::chrono::year{2024} / 1 / 2}};
    cfg.clock = [&now] { return now; };
    int calls = 0;
    cfg.bearer = [&calls, &now]() -> presign::Result<io::BearerToken> {
      ++calls;
      return io::BearerToken{"tok-" + std::to_string(calls), now + std::chrono::minutes{10}};
    };
    auto f = io::make_azure_page_fetcher(cfg);
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    REQUIRE((*f)->fetch(io::ListRequest{}, page, keys).has_value());
    now += std::chrono::minutes{4};  // 6 minutes left: kept
    REQUIRE((*f)->fetch(io::ListRequest{}, page, keys).has_value());
    now += std::chrono::minutes{2};  // 4 minutes left: under the 5-minute margin, refreshed
    REQUIRE((*f)->fetch(io::ListRequest{}, page, keys).has_value());
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].header("Authorization") == "Bearer tok-1");
    CHECK(reqs[1].header("Authorization") == "Bearer tok-1");
    CHECK(reqs[2].header("Authorization") == "Bearer tok-2");
    CHECK(reqs[2].header("x-ms-version") == io::kAzureListVersion);
    CHECK(calls == 2);
  }

  TEST_CASE("a refused bearer token names Entra ID and a failing token source ends the fetch") {
    ScriptServer server({error_resp(403, "AuthorizationPermissionMismatch", "no")});
    Sleeps sleeps;
    auto cfg = config_for(server, sleeps);
    cfg.account_key.clear();
    cfg.bearer = []() -> presign::Result<io::BearerToken> {
      return io::BearerToken{"SECRET-TOKEN",
                             presign::SigningTime{std::chrono::hours{24 * 365 * 200}}};
    };
    auto f = io::make_azure_page_fetcher(cfg);
    REQUIRE(f.has_value());
    io::ListPage page;
    std::string keys;
    auto r = (*f)->fetch(io::ListRequest{}, page, keys);
    REQUIRE(!r.has_value());
    CHECK(r.error().kind == ErrorKind::kAuth);
    CHECK(r.error().detail.find("Entra ID token") != std::string::npos);
    CHECK(r.error().detail.find("SECRET-TOKEN") == std::string::npos);

    cfg.bearer = []() -> presign::Result<io::BearerToken> {
      return presign::make_error(ErrorKind::kConfig, "token source down");
    };
    auto g = io::make_azure_page_fetcher(cfg);
    REQUIRE(g.has_value());
    auto e = (*g)->fetch(io::ListRequest{}, page, keys);
    REQUIRE(!e.has_value());
    CHECK(e.error().detail.find("token source down") != std::string::npos);
  }
}
