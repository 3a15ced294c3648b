#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "internal/signal.h"

namespace otlpd {

// Per-signal item counters of one component, named after otelcol's internal
// metrics (otelcol_receiver_accepted_spans, otelcol_exporter_sent_spans, ...).
// Plain relaxed atomics: they are written on the hot path and read rarely.
struct SignalCounters {
  std::atomic<std::uint64_t> accepted{0};        // receiver / processor took it
  std::atomic<std::uint64_t> refused{0};         // receiver / processor refused it (back-pressure)
  std::atomic<std::uint64_t> sent{0};            // exporter delivered it
  std::atomic<std::uint64_t> send_failed{0};     // exporter gave up on it
  std::atomic<std::uint64_t> enqueue_failed{0};  // exporter queue full
  std::atomic<std::uint64_t> dropped{0};         // discarded on purpose (sampling) or lost at a deadline

  static void Add(std::atomic<std::uint64_t>& c, std::uint64_t n) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
};

// A histogram of integer sizes with fixed bucket bounds (Prometheus `le`:
// a value lands in the first bucket whose bound is >= it). Relaxed atomics,
// like the counters; readers compute the count from the buckets so that it
// always equals the +Inf bucket.
class Histogram {
 public:
  explicit Histogram(std::span<const std::uint64_t> bounds)
      : bounds_(bounds.begin(), bounds.end()), buckets_(bounds_.size() + 1) {}

  void Record(std::uint64_t value) {
    const auto i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    buckets_[static_cast<std::size_t>(i)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  const std::vector<std::uint64_t>& bounds() const { return bounds_; }
  // Per bucket (not cumulative), the last one being +Inf.
  std::vector<std::uint64_t> BucketCounts() const {
    std::vector<std::uint64_t> out;
    for (const auto& b : buckets_) out.push_back(b.load(std::memory_order_relaxed));
    return out;
  }
  std::uint64_t sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<std::uint64_t> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;
  std::atomic<std::uint64_t> sum_{0};
};

// otelcol's bounds for otelcol_processor_batch_batch_send_size.
inline constexpr std::uint64_t kBatchSendSizeBounds[] = {10,   25,    50,    75,    100,   250,   500,  750,
                                                         1000, 2000,  3000,  4000,  5000,  6000,  7000, 8000,
                                                         9000, 10000, 20000, 30000, 50000, 100000};

// One instrument particular to a component (otelcol's component-specific
// metrics, e.g. otelcol_processor_tail_sampling_*), as read at collection
// time. Series of several registrations of one component id with the same
// attributes are summed.
struct ComponentMetric {
  enum class Type : std::uint8_t { kCounter, kGauge, kHistogram };
  struct Point {
    std::vector<std::pair<std::string, std::string>> attributes;
    double value = 0;                    // counters and gauges
    std::vector<std::uint64_t> bounds;   // histograms: bucket upper bounds
    std::vector<std::uint64_t> buckets;  // per bucket (not cumulative), the last one +Inf
    double sum = 0;
  };
  std::string name;  // "otelcol_processor_tail_sampling_count_traces_sampled"
  std::string help;
  std::string unit;  // "{traces}", "ms", "s"
  Type type = Type::kCounter;
  std::vector<Point> points;
};

struct ComponentTelemetry {
  std::string kind;       // "receiver", "processor", "exporter", "pipeline"
  std::string id;         // "otlp", "batch/2", "traces/main"
  std::string transport;  // receivers: "grpc" or "http"
  std::array<SignalCounters, kSignalCount> signals;
  // Queue gauges, where the component has a queue.
  std::function<std::uint64_t()> queue_size;
  std::function<std::uint64_t()> queue_capacity;
  // Items per batch sent, recorded by the batch processor.
  Histogram batch_send_size{kBatchSendSizeBounds};
  // The component's own instruments; null when it has none. Called by the
  // self-telemetry while the component lives (it may capture shared state).
  std::function<std::vector<ComponentMetric>()> metrics;

  SignalCounters& operator[](Signal s) { return signals[SignalIndex(s)]; }
};

// The registry of every component's counters; the self-telemetry endpoint
// reads it. Registration happens at build time only.
class Telemetry {
 public:
  ComponentTelemetry* Register(std::string kind, std::string id, std::string transport = "") {
    std::lock_guard<std::mutex> lock(mu_);
    auto& c = components_.emplace_back(std::make_unique<ComponentTelemetry>());
    c->kind = std::move(kind);
    c->id = std::move(id);
    c->transport = std::move(transport);
    return c.get();
  }

  std::vector<const ComponentTelemetry*> All() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<const ComponentTelemetry*> out;
    for (const auto& c : components_) out.push_back(c.get());
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<ComponentTelemetry>> components_;
};

}  // namespace otlpd
