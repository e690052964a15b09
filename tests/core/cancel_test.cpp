// CancelSource (presign/core/cancel.hpp): the flag, hooks called once each, late hooks at
// once, removed hooks never, and requests racing hook registration from other threads.
#include "presign/core/cancel.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

using presign::CancelSource;

TEST_SUITE("core.cancel") {
  TEST_CASE("a request sets the flag and calls each live hook exactly once") {
    CancelSource source;
    int a = 0;
    int b = 0;
    CancelSource::Hook const ha(source, [&] { ++a; });
    CancelSource::Hook const hb(source, [&] { ++b; });
    CHECK_FALSE(source.requested());
    CHECK_FALSE(source.flag().load());
    source.request();
    source.request();  // a second request changes nothing
    CHECK(source.requested());
    CHECK(source.flag().load());
    CHECK(a == 1);
    CHECK(b == 1);
  }

  TEST_CASE("a hook registered after the request runs at once and a removed hook never runs") {
    CancelSource source;
    int removed = 0;
    {
      CancelSource::Hook const gone(source, [&] { ++removed; });
    }
    source.request();
    CHECK(removed == 0);
    int late = 0;
    CancelSource::Hook const h(source, [&] { ++late; });
    CHECK(late == 1);
  }

  TEST_CASE("requests from another thread race hook registration without losing a call") {
    for (int round = 0; round < 200; ++round) {
      CancelSource source;
      std::atomic<int> calls{0};
      std::thread requester([&] { source.request(); });
      std::vector<std::optional<CancelSource::Hook>> hooks(8);
      for (auto& h : hooks) h.emplace(source, [&] { calls.fetch_add(1); });
      requester.join();
      // Every hook ran once: by the request, or at registration if it came after.
      CHECK(calls.load() == 8);
    }
  }
}
