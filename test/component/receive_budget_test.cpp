#include "component/receive_budget.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace otlpd;
using Verdict = ReceiveBudget::Verdict;

namespace {

struct FixedGate : MemoryGate {
  std::uint64_t room = 0;  // refuses anything more than this
  bool Refuses(std::uint64_t incoming) const override { return incoming > room; }
};

}  // namespace

TEST_CASE("ReceiveBudget: takes, refuses while full, and gives back") {
  ReceiveBudget b(1000);
  CHECK(b.capacity() == 1000);
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.used() == 200);
  b.Release(200);
  CHECK(b.used() == 0);
  CHECK(b.acquired_total() == 200);
}

TEST_CASE("ReceiveBudget: large requests fill three quarters, small ones all of it") {
  ReceiveBudget b(1000);  // large: more than 125 bytes
  CHECK(b.Acquire(600) == Verdict::kOk);
  CHECK(b.Acquire(200) == Verdict::kBusy);  // 800 is past the large requests' 750
  CHECK(b.Acquire(100) == Verdict::kOk);    // small: up to 1000
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.used() == 1000);
  CHECK(b.Acquire(1) == Verdict::kBusy);
  CHECK(b.refused_busy() == 2);
  b.Release(600);
  CHECK(b.Acquire(300) == Verdict::kOk);  // 700 of 750
  CHECK(b.used() == 700);
}

TEST_CASE("ReceiveBudget: a request that alone needs more than all of it is too large") {
  ReceiveBudget b(1000);
  CHECK(b.Acquire(1001) == Verdict::kTooLarge);
  CHECK(b.Acquire(300, /*held=*/800) == Verdict::kTooLarge);  // its own 800 plus 300
  CHECK(b.Acquire(200, /*held=*/600) == Verdict::kTooLarge);  // large: its ceiling is 750
  CHECK(b.Acquire(100, /*held=*/600) == Verdict::kOk);
  CHECK(b.refused_too_large() == 3);
}

TEST_CASE(
    "ReceiveBudget: the default grows to fit the largest declared requests; an explicit size does not") {
  ReceiveBudget dflt;
  CHECK(dflt.capacity() == ReceiveBudget::kDefaultBytes);
  dflt.RequireRoomFor(1 << 20);  // 4 MiB: below the default
  CHECK(dflt.capacity() == ReceiveBudget::kDefaultBytes);
  dflt.RequireRoomFor(40ull << 20);  // twice otelcol's 20 MiB HTTP body
  CHECK(dflt.capacity() == ReceiveBudget::kRequestsAtOnce * (40ull << 20));
  dflt.RequireRoomFor(8ull << 20);  // never shrinks
  CHECK(dflt.capacity() == ReceiveBudget::kRequestsAtOnce * (40ull << 20));

  ReceiveBudget fixed(1 << 20);
  fixed.RequireRoomFor(40ull << 20);
  CHECK(fixed.capacity() == (1u << 20));
}

TEST_CASE("ReceiveBudget: a memory gate refuses before the bytes are taken") {
  ReceiveBudget b(1000);
  FixedGate gate;
  gate.room = 100;
  b.AddGate(&gate);
  CHECK(b.Acquire(100) == Verdict::kOk);
  CHECK(b.Acquire(101) == Verdict::kBusy);
  CHECK(b.used() == 100);
  CHECK(b.Acquire(2000) == Verdict::kTooLarge);  // too large is decided first: retrying cannot help
}

TEST_CASE("BudgetLease: grows, shrinks, moves and gives everything back") {
  ReceiveBudget b(1000);
  {
    BudgetLease a(&b);
    CHECK(a.Grow(300) == Verdict::kOk);
    CHECK(a.Grow(800) == Verdict::kTooLarge);  // 300 + 800 is more than the whole budget
    CHECK(a.held() == 300);
    BudgetLease other(&b);
    CHECK(other.Grow(400) == Verdict::kOk);
    CHECK(a.Grow(100) == Verdict::kBusy);  // 800 is past the large requests' 750
    other.ShrinkTo(100);
    CHECK(b.used() == 400);
    CHECK(a.Grow(200) == Verdict::kOk);
    BudgetLease moved = std::move(a);
    CHECK(moved.held() == 500);
    CHECK(a.held() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    other = std::move(moved);
    CHECK(b.used() == 500);  // other's own 100 went back when it was assigned over
  }
  CHECK(b.used() == 0);

  BudgetLease none;  // without a budget nothing is counted and nothing refused
  CHECK(none.Grow(1ull << 40) == Verdict::kOk);
  CHECK(none.held() == 0);
}

TEST_CASE("ReceiveBudget: concurrent leases never overshoot and always balance") {
  ReceiveBudget b(64 * 1024);
  std::atomic<std::uint64_t> max_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        BudgetLease l(&b);
        if (l.Grow(1000 + 97 * ((i + t) % 50)) == Verdict::kOk) {
          std::uint64_t u = b.used(), m = max_seen.load();
          while (u > m && !max_seen.compare_exchange_weak(m, u)) {
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(max_seen.load() <= b.capacity());
  CHECK(b.used() == 0);
}
