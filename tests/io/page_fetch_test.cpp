// The one page fetcher (io/src/page_fetch.hpp) on the HTTP client's async path: backoff is a
// timer wait that leaves the I/O thread to other fetches, a cancel during backoff or during a
// request on the wire ends the fetch at once with kCancelled, a page after retryable failures
// is counted as before, and S3, GCS and Azure pages all go through it, sharing one client.
// Only 127.0.0.1 (tests/support servers); no tight timings (orders and generous bounds).
#include "page_fetch.hpp"
#include "page_fetchers.hpp"

#include "presign/io/gcs_lister.hpp"

#include "fake_gcs_server.hpp"
#include "fake_s3_server.hpp"
#include "s3_listing_fixture.hpp"
#include "rsa_key.hpp"
#include "script_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace presign;
namespace asio = boost::asio;
using io::detail::PageFetch;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

std::shared_ptr<io::HttpClient> shared_client() {
  auto c = io::HttpClient::create();
  REQUIRE(c.has_value());
  return std::shared_ptr<io::HttpClient>(std::move(*c));
}

// One fetch's output and its completion, filled on the I/O thread.
struct Outcome {
  io::ListPage page;
  std::string keys;
  std::optional<Result<void>> value;  // handed over by io::detail::deliver (see block_on)
  std::promise<Result<void>> promise;
  std::future<Result<void>> done = promise.get_future();
};

// Spawns `fetch` of `req` on its client's I/O thread; `signal`, when given, is bound as the
// cancellation slot (touched on the I/O thread only).
void spawn(PageFetch& fetch, io::ListRequest const& req, Outcome& out,
           asio::cancellation_signal* signal = nullptr) {
  auto const ex = io::detail::executor_of(fetch.client());
  asio::post(ex, [&fetch, &req, &out, signal, ex] {
    auto finish = [&out](std::exception_ptr const& e) {
      if (e || !out.value) {
        out.promise.set_value(make_error(ErrorKind::kInternal, "exception"));
      } else {
        out.promise.set_value(std::move(*out.value));
      }
    };
    auto work = io::detail::deliver<void>(fetch.fetch(req, out.page, out.keys), out.value);
    if (signal != nullptr) {
      asio::co_spawn(ex, std::move(work), asio::bind_cancellation_slot(signal->slot(), finish));
    } else {
      asio::co_spawn(ex, std::move(work), finish);
    }
  });
}

io::ListRequest first_page(std::string prefix, std::uint32_t size = 1000) {
  io::ListRequest r;
  r.prefix = std::move(prefix);
  r.page_size = size;
  r.page_number = 1;
  return r;
}

// A retry observer that fulfils `promise` at the first retry (the fetch is then about to wait).
io::RetryObserver on_first_retry(std::shared_ptr<std::promise<void>> promise) {
  auto once = std::make_shared<std::atomic<bool>>(false);
  return [promise, once](io::RetryEvent const& e) {
    if (e.kind == io::RetryEvent::Kind::kRetry && !once->exchange(true)) promise->set_value();
  };
}

io::S3ListerConfig long_backoff(test::FakeS3Server const& server) {
  io::S3ListerConfig cfg = test::lister_config(server);
  cfg.retry.base_delay = milliseconds(60'000);
  cfg.retry.max_backoff = milliseconds(60'000);
  cfg.retry_env.uniform01 = [] { return 0.99; };  // about 59 s: only a cancel ends it early
  return cfg;
}

std::string azure_page(std::vector<std::string> const& names) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"http://127.0.0.1/devstoreaccount1\" ContainerName=\"cc1\"><Prefix>"
      "</Prefix><Blobs>";
  for (auto const& n : names) {
    x += "<Blob><Name>" + n +
         "</Name><Properties><Content-Length>7</Content-Length><Etag>0x1</Etag></Properties>"
         "</Blob>";
  }
  return x + "</Blobs><NextMarker></NextMarker></EnumerationResults>";
}

}  // namespace

TEST_SUITE("io.listing.page_fetch") {
  TEST_CASE("a fetch in backoff leaves the I/O thread to another fetch, which finishes first") {
    auto opts = test::fake_options(50);
    // Every request for prefix "a/" is throttled; the others are served.
    opts.hook = [](test::RequestInfo const& info) {
      return info.target.find("prefix=a") != std::string::npos ? test::Fault::kSlowDown503
                                                               : test::Fault::kNone;
    };
    test::FakeS3Server server(opts);
    auto client = shared_client();

    auto in_backoff = std::make_shared<std::promise<void>>();
    auto backoff_started = in_backoff->get_future();
    io::S3ListerConfig slow_cfg = test::lister_config(server);
    slow_cfg.retry.max_attempts = 2;
    slow_cfg.retry.base_delay = milliseconds(3000);
    slow_cfg.retry.max_backoff = milliseconds(3000);
    slow_cfg.retry_env.uniform01 = [] { return 0.99; };
    slow_cfg.retry_env.on_retry = on_first_retry(in_backoff);
    auto slow = io::detail::make_s3_page_fetch(slow_cfg, client);
    auto fast = io::detail::make_s3_page_fetch(test::lister_config(server), client);
    REQUIRE(slow.has_value());
    REQUIRE(fast.has_value());

    Outcome a;
    Outcome b;
    auto const req_a = first_page("a/");
    auto const req_b = first_page("obj/");
    spawn(**slow, req_a, a);
    REQUIRE(backoff_started.wait_for(seconds(30)) == std::future_status::ready);
    spawn(**fast, req_b, b);

    // b completes while a still waits out its backoff on the same (only) I/O thread.
    REQUIRE(b.done.wait_for(seconds(30)) == std::future_status::ready);
    CHECK(a.done.wait_for(milliseconds(0)) == std::future_status::timeout);
    auto rb = b.done.get();
    REQUIRE(rb.has_value());
    CHECK(b.page.objects.size() == 50);

    REQUIRE(a.done.wait_for(seconds(60)) == std::future_status::ready);
    auto ra = a.done.get();
    REQUIRE_FALSE(ra.has_value());
    CHECK(ra.error().detail.find("gave up after 2 attempts") != std::string::npos);
    CHECK((*slow)->retry().stats().attempts == 2);
  }

  TEST_CASE("a cancel during backoff ends the blocking fetch with kCancelled at once") {
    auto opts = test::fake_options(10);
    opts.script = {test::Fault::kSlowDown503};
    test::FakeS3Server server(opts);
    auto in_backoff = std::make_shared<std::promise<void>>();
    auto backoff_started = in_backoff->get_future();
    io::S3ListerConfig cfg = long_backoff(server);
    cfg.retry_env.on_retry = on_first_retry(in_backoff);
    auto fetcher = io::make_s3_page_fetcher(cfg);
    REQUIRE(fetcher.has_value());

    io::ListPage page;
    std::string keys = "kept";
    Result<void> result;
    auto const started = Clock::now();
    std::thread t([&] { result = (*fetcher)->fetch(first_page(""), page, keys); });
    REQUIRE(backoff_started.wait_for(seconds(30)) == std::future_status::ready);
    (*fetcher)->cancel();
    t.join();
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::kCancelled);
    CHECK(keys == "kept");
    CHECK(page.objects.empty());
    CHECK(Clock::now() - started < seconds(30));  // the backoff was about 59 s
    CHECK(server.counters().requests == 1);
    // Cancelled for good: the next fetch does not start.
    CHECK((*fetcher)->fetch(first_page(""), page, keys).error().kind == ErrorKind::kCancelled);
  }

  TEST_CASE("a cancel through the Asio cancellation slot ends a fetch in backoff") {
    auto opts = test::fake_options(10);
    opts.script = {test::Fault::kInternalError500};
    test::FakeS3Server server(opts);
    auto in_backoff = std::make_shared<std::promise<void>>();
    auto backoff_started = in_backoff->get_future();
    io::S3ListerConfig cfg = long_backoff(server);
    cfg.retry_env.on_retry = on_first_retry(in_backoff);
    auto fetch = io::detail::make_s3_page_fetch(cfg);
    REQUIRE(fetch.has_value());

    asio::cancellation_signal signal;
    Outcome out;
    auto const req = first_page("");
    spawn(**fetch, req, out, &signal);
    REQUIRE(backoff_started.wait_for(seconds(30)) == std::future_status::ready);
    asio::post(io::detail::executor_of((*fetch)->client()),
               [&signal] { signal.emit(asio::cancellation_type::terminal); });
    REQUIRE(out.done.wait_for(seconds(30)) == std::future_status::ready);
    auto r = out.done.get();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kCancelled);
  }

  TEST_CASE("a cancel while the request is on the wire ends the fetch without its timeout") {
    auto opts = test::fake_options(10);
    opts.script = {test::Fault::kHang};
    opts.hang = milliseconds(20'000);
    test::FakeS3Server server(opts);
    io::S3ListerConfig cfg = test::lister_config(server);
    cfg.http.read_timeout = milliseconds(120'000);
    auto fetcher = io::make_s3_page_fetcher(cfg);
    REQUIRE(fetcher.has_value());

    io::ListPage page;
    std::string keys;
    Result<void> result;
    std::atomic<bool> finished{false};
    auto const started = Clock::now();
    std::thread t([&] {
      result = (*fetcher)->fetch(first_page(""), page, keys);
      finished = true;
    });
    // Wait until the server holds the request (it answers nothing for 20 s).
    for (int i = 0; i < 3000 && server.counters().requests == 0; ++i) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    REQUIRE(server.counters().requests == 1);
    CHECK_FALSE(finished.load());
    (*fetcher)->cancel();
    t.join();
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::kCancelled);
    CHECK(Clock::now() - started < seconds(15));  // the hang lasts 20 s
  }

  TEST_CASE("a page after three retryable failures is served with the attempt counts as before") {
    auto opts = test::fake_options(30);
    opts.script = {test::Fault::kSlowDown503, test::Fault::kInternalError500,
                   test::Fault::kMalformedXml200};
    test::FakeS3Server server(opts);
    std::vector<io::RetryEvent::Kind> events;
    io::S3ListerConfig cfg = test::lister_config(server);
    cfg.retry_env.on_retry = [&events](io::RetryEvent const& e) { events.push_back(e.kind); };
    auto fetch = io::detail::make_s3_page_fetch(cfg);
    REQUIRE(fetch.has_value());

    Outcome out;
    auto const req = first_page("");
    spawn(**fetch, req, out);
    REQUIRE(out.done.wait_for(seconds(60)) == std::future_status::ready);
    REQUIRE(out.done.get().has_value());
    CHECK(out.page.objects.size() == 30);
    auto const stats = (*fetch)->retry().stats();
    CHECK(stats.calls == 1);
    CHECK(stats.attempts == 4);
    CHECK(stats.retries == 3);
    CHECK(stats.fatal == 0);
    CHECK(server.counters().requests == 4);
    CHECK(events == std::vector<io::RetryEvent::Kind>{
                        io::RetryEvent::Kind::kRetry, io::RetryEvent::Kind::kRetry,
                        io::RetryEvent::Kind::kRetry, io::RetryEvent::Kind::kRecovered});
    // The quota: three retries took 15 tokens, the recovery gave them back.
    CHECK((*fetch)->retry().quota().available() == 500);
  }

  TEST_CASE("S3, GCS and Azure pages all go through the one fetcher on one shared client") {
    test::FakeS3Server s3(test::fake_options(12));
    test::FakeGcsOptions gopts;
    gopts.bucket = "gbucket";
    gopts.names = {"g/1", "g/2", "g/3"};
    gopts.static_token = "ya29.page-fetch-test";
    gopts.key_pem = test::fresh_rsa_pem();
    gopts.client_email = "lister@project.iam.gserviceaccount.com";
    test::FakeGcsServer gcs(gopts);
    test::ScriptServer azure({test::Canned{200, azure_page({"x", "y"}), {}}});
    auto client = shared_client();

    auto s3_fetch = io::detail::make_s3_page_fetch(test::lister_config(s3), client);
    io::GcsListerConfig gcfg;
    gcfg.bucket = "gbucket";
    gcfg.endpoint = gcs.endpoint();
    auto tokens = io::make_fixed_token_provider("ya29.page-fetch-test", "--access-token");
    REQUIRE(tokens.has_value());
    gcfg.tokens = std::move(*tokens);
    auto gcs_fetch = io::detail::make_gcs_page_fetch(gcfg, client);
    io::AzureListerConfig acfg;
    acfg.account = "devstoreaccount1";
    acfg.container = "cc1";
    acfg.endpoint = azure.endpoint();
    acfg.account_key = "0123456789abcdef0123456789abcdef";
    auto azure_fetch = io::detail::make_azure_page_fetch(acfg, client);
    REQUIRE(s3_fetch.has_value());
    REQUIRE(gcs_fetch.has_value());
    REQUIRE(azure_fetch.has_value());
    CHECK(&(*s3_fetch)->client() == client.get());
    CHECK(&(*azure_fetch)->client() == client.get());

    Outcome s3_out;
    Outcome gcs_out;
    Outcome azure_out;
    auto const s3_req = first_page("obj/");
    auto const gcs_req = first_page("g/");
    auto const azure_req = first_page("");
    spawn(**s3_fetch, s3_req, s3_out);
    spawn(**gcs_fetch, gcs_req, gcs_out);
    spawn(**azure_fetch, azure_req, azure_out);
    for (Outcome* o : {&s3_out, &gcs_out, &azure_out}) {
      REQUIRE(o->done.wait_for(seconds(60)) == std::future_status::ready);
      auto r = o->done.get();
      REQUIRE_MESSAGE(r.has_value(), r.error().detail);
    }
    CHECK(s3_out.page.objects.size() == 12);
    REQUIRE(gcs_out.page.objects.size() == 3);
    CHECK(gcs_out.page.objects[2].key.in(gcs_out.keys) == "g/3");
    REQUIRE(azure_out.page.objects.size() == 2);
    CHECK(azure_out.page.objects[0].key.in(azure_out.keys) == "x");
    CHECK(azure.requests().front().header("Authorization").starts_with("SharedKey "));
    CHECK((*gcs_fetch)->strategy().describe() == "gs://gbucket at " + gcs.endpoint());
  }
}
