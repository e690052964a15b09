// Temporary credentials refreshed before they end (auth/refreshing.hpp), with a scripted
// source and an injected clock: botocore's advisory and mandatory windows, one refresh at a
// time, failures kept or reported by window.
#include "presign/auth/refreshing.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>
#include <thread>

using namespace presign;
using presign::auth::Credentials;
using presign::auth::RefreshingCredentials;
using presign::auth::RefreshWindows;
using std::chrono::seconds;

namespace {

SigningTime const kStart{seconds{1'700'000'000}};

Credentials session(std::string const& id, std::optional<SigningTime> expires) {
  Credentials c(signers::sigv4::Credentials{id, "secret-of-" + id, "token-of-" + id},
                "STS AssumeRoleWithWebIdentity (arn:aws:iam::1:role/r)");
  c.expires = expires;
  return c;
}

std::string key_id(Credentials const& c) {
  return std::get<signers::sigv4::Credentials>(c.secret).access_key_id;
}

// Answers from a script, one per fetch; can hold a fetch until released.
class ScriptedSource final : public auth::CredentialSource {
 public:
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  mutable std::deque<Result<Credentials>> answers;
  mutable int fetches = 0;
  mutable bool entered = false;
  bool hold = false;
  mutable bool released = false;

  [[nodiscard]] Result<Credentials> fetch() const override {
    std::unique_lock lock(mutex);
    ++fetches;
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold || released; });
    if (answers.empty()) return make_error(ErrorKind::kConfig, "script exhausted");
    auto a = std::move(answers.front());
    answers.pop_front();
    return a;
  }
  [[nodiscard]] std::string describe() const override { return "scripted"; }

  void wait_entered() const {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return entered; });
  }
  void release() const {
    std::lock_guard lock(mutex);
    released = true;
    cv.notify_all();
  }
};

struct Fixture {
  std::shared_ptr<ScriptedSource> source = std::make_shared<ScriptedSource>();
  std::shared_ptr<std::atomic<std::int64_t>> clock =
      std::make_shared<std::atomic<std::int64_t>>(kStart.time_since_epoch().count());
  RefreshingCredentials make(Credentials initial) {
    return RefreshingCredentials(source, std::move(initial),
                                 RefreshWindows{seconds{15}, seconds{10}},
                                 [c = clock] { return SigningTime{seconds{c->load()}}; });
  }
  void advance(std::int64_t s) { *clock += s; }
};

}  // namespace

TEST_SUITE("auth.refreshing") {
  TEST_CASE("credentials without an end are never refreshed") {
    Fixture f;
    auto r = f.make(session("AKIDSTATIC", std::nullopt));
    f.advance(365 * 24 * 3600);
    auto c = r.current();
    REQUIRE(c.has_value());
    CHECK(key_id(*c) == "AKIDSTATIC");
    CHECK(f.source->fetches == 0);
  }

  TEST_CASE("credentials outside the advisory window are used without asking the source") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{16}));
    auto c = r.current();
    REQUIRE(c.has_value());
    CHECK(key_id(*c) == "ASIA1");
    CHECK(f.source->fetches == 0);
  }

  TEST_CASE("credentials in the advisory window are replaced by refreshed ones") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{20}));
    f.source->answers.push_back(session("ASIA2", kStart + seconds{60}));
    f.advance(6);  // 14 s left: advisory
    auto c = r.current();
    REQUIRE(c.has_value());
    CHECK(key_id(*c) == "ASIA2");
    CHECK(r.refresh_attempts() == 1);
    auto again = r.current();  // fresh: no second fetch
    REQUIRE(again.has_value());
    CHECK(key_id(*again) == "ASIA2");
    CHECK(f.source->fetches == 1);
  }

  TEST_CASE("a failed advisory refresh keeps the credentials in hand and is tried again") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{14}));
    f.source->answers.push_back(make_error(ErrorKind::kNetwork, "STS unreachable"));
    f.source->answers.push_back(session("ASIA2", kStart + seconds{60}));
    auto c = r.current();
    REQUIRE(c.has_value());
    CHECK(key_id(*c) == "ASIA1");
    auto d = r.current();
    REQUIRE(d.has_value());
    CHECK(key_id(*d) == "ASIA2");
    CHECK(f.source->fetches == 2);
  }

  TEST_CASE("a failed advisory refresh is told once per credentials in hand, without a secret") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{14}));
    std::vector<std::string> told;
    r.set_warning_observer([&](std::string const& w) { told.push_back(w); });
    f.source->answers.push_back(make_error(ErrorKind::kNetwork, "STS unreachable"));
    f.source->answers.push_back(make_error(ErrorKind::kNetwork, "STS unreachable again"));
    f.source->answers.push_back(session("ASIA2", kStart + seconds{25}));
    f.source->answers.push_back(make_error(ErrorKind::kNetwork, "STS down for ASIA2"));
    for (int i = 0; i < 2; ++i) {
      auto c = r.current();
      REQUIRE(c.has_value());
      CHECK(key_id(*c) == "ASIA1");
    }
    REQUIRE(told.size() == 1);  // the second failure, for the same credentials, is not told
    CHECK(told[0].find("STS AssumeRoleWithWebIdentity (arn:aws:iam::1:role/r)") !=
          std::string::npos);
    CHECK(told[0].find("end at 2023-11-14T22:13:34Z") != std::string::npos);
    CHECK(told[0].find("STS unreachable") != std::string::npos);
    CHECK(told[0].find("secret-of-") == std::string::npos);
    CHECK(told[0].find("token-of-") == std::string::npos);
    auto refreshed = r.current();  // the third answer: new credentials, 25 s left
    REQUIRE(refreshed.has_value());
    CHECK(key_id(*refreshed) == "ASIA2");
    f.advance(11);  // 14 s left of ASIA2: advisory again, and its refresh fails
    auto kept = r.current();
    REQUIRE(kept.has_value());
    CHECK(key_id(*kept) == "ASIA2");
    REQUIRE(told.size() == 2);  // told again: other credentials
    CHECK(told[1].find("STS down for ASIA2") != std::string::npos);
  }

  TEST_CASE("a failed mandatory refresh is an auth error naming the source, never a secret") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{9}));
    f.source->answers.push_back(make_error(ErrorKind::kProtocol, "STS answered HTTP 500"));
    auto c = r.current();
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kAuth);
    std::string const& m = c.error().detail;
    CHECK(m.find("STS AssumeRoleWithWebIdentity (arn:aws:iam::1:role/r)") != std::string::npos);
    CHECK(m.find("could not be refreshed: STS answered HTTP 500") != std::string::npos);
    CHECK(m.find(format_rfc3339(kStart + seconds{9})) != std::string::npos);
    CHECK(m.find("secret-of-") == std::string::npos);
    CHECK(m.find("token-of-") == std::string::npos);
  }

  TEST_CASE("refreshed credentials that have already ended are an error") {
    Fixture f;
    auto r = f.make(session("ASIA1", kStart + seconds{5}));
    f.source->answers.push_back(session("ASIA2", kStart - seconds{1}));
    auto c = r.current();
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().kind == ErrorKind::kAuth);
    CHECK(c.error().detail.find("ended already") != std::string::npos);
  }

  TEST_CASE("during an advisory refresh other callers keep the valid credentials at once") {
    Fixture f;
    f.source->hold = true;
    auto r = f.make(session("ASIA1", kStart + seconds{12}));
    f.source->answers.push_back(session("ASIA2", kStart + seconds{60}));
    auto refresher = std::async(std::launch::async, [&] { return r.current(); });
    f.source->wait_entered();
    auto other = r.current();  // the refresh is held: this must not wait for it
    REQUIRE(other.has_value());
    CHECK(key_id(*other) == "ASIA1");
    f.source->release();
    auto refreshed = refresher.get();
    REQUIRE(refreshed.has_value());
    CHECK(key_id(*refreshed) == "ASIA2");
    CHECK(f.source->fetches == 1);
  }

  TEST_CASE("during a mandatory refresh other callers wait for it and share its result") {
    Fixture f;
    f.source->hold = true;
    auto r = f.make(session("ASIA1", kStart + seconds{3}));
    f.source->answers.push_back(session("ASIA2", kStart + seconds{60}));
    auto refresher = std::async(std::launch::async, [&] { return r.current(); });
    f.source->wait_entered();
    auto waiter = std::async(std::launch::async, [&] { return r.current(); });
    CHECK(waiter.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
    f.source->release();
    auto a = refresher.get();
    auto b = waiter.get();
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(key_id(*a) == "ASIA2");
    CHECK(key_id(*b) == "ASIA2");
    CHECK(f.source->fetches == 1);
  }
}
