// ValidateAndCount and the iterators promise not to allocate: the receivers run
// them on every request. Counted by replacing the global operator new in this
// test binary.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "otlp/wire/wire_walker.h"
#include "test/otlp/wire/otlp_test_data.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

// The whole non-aligned family is replaced so that every new pairs with a
// matching delete (sanitizers check the pairing).
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace otlpd::wire {
namespace {

using namespace testing;

TEST_CASE("validating, counting and iterating allocate nothing") {
  std::string traces = MakeTraces(3, 2, 5).SerializeAsString();
  std::string metrics = MakeMetrics(2, 2, 5, 3).SerializeAsString();
  std::string logs = MakeLogs(2, 2, 6).SerializeAsString();
  long before = allocations.load();
  std::uint64_t items = 0;
  for (int i = 0; i < 10; ++i) {
    auto t = ValidateAndCount(Signal::kTraces, traces);
    auto m = ValidateAndCount(Signal::kMetrics, metrics);
    auto l = ValidateAndCount(Signal::kLogs, logs);
    items += (t.ok() ? *t : 0) + (m.ok() ? *m : 0) + (l.ok() ? *l : 0);
    for (const Entry& resource : Resources(Signal::kMetrics, metrics)) {
      for (const Entry& scope : Scopes(Signal::kMetrics, resource.message)) {
        for (const Entry& metric : Items(Signal::kMetrics, scope.message)) items += metric.items;
      }
    }
  }
  long after = allocations.load();
  CHECK(after == before);
  // The counter does see allocations: an error message is built on failure.
  auto bad = ValidateAndCount(Signal::kTraces, std::string_view(traces.data(), traces.size() - 1));
  CHECK_FALSE(bad.ok());
  CHECK(allocations.load() > after);
  CHECK(items == 10 * (30 + 60 + 24 + 60));
}

}  // namespace
}  // namespace otlpd::wire
