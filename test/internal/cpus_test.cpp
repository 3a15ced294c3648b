#include "internal/cpus.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

namespace otlpd {
namespace {

TEST_CASE("AvailableCpus counts the CPUs the affinity mask allows", "[cpus]") {
  const unsigned all = AvailableCpus();
  REQUIRE(all >= 1);
  REQUIRE(all <= std::max(1u, std::thread::hardware_concurrency()));

  // A thread pinned to one CPU (as taskset does to a whole process) sees one.
  unsigned pinned = 0;
  std::thread t([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0);
    int first = 0;
    while (!CPU_ISSET(first, &set)) ++first;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    REQUIRE(pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0);
    pinned = AvailableCpus();
  });
  t.join();
  CHECK(pinned == 1);
}

}  // namespace
}  // namespace otlpd
