#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace otlpd {

// Says whether the process may take `incoming` more bytes now. The
// memory_limiter is one: it refuses when its last measurement, plus what
// arrived since, plus `incoming` would pass its soft limit.
class MemoryGate {
 public:
  virtual ~MemoryGate() = default;
  virtual bool Refuses(std::uint64_t incoming) const = 0;
};

// One budget for the bytes every receiver of the process holds for a request
// before the pipeline takes it: bodies as they are read and decompressed, the
// protobuf an OTLP/JSON body becomes, gRPC messages and their flattened copy.
// Receivers take bytes before they allocate them and give them back when the
// request is answered, so a thousand clients sending at once cost at most the
// budget, not a thousand requests. A request that alone needs more than the
// whole budget is too large (413 / RESOURCE_EXHAUSTED); one that does not fit
// beside the others now is told to come back (429 / RESOURCE_EXHAUSTED with
// RetryInfo). Lock-free.
class ReceiveBudget {
 public:
  static constexpr std::uint64_t kMiB = 1024 * 1024;
  // Without an explicit size: the larger of this and kRequestsAtOnce times
  // the largest single request a receiver declared (RequireRoomFor).
  static constexpr std::uint64_t kDefaultBytes = 64 * kMiB;
  static constexpr std::uint64_t kRequestsAtOnce = 2;

  enum class Verdict { kOk, kBusy, kTooLarge };
  // What clients are told, the same from every receiver.
  static constexpr const char* kBusyMessage = "too much data is being received at once; retry later";
  static constexpr const char* kTooLargeMessage =
      "request needs more memory than the receivers may hold at once (--receive-memory-mib)";

  // `capacity` 0: the default, sized from the receivers' declared needs.
  explicit ReceiveBudget(std::uint64_t capacity = 0) : explicit_(capacity > 0) {
    capacity_.store(capacity > 0 ? capacity : kDefaultBytes, std::memory_order_relaxed);
  }
  ReceiveBudget(const ReceiveBudget&) = delete;
  ReceiveBudget& operator=(const ReceiveBudget&) = delete;

  // A receiver says how many bytes its largest acceptable request can hold
  // (e.g. twice max_request_body_size): a default budget grows to fit
  // kRequestsAtOnce of them. An explicit size is left as the user set it.
  void RequireRoomFor(std::uint64_t request_bytes) {
    if (explicit_) return;
    const std::uint64_t want = request_bytes * kRequestsAtOnce;
    std::uint64_t cur = capacity_.load(std::memory_order_relaxed);
    while (want > cur && !capacity_.compare_exchange_weak(cur, want, std::memory_order_relaxed)) {
    }
  }

  // While the service is built, before any receiver starts (no lock after);
  // the gate outlives the receivers (components are stopped before freed).
  void AddGate(const MemoryGate* gate) { gates_.push_back(gate); }

  // Takes n more bytes for a request that already holds `held`.
  Verdict Acquire(std::uint64_t n, std::uint64_t held = 0) {
    const std::uint64_t cap = capacity();
    // Large requests (over an eighth of the budget, counting what they hold)
    // may fill only three quarters of it: a few clients stalling big bodies
    // cannot lock out the many small requests of everybody else. A request
    // past its ceiling could never fit: too large, not busy.
    const std::uint64_t ceiling = n > cap || held > cap - n || held + n > cap / 8 ? cap - cap / 4 : cap;
    if (n > cap || held > cap - n || held + n > ceiling) {
      refused_too_large_.fetch_add(1, std::memory_order_relaxed);
      return Verdict::kTooLarge;
    }
    if (GatesRefuse(n)) {
      refused_busy_.fetch_add(1, std::memory_order_relaxed);
      return Verdict::kBusy;
    }
    std::uint64_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (cur + n > ceiling) {
        refused_busy_.fetch_add(1, std::memory_order_relaxed);
        return Verdict::kBusy;
      }
    } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    acquired_.fetch_add(n, std::memory_order_relaxed);
    return Verdict::kOk;
  }

  void Release(std::uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  std::uint64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  // Every byte ever taken: a memory gate measures what arrived since its last
  // measurement as the growth of this sum.
  std::uint64_t acquired_total() const { return acquired_.load(std::memory_order_relaxed); }
  std::uint64_t refused_busy() const { return refused_busy_.load(std::memory_order_relaxed); }
  std::uint64_t refused_too_large() const { return refused_too_large_.load(std::memory_order_relaxed); }

 private:
  bool GatesRefuse(std::uint64_t n) const {
    for (const MemoryGate* g : gates_)
      if (g->Refuses(n)) return true;
    return false;
  }

  const bool explicit_;
  std::atomic<std::uint64_t> capacity_{0};
  std::atomic<std::uint64_t> used_{0};
  std::atomic<std::uint64_t> acquired_{0};
  std::atomic<std::uint64_t> refused_busy_{0};
  std::atomic<std::uint64_t> refused_too_large_{0};
  std::vector<const MemoryGate*> gates_;
};

// The bytes one request holds; gives them back when it goes (RAII).
class BudgetLease {
 public:
  BudgetLease() = default;
  explicit BudgetLease(ReceiveBudget* budget) : budget_(budget) {}
  BudgetLease(BudgetLease&& o) noexcept : budget_(o.budget_), held_(o.held_) { o.held_ = 0; }
  BudgetLease& operator=(BudgetLease&& o) noexcept {
    if (this != &o) {
      Reset();
      budget_ = o.budget_;
      held_ = o.held_;
      o.held_ = 0;
    }
    return *this;
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;
  ~BudgetLease() { Reset(); }

  // Takes n more bytes. Always kOk without a budget.
  ReceiveBudget::Verdict Grow(std::uint64_t n) {
    if (budget_ == nullptr || n == 0) return ReceiveBudget::Verdict::kOk;
    ReceiveBudget::Verdict v = budget_->Acquire(n, held_);
    if (v == ReceiveBudget::Verdict::kOk) held_ += n;
    return v;
  }
  // Holds exactly n bytes when n is less than what it holds (a buffer shrank).
  void ShrinkTo(std::uint64_t n) {
    if (budget_ != nullptr && n < held_) {
      budget_->Release(held_ - n);
      held_ = n;
    }
  }
  void Reset() { ShrinkTo(0); }

  std::uint64_t held() const { return held_; }
  // What it could still take, as a large request, if nobody else held
  // anything (all without a budget).
  std::uint64_t headroom() const {
    if (budget_ == nullptr) return std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t cap = budget_->capacity() - budget_->capacity() / 4;  // a large request's ceiling
    return cap > held_ ? cap - held_ : 0;
  }
  ReceiveBudget* budget() const { return budget_; }

 private:
  ReceiveBudget* budget_ = nullptr;
  std::uint64_t held_ = 0;
};

}  // namespace otlpd
