#include "component/buffer_pool.h"

#include <catch2/catch.hpp>
#include <string>

namespace otlpd {
namespace {

TEST_CASE("BufferPool keeps the largest big buffer it is given, emptied") {
  BufferPool pool;
  CHECK(pool.Take().capacity() < BufferPool::kMinBytes);  // nothing kept yet

  std::string small(1000, 'x');
  pool.Give(std::move(small));
  CHECK(small.size() == 1000);  // too small: left to its owner
  CHECK(pool.kept_capacity() < BufferPool::kMinBytes);

  std::string big(2 << 20, 'x');
  const char* data = big.data();
  pool.Give(std::move(big));
  CHECK(pool.kept_capacity() >= (2u << 20));
  std::string smaller_big(BufferPool::kMinBytes, 'y');
  pool.Give(std::move(smaller_big));
  CHECK(smaller_big.size() == BufferPool::kMinBytes);  // the larger one stays kept

  std::string taken = pool.Take();
  CHECK(taken.empty());
  CHECK(taken.data() == data);  // the same memory, pages still mapped
  CHECK(taken.capacity() >= (2u << 20));
  CHECK(pool.kept_capacity() < BufferPool::kMinBytes);  // taken: the pool is empty again
}

TEST_CASE("a recycled payload gives its bytes back when its last holder lets go") {
  auto pool = std::make_shared<BufferPool>();
  std::string bytes(3 << 20, 'z');
  const char* data = bytes.data();
  PayloadPtr p = MakeRecycledPayload(pool, Signal::kLogs, std::move(bytes), 7);
  CHECK(p->signal == Signal::kLogs);
  CHECK(p->items == 7);
  CHECK(p->bytes.size() == (3u << 20));
  PayloadPtr copy = p;
  p.reset();
  CHECK(pool->kept_capacity() < BufferPool::kMinBytes);  // still held
  copy.reset();
  CHECK(pool->kept_capacity() >= (3u << 20));
  CHECK(pool->Take().data() == data);
}

TEST_CASE("a recycled payload keeps its pool alive until it is gone") {
  PayloadPtr p;
  std::weak_ptr<BufferPool> watch;
  {
    auto pool = std::make_shared<BufferPool>();
    watch = pool;
    p = MakeRecycledPayload(pool, Signal::kTraces, std::string(2 << 20, 'a'), 1);
  }
  CHECK_FALSE(watch.expired());  // the payload's deleter holds it
  p.reset();
  CHECK(watch.expired());  // given back, then the pool went with the deleter
}

}  // namespace
}  // namespace otlpd
