#include "exporters/debug/sampler.h"

#include <catch2/catch.hpp>

#include <vector>

namespace otlpd::exporters::debug {
namespace {

using std::chrono::milliseconds;

// The 1-based positions of the messages that pass when `count` arrive at `now`.
std::vector<int> Passing(Sampler& sampler, Signal key, Clock::time_point now, int count) {
  std::vector<int> passed;
  for (int i = 1; i <= count; ++i) {
    if (sampler.Sample(key, now)) passed.push_back(i);
  }
  return passed;
}

TEST_CASE("sampler passes the first N per tick, then every Mth", "[debug][sampler]") {
  Sampler sampler(2, 3);
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

  // zap: n <= initial passes; after that n passes when (n - initial) % thereafter == 0.
  CHECK(Passing(sampler, Signal::kTraces, t0, 10) == std::vector<int>{1, 2, 5, 8});
  // Still in the same tick (it started at t0): counting goes on, n = 11..14.
  CHECK(Passing(sampler, Signal::kTraces, t0 + milliseconds(999), 4) == std::vector<int>{1, 4});
  // The tick ends one second after it began; the count restarts.
  CHECK(Passing(sampler, Signal::kTraces, t0 + milliseconds(1000), 6) == std::vector<int>{1, 2, 5});
  // The next tick begins at the first message after that one ended, not on a
  // fixed grid: t0+2.5s starts a tick that lasts until t0+3.5s.
  CHECK(Passing(sampler, Signal::kTraces, t0 + milliseconds(2500), 3) == std::vector<int>{1, 2});
  CHECK(Passing(sampler, Signal::kTraces, t0 + milliseconds(3400), 1) == std::vector<int>{});  // n = 4
  CHECK(Passing(sampler, Signal::kTraces, t0 + milliseconds(3500), 3) == std::vector<int>{1, 2});
}

TEST_CASE("sampler counts each signal separately", "[debug][sampler]") {
  Sampler sampler(1, 0);
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  CHECK(sampler.Sample(Signal::kTraces, t0));
  CHECK_FALSE(sampler.Sample(Signal::kTraces, t0));
  CHECK(sampler.Sample(Signal::kMetrics, t0));
  CHECK(sampler.Sample(Signal::kLogs, t0));
  CHECK_FALSE(sampler.Sample(Signal::kLogs, t0));
}

TEST_CASE("sampler defaults pass everything; thereafter 0 passes only the initial ones", "[debug][sampler]") {
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  Sampler defaults(2, 1);
  CHECK(Passing(defaults, Signal::kLogs, t0, 50).size() == 50);

  Sampler none_after(3, 0);
  CHECK(Passing(none_after, Signal::kLogs, t0, 50) == std::vector<int>{1, 2, 3});

  Sampler no_initial(0, 4);
  CHECK(Passing(no_initial, Signal::kLogs, t0, 12) == std::vector<int>{4, 8, 12});
}

}  // namespace
}  // namespace otlpd::exporters::debug
