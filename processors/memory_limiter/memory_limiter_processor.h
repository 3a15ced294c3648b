#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "component/admission.h"
#include "component/component.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"
#include "processors/memory_limiter/config.h"

namespace otlpd::processors::memory_limiter {

// Bytes: refuse at or above `soft` (limit - spike); `hard` is the limit.
struct Limits {
  std::uint64_t hard = 0;
  std::uint64_t soft = 0;
};

// otelcol's limits: limit_mib wins over limit_percentage (a percentage of
// `total_memory()`); the spike defaults to a fifth of the limit. nullopt when
// a percentage is configured and the total cannot be read.
std::optional<Limits> ComputeLimits(const Config& config,
                                    const std::function<std::optional<std::uint64_t>()>& total_memory);

// Measures memory every check_interval and decides whether data is refused.
// otelcol measures Go's heap and forces a GC above the limits; here the
// measure is the resident set size and the "GC" is malloc_trim. Between two
// measurements the bytes the pipelines' queues gained are added to the last
// measurement, so a burst is refused as it arrives instead of at the next tick.
class MemoryLimiter {
 public:
  struct Hooks {
    std::function<std::uint64_t()> read_memory;     // bytes in use; default: RSS
    std::function<void()> release_memory;           // default: malloc_trim(0)
    std::function<std::uint64_t()> queued_bytes;    // bytes in pipeline queues; default: none
    std::function<std::uint64_t()> received_bytes;  // bytes receivers hold (ReceiveBudget); default: none
  };

  MemoryLimiter(const Config& config, Limits limits, Hooks hooks = {});
  ~MemoryLimiter();

  // Starts / stops the thread that calls CheckMemLimits every check_interval.
  void Start();
  void Stop();

  // One measurement (otelcol's CheckMemLimits): release memory when over the
  // hard limit, or over the soft one (paced by min_gc_interval_*), then refuse
  // while usage >= the soft limit.
  void CheckMemLimits();

  bool refusing() const { return refusing_.load(std::memory_order_acquire); }
  // Whether data of `incoming_bytes` must be refused now.
  bool ShouldRefuse(std::uint64_t incoming_bytes) const;

  const Limits& limits() const { return limits_; }
  std::uint64_t last_usage() const { return last_usage_.load(std::memory_order_relaxed); }
  std::chrono::nanoseconds check_interval() const { return config_.check_interval; }

 private:
  void Loop();
  std::uint64_t Read() const;
  void Release();

  const Config config_;
  const Limits limits_;
  Hooks hooks_;

  std::atomic<bool> refusing_{false};
  std::atomic<std::uint64_t> last_usage_{0};
  std::atomic<std::uint64_t> queued_at_check_{0};
  std::atomic<std::uint64_t> received_at_check_{0};
  std::optional<Clock::time_point> last_release_;  // checker thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The `memory_limiter` processor. Registered as its pipeline's admission gate,
// it refuses (retryable UNAVAILABLE, "data refused due to high memory usage")
// before the payload is queued, so the client backs off and retries; data it
// then sees in Consume was admitted and passes. Without a pipeline (tests,
// other hosts) Consume refuses itself, as otelcol's processor does.
//
// It is also a MemoryGate of the receivers' ReceiveBudget: a request the
// receivers would read while usage is past the soft limit is refused before
// its body is read (429 / RESOURCE_EXHAUSTED with a retry hint).
class MemoryLimiterProcessor : public Processor, public AdmissionGate, public MemoryGate {
 public:
  MemoryLimiterProcessor(Signal signal, std::unique_ptr<MemoryLimiter> limiter, Consumer* next,
                         ComponentTelemetry* telemetry);

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;
  bool UsesGzip() const override { return next_->UsesGzip(); }
  Status Admit(const Payload& payload) override;
  bool Refuses(std::uint64_t incoming) const override { return limiter_->ShouldRefuse(incoming); }

  void SetGated(bool gated) { gated_ = gated; }
  MemoryLimiter& limiter() { return *limiter_; }

 private:
  Status Refusal() const;

  const Signal signal_;
  std::unique_ptr<MemoryLimiter> limiter_;
  Consumer* next_;
  ComponentTelemetry* telemetry_;
  bool gated_ = false;
};

}  // namespace otlpd::processors::memory_limiter
