// otelcol-contrib's `tail_sampling` processor (v0.161.0, trace-complete
// strategy): spans are held per trace id, as the bytes they arrived in, until
// the trace's decision batch comes due (decision_wait after its first span,
// in 1-second batches), then every policy is evaluated over the trace and a
// sampled trace is passed on whole.
//
// Invariants:
// - A trace is decided at most once; spans that arrive later follow that
//   decision (from the trace's entry while it is in memory, or from the
//   decision caches once it left).
// - At most num_traces traces are in memory. A new trace at the limit makes
//   room by removing the oldest (arrival order): if that one is undecided it
//   is decided first (never dropped unsaid); block_on_overflow waits for the
//   ticker to decide it instead.
// - Held bytes are released at decision; a decided entry keeps only its
//   decision until the decision cache takes it or num_traces evicts it.
// - Shutdown decides everything pending unless drop_pending_traces_on_shutdown.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "processors/tail_sampling/config.h"
#include "processors/tail_sampling/policy.h"
#include "processors/tail_sampling/trace_split.h"

namespace otlpd::processors::tail_sampling {

// What the processor counted, named after otelcol's metrics (§5.4). Relaxed
// atomics, read by the self-telemetry.
struct Stats {
  // Per policy (config order), per decision kSampled/kNotSampled/kDropped.
  struct PerPolicy {
    std::string name;  // the `policy` attribute: "<processor name>.<policy>" or "<policy>"
    std::array<std::atomic<std::uint64_t>, 3> traces{};
    std::atomic<std::uint64_t> executions{0};
    std::atomic<std::uint64_t> execution_us{0};
  };
  std::vector<std::unique_ptr<PerPolicy>> policies;
  std::array<std::atomic<std::uint64_t>, 3> global_traces{};  // sampled, not_sampled, dropped
  std::atomic<std::uint64_t> early_release_sampled{0};        // spans
  std::atomic<std::uint64_t> early_release_not_sampled{0};    // spans
  std::atomic<std::uint64_t> new_trace_ids{0};
  std::atomic<std::uint64_t> evaluation_errors{0};
  std::atomic<std::uint64_t> dropped_too_early{0};  // stays 0: no trace leaves undecided
  std::atomic<std::uint64_t> dropped_too_large{0};
  std::atomic<std::int64_t> traces_on_memory{0};
  std::atomic<std::int64_t> held_bytes{0};  // span bytes held by undecided traces
  Histogram decision_latency_ms;
  Histogram late_span_age_s;
  Histogram removal_age_s;

  Stats();
  // otelcol's instruments (§5.4) with their current values.
  std::vector<ComponentMetric> Metrics() const;
};

// The index of a decision in Stats' arrays: 0 sampled, 1 not sampled, 2 dropped.
int DecisionIndex(Decision d);

struct ProcessorOptions {
  // The clock decisions and token buckets read; tests inject one.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<std::int64_t()> unix_nanos = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // Run the 1 s decision ticker on a thread of its own; tests call Tick().
  bool ticker = true;
  // The `policy` attribute prefix: the processor's name ("x" for tail_sampling/x).
  std::string name;
};

class TailSamplingProcessor : public Processor {
 public:
  TailSamplingProcessor(std::shared_ptr<const Config> config, Consumer* next, ComponentTelemetry* telemetry,
                        ProcessorOptions options = {});
  ~TailSamplingProcessor() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

  // One decision tick: the oldest batch of every shard is decided and the
  // sampled traces are passed on. Returns whether batches remain after a stop.
  void Tick();

  std::size_t traces_in_memory() const;
  const Stats& stats() const { return *stats_; }

 private:
  struct Entry {
    std::string bytes;  // the trace's fragments, until decided
    std::int64_t span_count = 0;
    std::uint64_t size_bytes = 0;
    Decision decision = Decision::kUnspecified;
    std::chrono::steady_clock::time_point arrival{};
    std::chrono::steady_clock::time_point decided_at{};
    bool decided_at_set = false;
    std::uint64_t batch_id = 0;
    std::list<TraceId>::iterator fifo;
  };
  struct IdHash {
    std::size_t operator()(const TraceId& id) const;
  };
  // otelcol's LRU of decided ids, keyed like its cache by the trace id's
  // right half (little endian).
  class DecisionCache {
   public:
    explicit DecisionCache(int size) : size_(size > 0 ? static_cast<std::size_t>(size) : 0) {}
    bool enabled() const { return size_ > 0; }
    bool Get(const TraceId& id);
    void Put(const TraceId& id);

   private:
    static std::uint64_t Key(const TraceId& id);
    std::size_t size_;
    std::list<std::uint64_t> order_;  // most recent first
    std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> index_;
  };
  // internal/idbatcher: a ring of decision batches plus the open one.
  class Batcher {
   public:
    explicit Batcher(std::uint64_t batches) : batches_(batches) {}
    std::uint64_t Add(const TraceId& id);
    std::uint64_t MoveToEarlier(const TraceId& id, std::uint64_t current, std::uint64_t batches_from_now);
    // The batch due and its id; false once stopped and drained.
    bool Take(std::vector<TraceId>& out, std::uint64_t& id);
    void Stop();

   private:
    std::vector<std::vector<TraceId>> batches_;
    std::vector<TraceId> current_;
    std::uint64_t take_id_ = 0;
    std::uint64_t last_batch_id_ = UINT64_MAX;
    bool stopped_ = false;
  };
  struct Policy {
    std::unique_ptr<Evaluator> evaluator;  // trace-complete or span-ingest
    std::string name;
    bool drop = false;
    Stats::PerPolicy* stats = nullptr;
  };
  struct Shard {
    Shard(const Config& config, std::uint64_t num_traces, int sampled, int not_sampled)
        : batcher(static_cast<std::uint64_t>(
              std::max(1.0, std::floor(std::chrono::duration<double>(config.decision_wait).count())))),
          sampled_cache(sampled),
          not_sampled_cache(not_sampled),
          num_traces(num_traces) {}
    std::mutex mu;
    std::condition_variable space;  // block_on_overflow waits here for the ticker
    std::unordered_map<TraceId, Entry, IdHash> traces;
    std::list<TraceId> fifo;  // arrival order
    Batcher batcher;
    DecisionCache sampled_cache;
    DecisionCache not_sampled_cache;
    std::vector<Policy> policies;  // drop policies first
    std::uint64_t num_traces;
  };
  // Sampled bytes gathered under a shard's lock, passed on after it.
  struct Output {
    std::vector<std::pair<std::string, std::uint64_t>> payloads;  // bytes, spans
    void Add(std::string_view bytes, std::int64_t spans);
  };

  Shard& ShardOf(const TraceId& id);
  Status Ingest(Shard& shard, std::unique_lock<std::mutex>& lock, TraceFragment& frag, Output& out);
  bool MakeRoom(Shard& shard, std::unique_lock<std::mutex>& lock, Output& out);
  bool TickShard(Shard& shard, Output& out);
  Decision Decide(Shard& shard, const TraceId& id, Entry& entry);
  // span-ingest: the new spans alone, drop policies first, the first Sampled
  // wins; kPending when nothing decided.
  Decision DecideOnIngest(Shard& shard, const TraceId& id, const Entry& entry, const TraceFragment& frag);
  // One policy on one trace, timed and counted (executions, time, the
  // decision, or an evaluation error).
  Result<Decision> Evaluate(Policy& p, TraceData& td, const PolicyClock& clock);
  void Release(Shard& shard, const TraceId& id, Entry& entry, Decision decision, Output& out);
  void Erase(Shard& shard, const TraceId& id);
  void Forward(Output& out);
  PolicyClock Now() const;

  const std::shared_ptr<const Config> config_;
  const bool span_ingest_;
  Consumer* next_;
  ComponentTelemetry* telemetry_;
  ProcessorOptions options_;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();  // shared with the telemetry callback
  std::vector<std::unique_ptr<Shard>> shards_;

  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool stopping_ = false;
  std::atomic<bool> stopped_{false};
  std::thread ticker_;
};

}  // namespace otlpd::processors::tail_sampling
