// HTTP client against the fake S3 server on 127.0.0.1: keep-alive reuse (counted on the
// server), every injected transport fault, timeouts, the body limit, SigV4 header auth, and
// TLS with a self-signed certificate generated here.
#include "presign/io/http_client.hpp"

#include "presign/signers/sigv4.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fake_s3_server.hpp"
#include <unistd.h>

using namespace presign;
using namespace presign::io;
using presign::test::FakeS3Options;
using presign::test::FakeS3Server;
using presign::test::Fault;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<HttpClient> make_client(HttpClientOptions const& o) {
  auto c = HttpClient::create(o);
  REQUIRE(c.has_value());
  return std::move(*c);
}

std::unique_ptr<HttpClient> make_client() {
  auto c = HttpClient::create();
  REQUIRE(c.has_value());
  return std::move(*c);
}

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

std::string list_url(FakeS3Server const& s, std::string const& extra = "&max-keys=10") {
  return s.bucket_url() + "?list-type=2" + extra;
}

std::size_t count_of(std::string const& hay, std::string const& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto const port = a.local_endpoint().port();
  a.close();
  return port;
}

// ---- self-signed certificates (OpenSSL 3 API) ----

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long const n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

/// A self-signed P-256 certificate valid for a day, with `san` as subjectAltName
/// (e.g. "IP:127.0.0.1, DNS:localhost"). It is its own trust anchor.
TestCert make_self_signed(char const* san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  X509* x = X509_new();
  REQUIRE(x != nullptr);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(::getpid()) + 1000);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<unsigned char const*>("presign test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  std::pair<int, char const*> const exts[] = {
      {NID_subject_alt_name, san},
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_subject_key_identifier, "hash"},
  };
  for (auto const& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext != nullptr);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
  BIO* cb = BIO_new(BIO_s_mem());
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  TestCert out{bio_string(cb), bio_string(kb)};
  BIO_free(cb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

class TempFile {
 public:
  explicit TempFile(std::string const& content) {
    path_ = (std::filesystem::temp_directory_path() / ("presign-ca-" + std::to_string(::getpid()) +
                                                       "-" + std::to_string(counter()++) + ".pem"))
                .string();
    std::ofstream(path_, std::ios::binary) << content;
  }

  ~TempFile() { std::remove(path_.c_str()); }

  TempFile(TempFile const&) = delete;
  TempFile& operator=(TempFile const&) = delete;

  [[nodiscard]] std::string const& path() const { return path_; }

 private:
  static std::atomic<int>& counter() {
    static std::atomic<int> n{0};
    return n;
  }

  std::string path_;
};

}  // namespace

TEST_SUITE("io.http") {
  TEST_CASE("parse_url accepts http and https URLs and rejects user-info and fragments") {
    auto a = parse_url("http://127.0.0.1:8080/bucket?list-type=2");
    REQUIRE(a.has_value());
    CHECK_FALSE(a->tls);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 8080);
    CHECK(a->target == "/bucket?list-type=2");
    CHECK(a->host_header == "127.0.0.1:8080");

    auto b = parse_url("HTTPS://s3.amazonaws.com");
    REQUIRE(b.has_value());
    CHECK(b->tls);
    CHECK(b->port == 443);
    CHECK(b->target == "/");
    CHECK(b->host_header == "s3.amazonaws.com");

    auto c = parse_url("http://[::1]:9000?x=1");
    REQUIRE(c.has_value());
    CHECK(c->host == "::1");
    CHECK(c->host_header == "[::1]:9000");
    CHECK(c->target == "/?x=1");

    CHECK(parse_url("https://example.com:443/").value().host_header == "example.com");
    for (char const* bad :
         {"ftp://x/", "http://user:pw@x/", "http://x/#frag", "http://x:0/", "http://x:65536/",
          "http://x:/", "http:///path", "x/y", "http://x/a b"}) {
      CAPTURE(bad);
      auto r = parse_url(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().provider_code == transport_code::kInvalidUrl);
      CHECK(r.error().detail.find("pw") == std::string::npos);
    }
  }

  TEST_CASE("describe_request drops the query and the fragment and any user-info") {
    CHECK(describe_request("GET", "https://h:1/b/k?X-Amz-Signature=abc#f") ==
          "GET https://h:1/b/k");
    CHECK(describe_request("PUT", "http://u:secret@h/p?q") == "PUT http://h/p");
  }

  TEST_CASE("a GET of a list page returns 200 with the XML body and the response headers") {
    FakeS3Server server({});
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->reason == "OK");
    CHECK(r->header("content-type") == "application/xml");
    CHECK(r->header("X-AMZ-REQUEST-ID").size() == 16);
    CHECK(count_of(r->body, "<Key>") == 10);
    CHECK(r->body.find("<Key>" + server.key(0) + "</Key>") != std::string::npos);
    CHECK_FALSE(r->reused_connection);
  }

  TEST_CASE("sequential requests reuse one keep-alive connection") {
    FakeS3Server server({});
    auto client = make_client();
    for (int i = 0; i < 20; ++i) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->reused_connection == (i > 0));
    }
    CHECK(server.counters().connections == 1);
    auto const s = client->stats();
    CHECK(s.requests == 20);
    CHECK(s.connections_opened == 1);
    CHECK(s.connections_reused == 19);
  }

  TEST_CASE("concurrent requests use separate connections and return them to the pool") {
    FakeS3Options o;
    o.threads = 2;
    FakeS3Server server(o);
    auto client = make_client();
    std::vector<std::thread> workers;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          auto r = client->send(get(list_url(server)));
          if (r && r->status == 200) ++ok;
        }
      });
    }
    for (auto& w : workers) w.join();
    CHECK(ok == 40);
    // At most one connection per concurrent worker (plus none wasted): the pool holds 8.
    CHECK(server.counters().connections <= 4);
    CHECK(client->stats().connections_reused >= 36);
  }

  TEST_CASE("async_send completes through the callback on the client's thread") {
    FakeS3Server server({});
    auto client = make_client();
    std::promise<Result<HttpResponse>> done;
    client->async_send(get(list_url(server)),
                       [&](Result<HttpResponse> r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
  }

  TEST_CASE("send called from inside a callback returns kInternal instead of deadlocking") {
    FakeS3Server server({});
    auto client = make_client();
    std::promise<Result<HttpResponse>> inner;
    client->async_send(get(list_url(server)), [&](Result<HttpResponse>) {
      inner.set_value(client->send(get(list_url(server))));
    });
    auto r = inner.get_future().get();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kInternal);
  }

  TEST_CASE("connection refused is a kNetwork error that names host and path but not the query") {
    auto client = make_client();
    auto const port = closed_port();
    HttpRequest req = get("http://127.0.0.1:" + std::to_string(port) +
                          "/bucket?X-Amz-Signature=deadbeefsecret&X-Amz-Security-Token=tok");
    req.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSECRET");
    auto r = client->send(req);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CHECK(r.error().provider_code == transport_code::kConnectionRefused);
    CHECK(r.error().detail.find("127.0.0.1:" + std::to_string(port) + "/bucket") !=
          std::string::npos);
    CHECK(r.error().detail.find("deadbeefsecret") == std::string::npos);
    CHECK(r.error().detail.find("tok") == std::string::npos);
    CHECK(r.error().detail.find("AKIDSECRET") == std::string::npos);
  }

  TEST_CASE("a header value with CR or LF is refused before anything is sent") {
    FakeS3Server server({});
    auto client = make_client();
    HttpRequest req = get(list_url(server));
    req.headers.emplace_back("x-evil", "a\r\nInjected: yes");
    auto r = client->send(req);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kUsage);
    CHECK(r.error().detail.find("Injected") == std::string::npos);
    CHECK(server.counters().requests == 0);
  }

  TEST_CASE("RST in the middle of the headers is a network error and never a response") {
    FakeS3Options o;
    o.script = {Fault::kResetMidHeaders};
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CAPTURE(r.error().detail);
    CHECK((r.error().provider_code == transport_code::kConnectionReset ||
           r.error().provider_code == transport_code::kConnectionClosed));
    CHECK(r.error().detail.find("headers") != std::string::npos);
    CHECK(server.counters().of(Fault::kResetMidHeaders) == 1);
    // The client recovers on a new connection.
    auto again = client->send(get(list_url(server)));
    REQUIRE(again.has_value());
    CHECK(again->status == 200);
  }

  TEST_CASE("RST in the middle of the body is a network error and never a short body") {
    FakeS3Options o;
    o.script = {Fault::kResetMidBody};
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().detail);
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CHECK((r.error().provider_code == transport_code::kConnectionReset ||
           r.error().provider_code == transport_code::kTruncatedBody));
  }

  TEST_CASE("a body cut short of its Content-Length is a TruncatedBody error") {
    FakeS3Options o;
    o.script = {Fault::kTruncatedBody};
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().detail);
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CHECK(r.error().provider_code == transport_code::kTruncatedBody);
    CHECK(r.error().detail.find("announced by Content-Length") != std::string::npos);
  }

  TEST_CASE("a chunked response decodes to the same body as a Content-Length one") {
    FakeS3Options o;
    o.script = {Fault::kNone, Fault::kChunked};
    FakeS3Server server(o);
    auto client = make_client();
    auto plain = client->send(get(list_url(server, "&max-keys=100")));
    auto chunked = client->send(get(list_url(server, "&max-keys=100")));
    REQUIRE(plain.has_value());
    REQUIRE(chunked.has_value());
    CHECK(chunked->has_header("transfer-encoding"));
    CHECK(chunked->body.size() > 5000);  // several 1,000-byte chunks
    // x-amz-request-id differs, the body does not.
    CHECK(chunked->body == plain->body);
    CHECK(chunked->reused_connection);
  }

  TEST_CASE("a slow drip within the read timeout succeeds and the total timeout bounds it") {
    FakeS3Options o;
    o.script = {Fault::kSlowDrip, Fault::kSlowDrip};
    o.drip_bytes = 64;
    o.drip_interval = 5ms;
    FakeS3Server server(o);
    {
      HttpClientOptions co;
      co.read_timeout = 1000ms;
      auto client = make_client(co);
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(count_of(r->body, "<Key>") == 10);
    }
    {
      HttpClientOptions co;
      co.read_timeout = 1000ms;
      co.total_timeout = 60ms;
      auto client = make_client(co);
      auto const t0 = std::chrono::steady_clock::now();
      auto r = client->send(get(list_url(server)));
      auto const took = std::chrono::steady_clock::now() - t0;
      REQUIRE_FALSE(r.has_value());
      CAPTURE(r.error().detail);
      CHECK(r.error().provider_code == transport_code::kTimeout);
      CHECK(r.error().detail.find("total timeout") != std::string::npos);
      CHECK(took < 1000ms);
    }
  }

  TEST_CASE("a server that sends nothing hits the read timeout") {
    FakeS3Options o;
    o.script = {Fault::kHang};
    o.hang = 3000ms;
    FakeS3Server server(o);
    HttpClientOptions co;
    co.read_timeout = 150ms;
    auto client = make_client(co);
    auto const t0 = std::chrono::steady_clock::now();
    auto r = client->send(get(list_url(server)));
    auto const took = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().detail);
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CHECK(r.error().provider_code == transport_code::kTimeout);
    CHECK(r.error().detail.find("read timeout") != std::string::npos);
    CHECK(took >= 140ms);
    CHECK(took < 2000ms);
  }

  TEST_CASE("a body over the limit is refused and one at the limit is accepted") {
    FakeS3Server server({});
    HttpClientOptions co;
    co.body_limit = 1000;
    auto client = make_client(co);
    auto at = client->send(get(server.endpoint() + "/__bytes/1000"));
    REQUIRE(at.has_value());
    CHECK(at->body.size() == 1000);
    auto over = client->send(get(server.endpoint() + "/__bytes/100000"));
    REQUIRE_FALSE(over.has_value());
    CHECK(over.error().kind == ErrorKind::kProtocol);
    CHECK(over.error().provider_code == transport_code::kBodyTooLarge);
    CHECK(over.error().detail.find("1000 bytes") != std::string::npos);
  }

  TEST_CASE("an idle connection the server closed is detected and not reused") {
    FakeS3Options o;
    o.close_after_responses = 1;  // silent FIN after each response
    FakeS3Server server(o);
    auto client = make_client();
    for (int i = 0; i < 3; ++i) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      std::this_thread::sleep_for(50ms);  // let the FIN arrive
    }
    CHECK(server.counters().connections == 3);
    auto const s = client->stats();
    CHECK(s.stale_discarded == 2);
    CHECK(s.stale_retries == 0);
  }

  TEST_CASE("a kept-alive connection closed under a request is re-sent once on a fresh one") {
    FakeS3Options o;
    o.script = {Fault::kNone, Fault::kSilentClose};
    FakeS3Server server(o);
    auto client = make_client();
    REQUIRE(client->send(get(list_url(server))).has_value());
    auto r = client->send(get(list_url(server)));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK_FALSE(r->reused_connection);
    CHECK(client->stats().stale_retries == 1);
    CHECK(server.counters().connections == 2);
    CHECK(server.counters().requests == 3);
  }

  TEST_CASE("a silent close on a fresh connection is reported and not re-sent") {
    FakeS3Options o;
    o.script = {Fault::kSilentClose};
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().provider_code == transport_code::kConnectionClosed);
    CHECK(client->stats().stale_retries == 0);
    CHECK(server.counters().requests == 1);
  }

  TEST_CASE("a Connection: close response is not pooled") {
    FakeS3Options o;
    o.script = {Fault::kCloseAfterResponse, Fault::kNone, Fault::kNone};
    FakeS3Server server(o);
    auto client = make_client();
    for (int i = 0; i < 3; ++i) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
    }
    CHECK(server.counters().connections == 2);
    CHECK(client->stats().stale_discarded == 0);
  }

  TEST_CASE("status faults come back as responses carrying their status and body") {
    FakeS3Options o;
    o.script = {Fault::kSlowDown503,       Fault::kInternalError500,   Fault::kBadGateway502,
                Fault::kGatewayTimeout504, Fault::kTooManyRequests429, Fault::kRequestTimeout408,
                Fault::kRequestTimeout400, Fault::kAccessDenied403,    Fault::kNoSuchBucket404};
    o.retry_after = "7";
    FakeS3Server server(o);
    auto client = make_client();
    int const expected[] = {503, 500, 502, 504, 429, 408, 400, 403, 404};
    for (int status : expected) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == status);
    }
    // Error responses keep the connection alive, as S3 does.
    CHECK(server.counters().connections == 1);
    CHECK(server.counters().faults_total() == 9);
  }

  TEST_CASE("a 200 with malformed XML is delivered as is for the lister's parser to catch") {
    FakeS3Options o;
    o.script = {Fault::kMalformedXml200};
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body.find("</ListBucketResult>") == std::string::npos);
  }

  TEST_CASE("HEAD reads no body even when Content-Length is announced") {
    FakeS3Server server({});
    auto client = make_client();
    HttpRequest req = get(server.endpoint() + "/__bytes/500");
    req.method = "HEAD";
    auto r = client->send(req);
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body.empty());
    // The connection stays usable.
    auto after = client->send(get(server.endpoint() + "/__bytes/10"));
    REQUIRE(after.has_value());
    CHECK(after->body == std::string(10, 'x'));
    CHECK(server.counters().connections == 1);
  }

  TEST_CASE("a SigV4-signed request passes the fake's verification and a wrong secret gets 403") {
    FakeS3Options o;
    o.verify_sigv4 = true;
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o.region = "eu-north-1";
    FakeS3Server server(o);
    auto client = make_client();

    auto signed_request = [&](std::string const& secret) {
      namespace sigv4 = presign::signers::sigv4;
      std::string const host = "127.0.0.1:" + std::to_string(server.port());
      std::string const empty_hash =
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
      std::string const amz_date = "20240101T000000Z";
      sigv4::HttpRequestParts parts;
      parts.method = "GET";
      parts.path = "/bucket";
      parts.query = {{"list-type", "2"}, {"max-keys", "5"}, {"prefix", "obj/ x"}};
      parts.headers = {
          {"host", host}, {"x-amz-content-sha256", empty_hash}, {"x-amz-date", amz_date}};
      parts.payload_hash = empty_hash;
      std::string signed_headers;
      auto const cr = sigv4::canonical_request(parts, {.normalize = false}, &signed_headers);
      auto const scope = sigv4::credential_scope("20240101", "eu-north-1", "s3");
      auto const sts = sigv4::string_to_sign("AWS4-HMAC-SHA256", amz_date, scope, cr);
      auto const sig =
          sigv4::signature(sigv4::derive_signing_key(secret, "20240101", "eu-north-1", "s3"), sts);
      HttpRequest req = get(server.bucket_url() + "?list-type=2&max-keys=5&prefix=obj%2F%20x");
      req.headers = {
          {"x-amz-content-sha256", empty_hash},
          {"x-amz-date", amz_date},
          {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                                ", SignedHeaders=" + signed_headers + ", Signature=" + sig}};
      return req;
    };

    auto ok = client->send(signed_request(o.secret_access_key));
    REQUIRE(ok.has_value());
    CHECK(ok->status == 200);
    auto bad = client->send(signed_request("not-the-secret"));
    REQUIRE(bad.has_value());
    CHECK(bad->status == 403);
    CHECK(bad->body.find("SignatureDoesNotMatch") != std::string::npos);
    auto unsigned_req = client->send(get(list_url(server)));
    REQUIRE(unsigned_req.has_value());
    CHECK(unsigned_req->status == 403);
    CHECK(server.counters().auth_failures == 2);
  }
}

TEST_SUITE("io.http.tls") {
  TEST_CASE("HTTPS verification rejects a self-signed certificate against the system store") {
    auto const cert = make_self_signed("IP:127.0.0.1, DNS:localhost");
    FakeS3Options o;
    o.tls_cert_pem = cert.cert_pem;
    o.tls_key_pem = cert.key_pem;
    FakeS3Server server(o);
    auto client = make_client();
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().detail);
    CHECK(r.error().kind == ErrorKind::kNetwork);
    CHECK(r.error().provider_code == transport_code::kTlsVerifyFailed);
    CHECK(r.error().detail.find("self") != std::string::npos);  // "self-signed certificate"
  }

  TEST_CASE("HTTPS succeeds with the certificate as CA bundle and reuses the TLS connection") {
    auto const cert = make_self_signed("IP:127.0.0.1, DNS:localhost");
    TempFile ca(cert.cert_pem);
    FakeS3Options o;
    o.tls_cert_pem = cert.cert_pem;
    o.tls_key_pem = cert.key_pem;
    FakeS3Server server(o);
    HttpClientOptions co;
    co.tls.ca_bundle_file = ca.path();
    auto client = make_client(co);
    for (int i = 0; i < 5; ++i) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(count_of(r->body, "<Key>") == 10);
    }
    CHECK(server.counters().connections == 1);
  }

  TEST_CASE("HTTPS succeeds with verification explicitly disabled") {
    auto const cert = make_self_signed("DNS:unrelated.example");
    FakeS3Options o;
    o.tls_cert_pem = cert.cert_pem;
    o.tls_key_pem = cert.key_pem;
    FakeS3Server server(o);
    HttpClientOptions co;
    co.tls.verify_peer = false;
    auto client = make_client(co);
    auto r = client->send(get(list_url(server)));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
  }

  TEST_CASE("a trusted certificate for another name fails host name verification") {
    auto const cert = make_self_signed("DNS:other.example");
    TempFile ca(cert.cert_pem);
    FakeS3Options o;
    o.tls_cert_pem = cert.cert_pem;
    o.tls_key_pem = cert.key_pem;
    FakeS3Server server(o);
    HttpClientOptions co;
    co.tls.ca_bundle_file = ca.path();
    auto client = make_client(co);
    auto r = client->send(get(list_url(server)));
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().detail);
    CHECK(r.error().provider_code == transport_code::kTlsVerifyFailed);
    CHECK(r.error().detail.find("mismatch") != std::string::npos);
  }

  TEST_CASE("a missing CA bundle is a kConfig error at create") {
    HttpClientOptions co;
    co.tls.ca_bundle_file = "/nonexistent/presign-ca.pem";
    auto c = HttpClient::create(co);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kConfig);
    CHECK(c.error().detail.find("/nonexistent/presign-ca.pem") != std::string::npos);
  }

  TEST_CASE("over TLS a truncated body is an error and Connection: close is clean") {
    auto const cert = make_self_signed("IP:127.0.0.1");
    TempFile ca(cert.cert_pem);
    FakeS3Options o;
    o.tls_cert_pem = cert.cert_pem;
    o.tls_key_pem = cert.key_pem;
    o.script = {Fault::kTruncatedBody, Fault::kCloseAfterResponse, Fault::kNone, Fault::kChunked};
    FakeS3Server server(o);
    HttpClientOptions co;
    co.tls.ca_bundle_file = ca.path();
    auto client = make_client(co);
    auto truncated = client->send(get(list_url(server)));
    REQUIRE_FALSE(truncated.has_value());
    CAPTURE(truncated.error().detail);
    CHECK(truncated.error().provider_code == transport_code::kTruncatedBody);
    for (int i = 0; i < 3; ++i) {
      auto r = client->send(get(list_url(server)));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
    }
    // truncated (1) + close-after-response (1) + the kept-alive one for the last two (1).
    CHECK(server.counters().connections == 3);
  }
}
