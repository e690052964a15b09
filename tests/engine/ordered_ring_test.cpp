// The lock-free ordered ring under concurrency: many producers publish in random order with
// random delays, one consumer must see every item exactly once, strictly in sequence, and the
// number of items in flight must never exceed the capacity. Run under TSan by
// scripts/sanitize.sh (label stress).
#include "presign/engine/ordered_ring.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

using presign::engine::OrderedRing;

namespace {

struct Item {
  std::uint64_t seq = 0;
  std::uint64_t payload = 0;
};

// Producers claim sequence numbers from a shared counter (like TBB workers taking batches),
// wait for room, "work" for a random time, then publish.
void run_stress(std::uint64_t total, std::size_t capacity, int producers, int max_delay_us) {
  OrderedRing<Item> ring(capacity);
  std::vector<Item> items(capacity);
  std::atomic<bool> room_refused{false};
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> max_in_flight{0};

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(p) * 7919 + 1);
      for (;;) {
        std::uint64_t const s = next.fetch_add(1, std::memory_order_relaxed);
        if (s >= total) return;
        if (!ring.wait_for_room(s)) {
          room_refused = true;
          return;
        }
        std::uint64_t const f = in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
        std::uint64_t m = max_in_flight.load(std::memory_order_relaxed);
        while (f > m && !max_in_flight.compare_exchange_weak(m, f)) {
        }
        Item& it = items[s % capacity];
        it.seq = s;
        it.payload = s * 2654435761ULL;
        if (max_delay_us > 0 && rng() % 64 == 0) {
          std::this_thread::sleep_for(
              std::chrono::microseconds(rng() % static_cast<unsigned>(max_delay_us)));
        }
        ring.publish(s, &it);
      }
    });
  }

  std::uint64_t checked = 0;
  bool in_order = true;
  for (std::uint64_t s = 0; s < total; ++s) {
    Item* it = ring.take(s);
    if (it == nullptr || it->seq != s || it->payload != s * 2654435761ULL) in_order = false;
    ++checked;
    in_flight.fetch_sub(1, std::memory_order_relaxed);
    ring.release(s);
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(room_refused.load());
  CHECK(in_order);
  CHECK(checked == total);
  CHECK(max_in_flight.load() <= capacity);
  CHECK(ring.consumed() == total);
}

}  // namespace

TEST_SUITE("stress.ordered_ring") {
  TEST_CASE("a million items published out of order by four producers arrive once each, in order") {
    run_stress(1'000'000, 16, 4, 50);
  }

  TEST_CASE("a ring of capacity one still delivers every item in order") {
    run_stress(20'000, 1, 3, 20);
  }

  TEST_CASE("a stopped ring releases a waiting consumer and a waiting producer") {
    for (int round = 0; round < 200; ++round) {  // stop at varying moments: no lost wake-up
      OrderedRing<Item> ring(2);
      std::thread consumer([&] { CHECK(ring.take(0) == nullptr); });
      std::thread producer([&] { CHECK_FALSE(ring.wait_for_room(5)); });
      if (round % 2) std::this_thread::sleep_for(std::chrono::microseconds(round));
      ring.stop();
      consumer.join();
      producer.join();
      CHECK(ring.stopped());
    }
  }

  TEST_CASE("a ring resumed at sequence 1000 accepts 1000 first") {
    OrderedRing<Item> ring(4, 1000);
    CHECK(ring.wait_for_room(1003));
    Item it{1000, 0};
    ring.publish(1000, &it);
    CHECK(ring.take(1000) == &it);
    ring.release(1000);
    CHECK(ring.consumed() == 1001);
  }
}
