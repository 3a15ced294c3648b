#include "processors/memory_limiter/memory_limiter_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "processors/memory_limiter/memory.h"

namespace otlpd::processors::memory_limiter {

std::optional<Limits> ComputeLimits(const Config& config,
                                    const std::function<std::optional<std::uint64_t>()>& total_memory) {
  std::uint64_t hard = 0;
  std::uint64_t spike = 0;
  if (config.limit_mib != 0) {
    hard = std::uint64_t{config.limit_mib} * kMiB;
    spike = std::uint64_t{config.spike_limit_mib} * kMiB;
  } else {
    std::optional<std::uint64_t> total = total_memory();
    if (!total) return std::nullopt;
    hard = config.limit_percentage * *total / 100;
    spike = config.spike_limit_percentage * *total / 100;
  }
  if (spike == 0) spike = hard / 5;
  return Limits{hard, hard - std::min(spike, hard)};
}

MemoryLimiter::MemoryLimiter(const Config& config, Limits limits, Hooks hooks)
    : config_(config), limits_(limits), hooks_(std::move(hooks)) {
  if (!hooks_.read_memory) hooks_.read_memory = [] { return ResidentBytes().value_or(0); };
  if (!hooks_.release_memory) hooks_.release_memory = ReleaseFreeMemory;
}

MemoryLimiter::~MemoryLimiter() { Stop(); }

void MemoryLimiter::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (thread_.joinable()) return;
    stop_ = false;
  }
  spdlog::info("memory limiter: limit {} MiB, spike {} MiB, check every {} ms", limits_.hard / kMiB,
               (limits_.hard - limits_.soft) / kMiB,
               std::chrono::duration_cast<std::chrono::milliseconds>(config_.check_interval).count());
  CheckMemLimits();
  thread_ = std::thread([this] { Loop(); });
}

void MemoryLimiter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MemoryLimiter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, config_.check_interval, [this] { return stop_; })) {
    lock.unlock();
    CheckMemLimits();
    lock.lock();
  }
}

std::uint64_t MemoryLimiter::Read() const { return hooks_.read_memory(); }

void MemoryLimiter::Release() {
  hooks_.release_memory();
  last_release_ = Clock::now();
}

void MemoryLimiter::CheckMemLimits() {
  // Queue growth is measured from here on; take it before reading memory so
  // bytes queued meanwhile are counted twice rather than not at all.
  std::uint64_t queued = hooks_.queued_bytes ? hooks_.queued_bytes() : 0;
  std::uint64_t received = hooks_.received_bytes ? hooks_.received_bytes() : 0;
  Clock::time_point now = Clock::now();
  auto since_release = [&] { return last_release_ ? now - *last_release_ : Clock::duration::max(); };
  std::uint64_t usage = Read();
  if (usage >= limits_.hard && since_release() >= config_.min_gc_interval_when_hard_limited) {
    spdlog::warn("memory limiter: usage {} MiB is above the hard limit, releasing free memory", usage / kMiB);
    Release();
    usage = Read();
  }
  bool was_refusing = refusing();
  bool must_refuse = usage >= limits_.soft;
  // Unlike Go's heap, memory freed by a C++ process stays resident until it is
  // given back, so this happens while refusing too, not only on entering.
  if (must_refuse && since_release() >= config_.min_gc_interval_when_soft_limited) {
    Release();
    usage = Read();
    must_refuse = usage >= limits_.soft;
  }
  if (was_refusing && !must_refuse) {
    spdlog::info("memory limiter: usage {} MiB back within limits, resuming normal operation", usage / kMiB);
  } else if (!was_refusing && must_refuse) {
    spdlog::warn("memory limiter: usage {} MiB is above the soft limit ({} MiB), refusing data", usage / kMiB,
                 limits_.soft / kMiB);
  }
  last_usage_.store(usage, std::memory_order_relaxed);
  queued_at_check_.store(queued, std::memory_order_relaxed);
  received_at_check_.store(received, std::memory_order_relaxed);
  refusing_.store(must_refuse, std::memory_order_release);
}

bool MemoryLimiter::ShouldRefuse(std::uint64_t incoming_bytes) const {
  if (refusing()) return true;
  if (!hooks_.queued_bytes && !hooks_.received_bytes) return false;
  // What the queues and the receivers hold beyond what they held at the last
  // measurement is memory that measurement did not see. (A request moving
  // from a receiver into a queue leaves the one and joins the other.)
  auto growth = [](const std::function<std::uint64_t()>& now, const std::atomic<std::uint64_t>& then) {
    if (!now) return std::uint64_t{0};
    const std::uint64_t n = now(), t = then.load(std::memory_order_relaxed);
    return n > t ? n - t : 0;
  };
  const std::uint64_t growth_total =
      growth(hooks_.queued_bytes, queued_at_check_) + growth(hooks_.received_bytes, received_at_check_);
  return last_usage() + growth_total + incoming_bytes >= limits_.soft;
}

MemoryLimiterProcessor::MemoryLimiterProcessor(Signal signal, std::unique_ptr<MemoryLimiter> limiter,
                                               Consumer* next, ComponentTelemetry* telemetry)
    : signal_(signal), limiter_(std::move(limiter)), next_(next), telemetry_(telemetry) {}

Status MemoryLimiterProcessor::Start() {
  limiter_->Start();
  return Status::Ok();
}

void MemoryLimiterProcessor::Shutdown(Clock::time_point) { limiter_->Stop(); }

Status MemoryLimiterProcessor::Refusal() const {
  // The state changes at the next measurement at the earliest.
  auto hint = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(limiter_->check_interval()),
      std::chrono::seconds(1));
  return Status::Unavailable("data refused due to high memory usage", hint);
}

Status MemoryLimiterProcessor::Admit(const Payload& payload) {
  if (!limiter_->ShouldRefuse(payload.bytes.size())) return Status::Ok();
  if (telemetry_ != nullptr) SignalCounters::Add((*telemetry_)[payload.signal].refused, payload.items);
  return Refusal();
}

Status MemoryLimiterProcessor::Consume(const PayloadPtr& payload) {
  // Admitted data is already in memory: refusing it now would only drop it.
  // Items in and out are counted by the service around every processor;
  // `refused` counts only the admission refusals, which never reach Consume.
  if (!gated_ && limiter_->refusing()) return Refusal();
  return next_->Consume(payload);
}

}  // namespace otlpd::processors::memory_limiter
