#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "component/payload.h"

namespace otlpd {

// The queue between receivers and a pipeline's workers: lock-free
// (moodycamel), bounded in items and in bytes. Space is reserved before a
// payload is pushed, so a receiver feeding several pipelines can make sure
// every one of them has room before any takes the data (all or nothing: a
// refused client retries without having duplicated data in the others).
class BoundedQueue {
 public:
  BoundedQueue(std::uint64_t max_items, std::uint64_t max_bytes)
      : max_items_(max_items), max_bytes_(max_bytes) {}

  // Reserves room for a payload of this size. A payload larger than the whole
  // queue is admitted when the queue is empty, so it cannot be refused forever.
  [[nodiscard]] bool Reserve(std::uint64_t items, std::uint64_t bytes);
  void CancelReservation(std::uint64_t items, std::uint64_t bytes);
  // Pushes a payload whose room was reserved.
  void PushReserved(PayloadPtr payload);

  // Waits up to `timeout` for a payload; frees its room when taken.
  bool Pop(PayloadPtr& out, std::chrono::microseconds timeout);

  std::uint64_t items() const { return items_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  std::uint64_t max_items() const { return max_items_; }
  std::uint64_t max_bytes() const { return max_bytes_; }
  // Payloads pushed and not yet popped.
  std::uint64_t depth() const { return depth_.load(std::memory_order_acquire); }

 private:
  const std::uint64_t max_items_;
  const std::uint64_t max_bytes_;
  std::atomic<std::uint64_t> items_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> reserved_payloads_{0};
  std::atomic<std::uint64_t> depth_{0};
  // moodycamel's default spins 10,000 times before a worker sleeps on an
  // empty queue: at moderate rates that is tens of microseconds burnt per
  // payload, and on one CPU it only delays the receiver that would fill it.
  struct Traits : moodycamel::ConcurrentQueueDefaultTraits {
    static const int MAX_SEMA_SPINS = 0;
  };
  moodycamel::BlockingConcurrentQueue<PayloadPtr, Traits> queue_;
};

}  // namespace otlpd
