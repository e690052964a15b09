// Listing a bucket: the S3 ListObjectsV2 fetcher (io/s3_lister.hpp) behind the ListingSource
// (io/listing.hpp), against the in-process FakeS3Server (tests/support) with SigV4 header
// verification on. Covers: every key exactly once and in order (pages of 1000 and of 7),
// hostile key bytes through encoding-type=url, start-after, prefix, a fault storm (503,
// SlowDown, 500, resets) with nothing lost or repeated, malformed 200 pages retried, the
// pagination guards (repeated token, keys out of order, wrong echoed prefix), credential /
// bucket / region errors without secrets, retry exhaustion, seek after any batch, and the
// source driving the real pipeline with the real S3 presigner, compared with a key file.
#include "presign/io/listing.hpp"
#include "presign/io/s3_lister.hpp"

#include "presign/io/key_file_source.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/signers/sigv4.hpp"
#include "presign/signers/uri.hpp"

#include "fake_s3_server.hpp"
#include "s3_listing_fixture.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace presign;
using presign::test::fake_options;
using presign::test::FakeS3Options;
using presign::test::FakeS3Server;
using presign::test::Fault;
using presign::test::kAkid;
using presign::test::kRegion;
using presign::test::kSecret;
using presign::test::lister_config;
using presign::test::RequestInfo;

namespace {

std::unique_ptr<io::ObjectSource> listing(io::S3ListerConfig config, io::ListingOptions options) {
  auto fetcher = io::make_s3_page_fetcher(std::move(config));
  REQUIRE(fetcher.has_value());
  return io::make_listing_source(std::move(*fetcher), std::move(options));
}

io::ListingOptions pages_of(std::uint32_t n, std::string prefix = {},
                            std::string start_after = {}) {
  io::ListingOptions o;
  o.page_size = n;
  o.prefix = std::move(prefix);
  o.start_after = std::move(start_after);
  return o;
}

struct Drained {
  std::vector<std::string> keys;
  std::vector<std::string> positions;  // source_position after each batch
  std::vector<std::uint64_t> first_index;
  std::vector<std::size_t> sizes;
  std::optional<Error> error;
};

// Calls next until the end or an error; checks seq and first_index continuity on the way.
Drained drain(io::ObjectSource& source, std::uint64_t first_seq = 0,
              std::uint64_t first_index = 0) {
  Drained d;
  io::Batch batch;
  std::uint64_t seq = first_seq;
  std::uint64_t index = first_index;
  for (;;) {
    auto more = source.next(batch);
    if (!more) {
      d.error = more.error();
      break;
    }
    if (!*more) {
      CHECK(batch.objects.empty());
      break;
    }
    CHECK(batch.seq == seq);
    CHECK(batch.first_index == index);
    CHECK_FALSE(batch.objects.empty());
    CHECK_FALSE(batch.source_position.empty());
    ++seq;
    index += batch.objects.size();
    d.first_index.push_back(batch.first_index);
    d.sizes.push_back(batch.objects.size());
    d.positions.push_back(batch.source_position);
    for (auto const& o : batch.objects) d.keys.emplace_back(o.key);
  }
  return d;
}

std::vector<std::string> expected_keys(FakeS3Server const& server, std::uint64_t n,
                                       std::string_view prefix = {},
                                       std::string_view start_after = {}) {
  std::vector<std::string> keys;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string k = server.key(i);
    if (k.starts_with(prefix) && k > start_after) keys.push_back(std::move(k));
  }
  return keys;
}

// Where two key lists first differ (for readable failures on 100,000 keys).
std::string first_difference(std::vector<std::string> const& got,
                             std::vector<std::string> const& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  if (i == got.size() && i == want.size()) return "identical";
  return "first difference at " + std::to_string(i) + ": got " +
         (i < got.size() ? "'" + got[i] + "'" : "(end)") + ", want " +
         (i < want.size() ? "'" + want[i] + "'" : "(end)") + "; sizes " +
         std::to_string(got.size()) + " vs " + std::to_string(want.size());
}

}  // namespace

TEST_SUITE("io.listing.s3") {
  TEST_CASE(
      "the ListObjectsV2 query is sorted and encoded as signed with start-after on the first page "
      "only") {
    io::ListRequest first;
    first.prefix = "dir/a b+";
    first.start_after = "dir/a b+0005";
    first.page_size = 5000;
    CHECK(signers::encode_query(io::s3_list_query(first)) ==
          "encoding-type=url&list-type=2&max-keys=1000&prefix=dir%2Fa%20b%2B&"
          "start-after=dir%2Fa%20b%2B0005");
    io::ListRequest later = first;
    later.token = "++++tok/en=";
    later.page_size = 7;
    CHECK(signers::encode_query(io::s3_list_query(later)) ==
          "continuation-token=%2B%2B%2B%2Btok%2Fen%3D&encoding-type=url&list-type=2&max-keys=7&"
          "prefix=dir%2Fa%20b%2B");
    io::ListRequest bare;
    bare.page_size = 0;
    CHECK(signers::encode_query(io::s3_list_query(bare)) ==
          "encoding-type=url&list-type=2&max-keys=1000");
  }

  TEST_CASE("the list target follows AWS virtual and path addressing and custom endpoints") {
    io::S3ListerConfig c;
    c.bucket = "my-bucket";
    c.credentials = {"AKID", "secret", ""};
    auto t = io::resolve_s3_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "https://my-bucket.s3.amazonaws.com/");
    CHECK(t->host_header == "my-bucket.s3.amazonaws.com");
    CHECK(t->path == "/");

    c.region = "eu-west-1";
    t = io::resolve_s3_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "https://my-bucket.s3.eu-west-1.amazonaws.com/");

    c.bucket = "dotted.bucket";  // not DNS-compatible in auto mode: path style
    t = io::resolve_s3_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "https://s3.eu-west-1.amazonaws.com/dotted.bucket");
    CHECK(t->path == "/dotted.bucket");
    CHECK_FALSE(t->virtual_host);

    c.bucket = "my-bucket";
    c.endpoint = "http://Minio.Local:9000/";
    t = io::resolve_s3_list_target(c);  // custom endpoint: path style unless virtual asked
    REQUIRE(t.has_value());
    CHECK(t->base_url == "http://minio.local:9000/my-bucket");
    CHECK(t->host_header == "minio.local:9000");

    c.addressing = signers::sigv4::Addressing::kVirtual;
    t = io::resolve_s3_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "http://my-bucket.minio.local:9000/");
    CHECK(t->host_header == "my-bucket.minio.local:9000");

    c.addressing = signers::sigv4::Addressing::kPath;
    c.endpoint = "https://s3.example.com:443";
    t = io::resolve_s3_list_target(c);
    REQUIRE(t.has_value());
    CHECK(t->base_url == "https://s3.example.com:443/my-bucket");
    CHECK(t->host_header == "s3.example.com");  // the default port is not sent nor signed

    for (auto const* bad : {"ftp://x", "127.0.0.1:9000", "http://host/path", "http://"}) {
      CAPTURE(bad);
      c.endpoint = bad;
      auto r = io::resolve_s3_list_target(c);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
    }
    c.endpoint.clear();
    c.region = "EU_WEST";
    CHECK_FALSE(io::resolve_s3_list_target(c).has_value());
    c.region = "us-east-1";
    c.bucket = "a/b";
    CHECK_FALSE(io::resolve_s3_list_target(c).has_value());
  }

  TEST_CASE("twenty-five thousand keys in pages of 1000 and of 7 are listed once each in order") {
    FakeS3Server server(fake_options(25'000));
    auto const want = expected_keys(server, 25'000);
    for (std::uint32_t page : {1000U, 7U}) {
      CAPTURE(page);
      auto source = listing(lister_config(server), pages_of(page));
      Drained const d = drain(*source);
      REQUIRE_FALSE(d.error.has_value());
      CHECK(first_difference(d.keys, want) == "identical");
      CHECK(d.sizes.size() == (25'000 + page - 1) / page);
      for (std::size_t n : d.sizes) CHECK(n <= page);
    }
    CHECK(server.counters().auth_failures == 0);
  }

  TEST_CASE("hostile key bytes survive encoding-type=url") {
    auto o = fake_options(3000);
    o.key_prefix = "d ir/+&<>\"'%/";
    o.key_suffix = " +&<\xC3\xA9%25=?#\x01";
    FakeS3Server server(o);
    auto source = listing(lister_config(server), pages_of(333));
    Drained const d = drain(*source);
    REQUIRE_FALSE(d.error.has_value());
    auto const want = expected_keys(server, 3000);
    REQUIRE(want.front().ends_with(" +&<\xC3\xA9%25=?#\x01"));
    CHECK(first_difference(d.keys, want) == "identical");
  }

  TEST_CASE("start-after and prefix narrow the listing exactly") {
    FakeS3Server server(fake_options(20'000));
    std::string const start_after = server.key(12'344);
    {
      auto source = listing(lister_config(server), pages_of(500, "", start_after));
      Drained const d = drain(*source);
      REQUIRE_FALSE(d.error.has_value());
      CHECK(first_difference(d.keys, expected_keys(server, 20'000, "", start_after)) ==
            "identical");
      REQUIRE_FALSE(d.keys.empty());
      CHECK(d.keys.front() == server.key(12'345));
    }
    std::string const prefix = server.key(15'000).substr(0, server.key(15'000).size() - 3);
    {
      auto source = listing(lister_config(server), pages_of(64, prefix));
      Drained const d = drain(*source);
      REQUIRE_FALSE(d.error.has_value());
      auto const want = expected_keys(server, 20'000, prefix);
      CHECK(want.size() == 1000);
      CHECK(first_difference(d.keys, want) == "identical");
    }
    {  // both at once
      auto source = listing(lister_config(server), pages_of(100, prefix, server.key(15'500)));
      Drained const d = drain(*source);
      REQUIRE_FALSE(d.error.has_value());
      auto const want = expected_keys(server, 20'000, prefix, server.key(15'500));
      CHECK(want.size() == 499);
      CHECK(first_difference(d.keys, want) == "identical");
    }
  }

  TEST_CASE("a fault storm over one hundred thousand keys loses and repeats nothing") {
    auto o = fake_options(100'000);
    o.rates = {{Fault::kSlowDown503, 0.30},
               {Fault::kInternalError500, 0.18},
               {Fault::kResetMidBody, 0.05},
               {Fault::kResetMidHeaders, 0.05}};
    o.max_consecutive_faults_per_page = 4;
    o.seed = 42;
    FakeS3Server server(o);
    auto cfg = lister_config(server);
    cfg.retry.max_attempts = 8;
    auto source = listing(cfg, pages_of(250));
    Drained const d = drain(*source);
    REQUIRE_FALSE(d.error.has_value());
    CHECK(first_difference(d.keys, expected_keys(server, 100'000)) == "identical");
    auto const c = server.counters();
    std::uint64_t const http_faults = c.of(Fault::kSlowDown503) + c.of(Fault::kInternalError500);
    std::uint64_t const resets = c.of(Fault::kResetMidBody) + c.of(Fault::kResetMidHeaders);
    MESSAGE("injected: " << c.of(Fault::kSlowDown503) << " SlowDown 503, "
                         << c.of(Fault::kInternalError500) << " 500, " << resets << " resets, over "
                         << c.requests << " requests");
    CHECK(http_faults >= 300);
    CHECK(resets >= 20);
    CHECK(c.list_pages_ok == 400);
    CHECK(c.keys_served == 100'000);
  }

  TEST_CASE("malformed and truncated 200 pages are retried and never emitted as short pages") {
    auto o = fake_options(2000);
    // Page 1: two malformed bodies, then a truncated one, then the real page; page 2 gets an
    // <IsTruncated> without a token once.
    o.script = {Fault::kMalformedXml200, Fault::kMalformedXml200, Fault::kTruncatedBody,
                Fault::kNone, Fault::kTruncatedWithoutToken};
    FakeS3Server server(o);
    auto source = listing(lister_config(server), pages_of(1000));
    Drained const d = drain(*source);
    REQUIRE_FALSE(d.error.has_value());
    CHECK(first_difference(d.keys, expected_keys(server, 2000)) == "identical");
    CHECK(d.sizes == std::vector<std::size_t>{1000, 1000});

    // Always malformed: gives up after the configured attempts, saying so.
    auto bad = fake_options(2000);
    bad.hook = [](RequestInfo const&) { return Fault::kMalformedXml200; };
    FakeS3Server broken(bad);
    auto cfg = lister_config(broken);
    cfg.retry.max_attempts = 3;
    auto failing = listing(cfg, pages_of(1000));
    Drained const f = drain(*failing);
    REQUIRE(f.error.has_value());
    CAPTURE(f.error->detail);
    CHECK(f.keys.empty());
    CHECK(f.error->detail.find("gave up after 3 attempts") != std::string::npos);
    CHECK(f.error->detail.find("page 1") != std::string::npos);
    CHECK(f.error->detail.find("s3://bucket") != std::string::npos);
    CHECK(broken.counters().requests == 3);
  }

  TEST_CASE("empty pages that carry a token are skipped without an empty batch") {
    auto o = fake_options(1500);
    o.script = {Fault::kEmptyPageWithToken, Fault::kEmptyPageWithToken, Fault::kEmptyPageWithToken,
                Fault::kNone, Fault::kEmptyPageWithToken};
    FakeS3Server server(o);
    auto source = listing(lister_config(server), pages_of(500));
    Drained const d = drain(*source);
    REQUIRE_FALSE(d.error.has_value());
    CHECK(first_difference(d.keys, expected_keys(server, 1500)) == "identical");
    CHECK(d.sizes == std::vector<std::size_t>{500, 500, 500});
  }

  TEST_CASE("retry exhaustion says how many attempts and the last cause") {
    auto o = fake_options(5000);
    o.hook = [](RequestInfo const& r) {
      return r.page_start >= 2000 ? Fault::kSlowDown503 : Fault::kNone;
    };
    FakeS3Server server(o);
    auto cfg = lister_config(server);
    cfg.retry.max_attempts = 5;
    auto source = listing(cfg, pages_of(1000));
    Drained const d = drain(*source);
    REQUIRE(d.error.has_value());
    CAPTURE(d.error->detail);
    // The two pages before the failure are delivered first.
    CHECK(d.keys.size() == 2000);
    CHECK(d.error->detail.find("page 3") != std::string::npos);
    CHECK(d.error->detail.find("gave up after 5 attempts") != std::string::npos);
    CHECK(d.error->detail.find("SlowDown") != std::string::npos);
    CHECK(d.error->http_status == 503);
  }
}

TEST_SUITE("io.listing.guards") {
  struct GuardCase {
    Fault fault;
    char const* says;
  };

  TEST_CASE("a repeated token and keys out of order and a wrong echoed prefix are clear errors") {
    for (GuardCase const g : {GuardCase{Fault::kRepeatToken, "same continuation token"},
                              GuardCase{Fault::kOutOfOrderKeys, "out of order"},
                              GuardCase{Fault::kWrongPrefix, "echoed prefix"}}) {
      CAPTURE(test::fault_name(g.fault));
      auto o = fake_options(10'000);
      Fault const f = g.fault;
      o.hook = [f](RequestInfo const& r) { return r.request_index == 2 ? f : Fault::kNone; };
      FakeS3Server server(o);
      auto source = listing(lister_config(server), pages_of(1000));
      Drained const d = drain(*source);
      REQUIRE(d.error.has_value());
      CAPTURE(d.error->detail);
      CHECK(d.error->kind == ErrorKind::kProtocol);
      CHECK(d.error->detail.find(g.says) != std::string::npos);
      CHECK(d.error->detail.find("listing s3://bucket") != std::string::npos);
      CHECK(d.error->detail.find("page 3") != std::string::npos);
      CHECK(d.keys.size() == 2000);  // the good pages before it, nothing of the bad one
      CHECK(first_difference(d.keys, expected_keys(server, 2000)) == "identical");
    }
  }

  TEST_CASE("a key outside the prefix is refused") {
    // A fetcher that answers with whatever it is told: the guard, not S3, is under test.
    struct Liar final : io::PageFetcher {
      Result<void> fetch(io::ListRequest const& req, io::ListPage& page,
                         std::string& keys) override {
        page.clear();
        for (std::string_view k : {std::string_view("pre/a"), std::string_view("zzz")}) {
          io::ListedObject o;
          o.key = {keys.size(), k.size()};
          keys += k;
          page.objects.push_back(o);
        }
        page.prefix_echoed = true;
        page.echoed_prefix = req.prefix;
        return {};
      }
      [[nodiscard]] std::string describe() const override { return "test://liar/pre/"; }
    };
    io::ListingOptions opts;
    opts.prefix = "pre/";
    auto source = io::make_listing_source(std::make_unique<Liar>(), opts);
    Drained const d = drain(*source);
    REQUIRE(d.error.has_value());
    CAPTURE(d.error->detail);
    CHECK(d.error->detail.find("'zzz' is outside the prefix 'pre/'") != std::string::npos);
    CHECK(d.error->detail.find("listing test://liar/pre/: page 1") != std::string::npos);
  }
}

TEST_SUITE("io.listing.errors") {
  TEST_CASE("a wrong secret is a credentials error naming the key id and never the secret") {
    FakeS3Server server(fake_options(100));
    std::string const wrong = "WRONG/secret+value0123456789WRONGWRONG";
    auto source = listing(lister_config(server, wrong), pages_of(10));
    Drained const d = drain(*source);
    REQUIRE(d.error.has_value());
    CAPTURE(d.error->detail);
    CHECK(d.error->kind == ErrorKind::kAuth);
    CHECK(d.error->http_status == 403);
    CHECK(d.error->provider_code == "SignatureDoesNotMatch");
    CHECK(d.error->detail.find(kAkid) != std::string::npos);
    CHECK(d.error->detail.find(wrong) == std::string::npos);
    CHECK(d.error->detail.find(kSecret) == std::string::npos);
    CHECK(d.error->detail.find("Signature=") == std::string::npos);
    CHECK(server.counters().requests == 1);  // not retried

    auto cfg = lister_config(server);
    cfg.credentials.access_key_id = "AKIDUNKNOWN";
    auto unknown = listing(cfg, pages_of(10));
    Drained const u = drain(*unknown);
    REQUIRE(u.error.has_value());
    CHECK(u.error->kind == ErrorKind::kAuth);
    CHECK(u.error->detail.find("AKIDUNKNOWN") != std::string::npos);
    CHECK(u.error->detail.find("unknown") != std::string::npos);
  }

  TEST_CASE("a missing bucket is a configuration error after one attempt") {
    FakeS3Server server(fake_options(100));
    auto cfg = lister_config(server);
    cfg.bucket = "no-such-bucket";
    auto source = listing(cfg, pages_of(10));
    Drained const d = drain(*source);
    REQUIRE(d.error.has_value());
    CAPTURE(d.error->detail);
    CHECK(d.error->kind == ErrorKind::kConfig);
    CHECK(d.error->detail.find("bucket 'no-such-bucket' does not exist") != std::string::npos);
    CHECK(server.counters().requests == 1);
  }

  TEST_CASE("a wrong region answer names the bucket's region") {
    io::S3ListerConfig cfg;
    cfg.bucket = "b";
    cfg.region = "us-east-1";
    cfg.credentials = {"AKID", "secret-never-shown", ""};
    io::HttpResponse redirect;
    redirect.status = 301;
    redirect.headers = {{"x-amz-bucket-region", "eu-west-1"}};
    redirect.body =
        "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting "
        "to access must be addressed using the specified endpoint.</Message>"
        "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>";
    Error const e = io::s3_list_error(redirect, "https://b.s3.amazonaws.com/?list-type=2&x=1", cfg);
    CAPTURE(e.detail);
    CHECK(e.kind == ErrorKind::kConfig);
    CHECK(e.detail.find("is in region eu-west-1, not us-east-1") != std::string::npos);
    CHECK(e.detail.find("--region eu-west-1") != std::string::npos);
    CHECK(e.detail.find("x=1") == std::string::npos);

    io::HttpResponse malformed;
    malformed.status = 400;
    malformed.body =
        "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region "
        "'us-east-1' is wrong; expecting 'ap-south-1'</Message>"
        "<Region>ap-south-1</Region></Error>";
    Error const m = io::s3_list_error(malformed, "https://b.s3.amazonaws.com/", cfg);
    CHECK(m.kind == ErrorKind::kConfig);
    CHECK(m.detail.find("is in region ap-south-1") != std::string::npos);

    io::HttpResponse bare;  // a 301 that does not say where
    bare.status = 301;
    bare.body = "<Error><Code>PermanentRedirect</Code><Endpoint>b.s3-eu.example</Endpoint></Error>";
    Error const b = io::s3_list_error(bare, "https://b.s3.amazonaws.com/", cfg);
    CHECK(b.kind == ErrorKind::kConfig);
    CHECK(b.detail.find("is not in region us-east-1") != std::string::npos);
    CHECK(b.detail.find("b.s3-eu.example") != std::string::npos);
    for (auto const* d : {&e.detail, &m.detail, &b.detail}) {
      CHECK(d->find("secret-never-shown") == std::string::npos);
    }
  }

  TEST_CASE("a session token is sent signed and the listing succeeds") {
    FakeS3Server server(fake_options(50));
    auto cfg = lister_config(server);
    cfg.credentials.session_token = "IQoJb3JpZ2luX2Vj+/TOKEN==";
    auto source = listing(cfg, pages_of(20));
    Drained const d = drain(*source);
    REQUIRE_FALSE(d.error.has_value());
    CHECK(d.keys.size() == 50);
  }

  TEST_CASE("missing credentials and a bad endpoint are refused before any request") {
    io::S3ListerConfig cfg;
    cfg.bucket = "bucket";
    cfg.endpoint = "http://127.0.0.1:1";
    auto r = io::make_s3_page_fetcher(cfg);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);
    cfg.credentials = {"AKID", "s", ""};
    cfg.endpoint = "127.0.0.1:1";
    r = io::make_s3_page_fetcher(cfg);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kUsage);
  }
}

TEST_SUITE("io.listing.source") {
  TEST_CASE("seek after any batch resumes at the next batch exactly") {
    FakeS3Server server(fake_options(2000));
    std::string const start_after = server.key(16);
    auto const opts = pages_of(97, "", start_after);
    auto whole_source = listing(lister_config(server), opts);
    Drained const whole = drain(*whole_source);
    REQUIRE_FALSE(whole.error.has_value());
    REQUIRE(whole.positions.size() == 21);
    REQUIRE(whole.keys.size() == 2000 - 17);
    for (std::size_t b = 0; b < whole.positions.size(); ++b) {
      CAPTURE(b);
      auto resumed = listing(lister_config(server), opts);
      REQUIRE(resumed->seek(whole.positions[b]).has_value());
      std::uint64_t const index = whole.first_index[b] + whole.sizes[b];
      Drained const rest = drain(*resumed, b + 1, index);
      REQUIRE_FALSE(rest.error.has_value());
      std::vector<std::string> const want(whole.keys.begin() + static_cast<std::ptrdiff_t>(index),
                                          whole.keys.end());
      CHECK(first_difference(rest.keys, want) == "identical");
      CHECK(std::equal(rest.positions.begin(), rest.positions.end(),
                       whole.positions.begin() + static_cast<std::ptrdiff_t>(b) + 1,
                       whole.positions.end()));
    }
  }

  TEST_CASE("a damaged position is refused and seek after next is an error") {
    FakeS3Server server(fake_options(100));
    auto source = listing(lister_config(server), pages_of(10));
    for (auto const* bad : {"", "offset=1,line=2,index=3,seq=4", "listing/1 seq=1 index=10",
                            "listing/1 seq=1 index=10 pages=1 done=0 token=99:x last=-"}) {
      CAPTURE(bad);
      auto r = source->seek(bad);
      REQUIRE_FALSE(r.has_value());
    }
    io::Batch batch;
    REQUIRE(source->next(batch).has_value());
    CHECK_FALSE(source->seek(batch.source_position).has_value());
  }

  TEST_CASE("destroying the source while it prefetches or backs off returns") {
    FakeS3Server server(fake_options(100'000));
    {
      auto source = listing(lister_config(server), pages_of(100));
      io::Batch batch;
      REQUIRE(source->next(batch).has_value());
      CHECK(batch.objects.size() == 100);
    }  // the prefetch thread is mid-listing here
    auto o = fake_options(1000);
    o.hook = [](RequestInfo const& r) {
      return r.request_index >= 1 ? Fault::kSlowDown503 : Fault::kNone;
    };
    FakeS3Server slow(o);
    auto cfg = lister_config(slow);
    cfg.retry.base_delay = std::chrono::milliseconds{60'000};  // a backoff nobody waits out
    cfg.retry.max_backoff = std::chrono::milliseconds{60'000};
    cfg.retry_env.uniform01 = [] { return 0.99; };
    auto source = listing(cfg, pages_of(100));
    io::Batch batch;
    REQUIRE(source->next(batch).has_value());
    // The producer is now sleeping ~59 s before retrying page 2; the destructor cancels it.
    while (slow.counters().requests < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    source.reset();
    CHECK(slow.counters().requests == 2);
  }
}
