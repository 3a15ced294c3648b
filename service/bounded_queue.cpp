#include "service/bounded_queue.h"

namespace otlpd {

bool BoundedQueue::Reserve(std::uint64_t items, std::uint64_t bytes) {
  // Optimistic add, undone when it overshoots: one atomic op per counter on the
  // common path, and concurrent reservers can never both squeeze past a limit.
  std::uint64_t prev_payloads = reserved_payloads_.fetch_add(1, std::memory_order_acq_rel);
  std::uint64_t prev_items = items_.fetch_add(items, std::memory_order_acq_rel);
  std::uint64_t prev_bytes = bytes_.fetch_add(bytes, std::memory_order_acq_rel);
  bool was_empty = prev_payloads == 0;
  bool fits = prev_items + items <= max_items_ && prev_bytes + bytes <= max_bytes_;
  if (fits || was_empty) return true;
  CancelReservation(items, bytes);
  return false;
}

void BoundedQueue::CancelReservation(std::uint64_t items, std::uint64_t bytes) {
  items_.fetch_sub(items, std::memory_order_acq_rel);
  bytes_.fetch_sub(bytes, std::memory_order_acq_rel);
  reserved_payloads_.fetch_sub(1, std::memory_order_acq_rel);
}

void BoundedQueue::PushReserved(PayloadPtr payload) {
  depth_.fetch_add(1, std::memory_order_acq_rel);
  queue_.enqueue(std::move(payload));
}

bool BoundedQueue::Pop(PayloadPtr& out, std::chrono::microseconds timeout) {
  if (!queue_.wait_dequeue_timed(out, timeout.count())) return false;
  depth_.fetch_sub(1, std::memory_order_acq_rel);
  CancelReservation(out->items, out->bytes.size());
  return true;
}

}  // namespace otlpd
