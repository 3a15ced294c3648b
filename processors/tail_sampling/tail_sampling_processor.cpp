#include "processors/tail_sampling/tail_sampling_processor.h"

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "otlp/wire/wire_walker.h"

namespace otlpd::processors::tail_sampling {
namespace {

constexpr std::uint64_t kDecisionLatencyBounds[] = {1,    2,    5,    10,    25,    50,    75,   100,
                                                    150,  200,  300,  400,   500,   750,   1000, 2000,
                                                    3000, 4000, 5000, 10000, 20000, 30000, 50000};
// The OTel SDK's default explicit bucket bounds (seconds histograms).
constexpr std::uint64_t kDefaultBounds[] = {0,   5,   10,   25,   50,   75,   100,  250,
                                            500, 750, 1000, 2500, 5000, 7500, 10000};

// A sampled trace is passed on in requests of about this size at most.
constexpr std::size_t kMaxForwardBytes = 4 << 20;

std::uint64_t Seconds(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

// sharded_processor.go divideRate: max(1, v / n) for positive values.
template <class T>
T DivideRate(T v, std::uint32_t n) {
  if (v <= 0) return v;
  return std::max<T>(1, v / static_cast<T>(n));
}

void DivideShared(PolicyConfig& p, std::uint32_t n) {
  if (p.rate_limiting.burst_capacity <= 0 && p.rate_limiting.spans_per_second > 0) {
    p.rate_limiting.burst_capacity = 2 * p.rate_limiting.spans_per_second;
  }
  if (p.bytes_limiting.burst_capacity <= 0 && p.bytes_limiting.bytes_per_second > 0) {
    p.bytes_limiting.burst_capacity = 2 * p.bytes_limiting.bytes_per_second;
  }
  p.rate_limiting.spans_per_second = DivideRate(p.rate_limiting.spans_per_second, n);
  p.bytes_limiting.bytes_per_second = DivideRate(p.bytes_limiting.bytes_per_second, n);
}

// sharded_processor.go dividePolicyRates: the rates each shard enforces.
PolicyConfig DividePolicyRates(PolicyConfig p, std::uint32_t n) {
  if (n <= 1) return p;
  DivideShared(p, n);
  if (p.type == PolicyType::kComposite) {
    p.composite.max_total_spans_per_second = DivideRate(p.composite.max_total_spans_per_second, n);
    for (PolicyConfig& sub : p.sub_policies) {
      DivideShared(sub, n);
      if (sub.type == PolicyType::kAnd) {
        for (PolicyConfig& s2 : sub.sub_policies) DivideShared(s2, n);
      }
    }
  } else if (p.type == PolicyType::kAnd || p.type == PolicyType::kDrop || p.type == PolicyType::kNot) {
    for (PolicyConfig& sub : p.sub_policies) DivideShared(sub, n);
  }
  return p;
}

}  // namespace

Stats::Stats()
    : decision_latency_ms(kDecisionLatencyBounds),
      late_span_age_s(kDefaultBounds),
      removal_age_s(kDefaultBounds) {}

std::vector<ComponentMetric> Stats::Metrics() const {
  using Type = ComponentMetric::Type;
  using Attrs = std::vector<std::pair<std::string, std::string>>;
  static const char* kSampled[3] = {"true", "false", "false"};
  static const char* kDecision[3] = {"sampled", "not_sampled", "dropped"};
  auto load = [](const auto& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  auto metric = [](std::string name, std::string help, std::string unit, Type type) {
    ComponentMetric m;
    m.name = "otelcol_processor_tail_sampling_" + std::move(name);
    m.help = std::move(help) + " [Development]";
    m.unit = std::move(unit);
    m.type = type;
    return m;
  };
  auto histogram = [](const Histogram& h) {
    ComponentMetric::Point p;
    p.bounds = h.bounds();
    p.buckets = h.BucketCounts();
    p.sum = static_cast<double>(h.sum());
    return p;
  };
  std::vector<ComponentMetric> out;

  ComponentMetric traces =
      metric("count_traces_sampled", "Count of traces that were sampled or not per sampling policy",
             "{traces}", Type::kCounter);
  ComponentMetric executions =
      metric("sampling_policy_execution_count", "Total number of executions of a specific sampling policy",
             "{executions}", Type::kCounter);
  ComponentMetric time =
      metric("sampling_policy_execution_time_sum",
             "Total time spent (in microseconds) executing a specific sampling policy", "us", Type::kCounter);
  for (const auto& p : policies) {
    for (std::size_t d = 0; d < 3; ++d) {
      // A series exists once a decision of its kind was made, as in otelcol.
      if (p->traces[d].load(std::memory_order_relaxed) == 0) continue;
      traces.points.push_back(
          {Attrs{{"policy", p->name}, {"sampled", kSampled[d]}, {"decision", kDecision[d]}},
           load(p->traces[d]),
           {},
           {},
           0});
    }
    executions.points.push_back({Attrs{{"policy", p->name}}, load(p->executions), {}, {}, 0});
    time.points.push_back({Attrs{{"policy", p->name}}, load(p->execution_us), {}, {}, 0});
  }
  out.push_back(std::move(traces));
  out.push_back(std::move(executions));
  out.push_back(std::move(time));

  ComponentMetric global = metric("global_count_traces_sampled",
                                  "Global count of traces that were sampled or not by at least one policy",
                                  "{traces}", Type::kCounter);
  for (std::size_t d = 0; d < 3; ++d) {
    if (global_traces[d].load(std::memory_order_relaxed) == 0) continue;
    global.points.push_back(
        {Attrs{{"sampled", kSampled[d]}, {"decision", kDecision[d]}}, load(global_traces[d]), {}, {}, 0});
  }
  out.push_back(std::move(global));

  ComponentMetric early =
      metric("early_releases_from_cache_decision",
             "Number of spans that were able to be immediately released due to a decision cache hit.",
             "{spans}", Type::kCounter);
  if (early_release_sampled.load() != 0)
    early.points.push_back({Attrs{{"sampled", "true"}}, load(early_release_sampled), {}, {}, 0});
  if (early_release_not_sampled.load() != 0)
    early.points.push_back({Attrs{{"sampled", "false"}}, load(early_release_not_sampled), {}, {}, 0});
  out.push_back(std::move(early));

  auto counter = [&](std::string name, std::string help, std::string unit, double v) {
    ComponentMetric m = metric(std::move(name), std::move(help), std::move(unit), Type::kCounter);
    m.points.push_back({{}, v, {}, {}, 0});
    out.push_back(std::move(m));
  };
  counter("new_trace_id_received", "Counts the arrival of new traces", "{traces}", load(new_trace_ids));
  counter("sampling_policy_evaluation_error", "Count of sampling policy evaluation errors", "{errors}",
          load(evaluation_errors));
  counter("sampling_trace_dropped_too_early",
          "Count of traces that needed to be dropped before the configured wait time", "{traces}",
          load(dropped_too_early));
  if (dropped_too_large.load() != 0) {
    counter("traces_dropped_too_large", "Count of traces that were dropped because they were too large",
            "{traces}", load(dropped_too_large));
  }
  ComponentMetric memory = metric("sampling_traces_on_memory",
                                  "Tracks the number of traces current on memory", "{traces}", Type::kGauge);
  memory.points.push_back({{}, load(traces_on_memory), {}, {}, 0});
  out.push_back(std::move(memory));

  ComponentMetric latency =
      metric("sampling_decision_timer_latency",
             "Latency (in milliseconds) of each run of the sampling decision timer", "ms", Type::kHistogram);
  latency.points.push_back(histogram(decision_latency_ms));
  out.push_back(std::move(latency));
  ComponentMetric late =
      metric("sampling_late_span_age",
             "Time (in seconds) from the sampling decision was taken and the arrival of a late span", "s",
             Type::kHistogram);
  late.points.push_back(histogram(late_span_age_s));
  out.push_back(std::move(late));
  ComponentMetric removal = metric(
      "sampling_trace_removal_age",
      "Time (in seconds) from arrival of a new trace until its removal from memory", "s", Type::kHistogram);
  removal.points.push_back(histogram(removal_age_s));
  out.push_back(std::move(removal));
  return out;
}

int DecisionIndex(Decision d) {
  switch (d) {
    case Decision::kSampled:
    case Decision::kInvertSampled: return 0;
    case Decision::kDropped: return 2;
    default: return 1;
  }
}

std::size_t TailSamplingProcessor::IdHash::operator()(const TraceId& id) const {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, id.data(), 8);
  std::memcpy(&hi, id.data() + 8, 8);
  return static_cast<std::size_t>(lo ^ (hi * 0x9E3779B97F4A7C15ull));
}

std::uint64_t TailSamplingProcessor::DecisionCache::Key(const TraceId& id) {
  std::uint64_t k = 0;
  std::memcpy(&k, id.data() + 8, 8);  // little-endian hosts, as the wire
  return k;
}

bool TailSamplingProcessor::DecisionCache::Get(const TraceId& id) {
  if (size_ == 0) return false;
  auto it = index_.find(Key(id));
  if (it == index_.end()) return false;
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void TailSamplingProcessor::DecisionCache::Put(const TraceId& id) {
  if (size_ == 0) return;
  const std::uint64_t key = Key(id);
  if (auto it = index_.find(key); it != index_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.push_front(key);
  index_[key] = order_.begin();
  if (order_.size() > size_) {
    index_.erase(order_.back());
    order_.pop_back();
  }
}

std::uint64_t TailSamplingProcessor::Batcher::Add(const TraceId& id) {
  current_.push_back(id);
  return take_id_ + batches_.size();
}

std::uint64_t TailSamplingProcessor::Batcher::MoveToEarlier(const TraceId& id, std::uint64_t current,
                                                            std::uint64_t batches_from_now) {
  const std::uint64_t proposed = take_id_ + batches_from_now;
  if (proposed >= current) return current;
  // The entry left in its old batch is skipped there: the trace's batch id
  // no longer names that batch.
  batches_[proposed % batches_.size()].push_back(id);
  return proposed;
}

bool TailSamplingProcessor::Batcher::Take(std::vector<TraceId>& out, std::uint64_t& id) {
  out.clear();
  id = take_id_;
  if (take_id_ < last_batch_id_) {
    auto& slot = batches_[take_id_ % batches_.size()];
    out.swap(slot);
    if (!stopped_) {
      slot.swap(current_);
      current_.clear();
    }
    ++take_id_;
    return true;
  }
  // Stopped and drained: the open batch last, under the id Add gave it.
  out.swap(current_);
  current_.clear();
  id = last_batch_id_;
  return false;
}

void TailSamplingProcessor::Batcher::Stop() {
  stopped_ = true;
  last_batch_id_ = take_id_ + batches_.size();
}

void TailSamplingProcessor::Output::Add(std::string_view bytes, std::int64_t spans) {
  if (payloads.empty() || payloads.back().first.size() + bytes.size() > kMaxForwardBytes) {
    payloads.emplace_back();
  }
  payloads.back().first.append(bytes);
  payloads.back().second += static_cast<std::uint64_t>(spans);
}

TailSamplingProcessor::TailSamplingProcessor(std::shared_ptr<const Config> config, Consumer* next,
                                             ComponentTelemetry* telemetry, ProcessorOptions options)
    : config_(std::move(config)),
      span_ingest_(config_->sampling_strategy == "span-ingest"),
      next_(next),
      telemetry_(telemetry),
      options_(std::move(options)) {
  const std::uint32_t n = std::max<std::uint32_t>(1, config_->num_shards);
  const std::uint64_t num_traces =
      n > 1 ? std::max<std::uint64_t>(1, config_->num_traces / n) : config_->num_traces;
  if (telemetry_ != nullptr) telemetry_->metrics = [stats = stats_] { return stats->Metrics(); };
  for (const PolicyConfig& p : config_->policies) {
    auto s = std::make_unique<Stats::PerPolicy>();
    s->name = options_.name.empty() ? p.name : options_.name + "." + p.name;
    stats_->policies.push_back(std::move(s));
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    auto shard = std::make_unique<Shard>(*config_, std::max<std::uint64_t>(1, num_traces),
                                         DivideRate(config_->sampled_cache_size, n),
                                         DivideRate(config_->non_sampled_cache_size, n));
    // Drop policies run first; config order within each group.
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t j = 0; j < config_->policies.size(); ++j) {
        const PolicyConfig& p = config_->policies[j];
        const bool drop = p.type == PolicyType::kDrop;
        if (drop != (pass == 0)) continue;
        shard->policies.push_back(
            Policy{MakeEvaluator(DividePolicyRates(p, n)), p.name, drop, stats_->policies[j].get()});
      }
    }
    shards_.push_back(std::move(shard));
  }
}

TailSamplingProcessor::~TailSamplingProcessor() {
  if (ticker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(ticker_mu_);
      stopping_ = true;
    }
    ticker_cv_.notify_all();
    ticker_.join();
  }
}

PolicyClock TailSamplingProcessor::Now() const {
  PolicyClock c;
  c.now = options_.now();
  c.unix_nanos = options_.unix_nanos();
  c.unix_second = c.unix_nanos / 1000000000;
  return c;
}

Status TailSamplingProcessor::Start() {
  if (!options_.ticker) return Status::Ok();
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(ticker_mu_);
    auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!stopping_) {
      if (ticker_cv_.wait_until(lock, next, [this] { return stopping_; })) break;
      // Behind by more than a tick (a slow decision run): the missed ticks
      // are skipped, as Go's time.Ticker drops them, so no trace is decided
      // sooner than decision_wait after its first span.
      const auto now = std::chrono::steady_clock::now();
      next += std::chrono::seconds(1);
      if (next < now) next = now;
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
  return Status::Ok();
}

void TailSamplingProcessor::Shutdown(Clock::time_point) {
  if (ticker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(ticker_mu_);
      stopping_ = true;
    }
    ticker_cv_.notify_all();
    ticker_.join();
  }
  stopped_.store(true);
  for (auto& shard : shards_) {
    Output out;
    {
      std::unique_lock<std::mutex> lock(shard->mu);
      shard->batcher.Stop();
      if (!config_->drop_pending_traces_on_shutdown) {
        while (TickShard(*shard, out)) {
        }
      } else {
        // What is dropped unsaid is counted as dropped.
        for (auto& [id, e] : shard->traces) {
          if (e.decision == Decision::kUnspecified && telemetry_ != nullptr) {
            SignalCounters::Add((*telemetry_)[Signal::kTraces].dropped,
                                static_cast<std::uint64_t>(e.span_count));
          }
        }
      }
      shard->space.notify_all();
    }
    Forward(out);
  }
}

std::size_t TailSamplingProcessor::traces_in_memory() const {
  return static_cast<std::size_t>(std::max<std::int64_t>(0, stats_->traces_on_memory.load()));
}

TailSamplingProcessor::Shard& TailSamplingProcessor::ShardOf(const TraceId& id) {
  if (shards_.size() == 1) return *shards_[0];
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::memcpy(&lo, id.data(), 8);
  std::memcpy(&hi, id.data() + 8, 8);
  std::uint64_t h = lo ^ hi;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return *shards_[h % shards_.size()];
}

Status TailSamplingProcessor::Consume(const PayloadPtr& payload) {
  Result<std::vector<TraceFragment>> split = SplitByTrace(payload->bytes);
  if (!split.ok()) return split.status();
  if (stopped_.load()) {
    // Late data after Shutdown: nothing decides it any more.
    if (telemetry_ != nullptr) SignalCounters::Add((*telemetry_)[Signal::kTraces].dropped, payload->items);
    return Status::Ok();
  }
  Output out;
  for (TraceFragment& frag : *split) {
    Shard& shard = ShardOf(frag.trace_id);
    std::unique_lock<std::mutex> lock(shard.mu);
    Status s = Ingest(shard, lock, frag, out);
    if (!s.ok()) {
      lock.unlock();
      Forward(out);
      return s;
    }
  }
  Forward(out);
  return Status::Ok();
}

Status TailSamplingProcessor::Ingest(Shard& shard, std::unique_lock<std::mutex>& lock, TraceFragment& frag,
                                     Output& out) {
  const TraceId& id = frag.trace_id;
  if (shard.sampled_cache.Get(id)) {
    out.Add(frag.bytes, frag.spans);
    stats_->early_release_sampled.fetch_add(static_cast<std::uint64_t>(frag.spans),
                                            std::memory_order_relaxed);
    return Status::Ok();
  }
  if (shard.not_sampled_cache.Get(id)) {
    stats_->early_release_not_sampled.fetch_add(static_cast<std::uint64_t>(frag.spans),
                                                std::memory_order_relaxed);
    if (telemetry_ != nullptr) {
      SignalCounters::Add((*telemetry_)[Signal::kTraces].dropped, static_cast<std::uint64_t>(frag.spans));
    }
    return Status::Ok();
  }
  const auto now = options_.now();
  auto it = shard.traces.find(id);
  if (it == shard.traces.end()) {
    if (shard.traces.size() >= shard.num_traces && !MakeRoom(shard, lock, out)) {
      return Status::Unavailable("tail_sampling: num_traces reached and the oldest trace is not decided yet");
    }
    it = shard.traces.try_emplace(id).first;
    Entry& e = it->second;
    e.arrival = now;
    e.span_count = frag.spans;
    e.batch_id = shard.batcher.Add(id);
    e.fifo = shard.fifo.insert(shard.fifo.end(), id);
    stats_->traces_on_memory.fetch_add(1, std::memory_order_relaxed);
    stats_->new_trace_ids.fetch_add(1, std::memory_order_relaxed);
  } else {
    it->second.span_count += frag.spans;
  }
  Entry& e = it->second;
  if (frag.has_root && config_->decision_wait_after_root_received.count() > 0) {
    e.batch_id = shard.batcher.MoveToEarlier(
        id, e.batch_id,
        static_cast<std::uint64_t>(
            std::chrono::duration<double>(config_->decision_wait_after_root_received).count()));
  }
  e.size_bytes += frag.resource_spans_size;
  if (e.decision == Decision::kUnspecified) {
    if (config_->maximum_trace_size_bytes > 0 && e.size_bytes > config_->maximum_trace_size_bytes) {
      stats_->dropped_too_large.fetch_add(1, std::memory_order_relaxed);
      Release(shard, id, e, Decision::kNotSampled, out);
      return Status::Ok();
    }
    if (span_ingest_) {
      const Decision d = DecideOnIngest(shard, id, e, frag);
      if (d == Decision::kSampled || d == Decision::kDropped) {
        // The held spans and these go (or are dropped) together.
        e.bytes.append(frag.bytes);
        stats_->held_bytes.fetch_add(static_cast<std::int64_t>(frag.bytes.size()), std::memory_order_relaxed);
        Release(shard, id, e, d, out);
        return Status::Ok();
      }
    }
    e.bytes.append(frag.bytes);
    stats_->held_bytes.fetch_add(static_cast<std::int64_t>(frag.bytes.size()), std::memory_order_relaxed);
    return Status::Ok();
  }
  // A late span: it follows the decision already made.
  if (e.decision == Decision::kSampled) {
    out.Add(frag.bytes, frag.spans);
  } else if (telemetry_ != nullptr) {
    SignalCounters::Add((*telemetry_)[Signal::kTraces].dropped, static_cast<std::uint64_t>(frag.spans));
  }
  if (e.decided_at_set) stats_->late_span_age_s.Record(Seconds(now - e.decided_at));
  if (e.decision == Decision::kNotSampled) {
    // otelcol releases it again: the non-sampled cache learns it now.
    shard.not_sampled_cache.Put(id);
    if (shard.not_sampled_cache.Get(id)) Erase(shard, id);
  }
  return Status::Ok();
}

bool TailSamplingProcessor::MakeRoom(Shard& shard, std::unique_lock<std::mutex>& lock, Output& out) {
  while (shard.traces.size() >= shard.num_traces && !shard.fifo.empty()) {
    const TraceId oldest = shard.fifo.front();
    auto it = shard.traces.find(oldest);
    if (it->second.decision == Decision::kUnspecified) {
      if (config_->block_on_overflow) {
        // Wait for the ticker to decide it (or for shutdown).
        if (!options_.ticker) return false;
        shard.space.wait(lock, [&] {
          if (stopped_.load()) return true;
          auto f = shard.traces.find(oldest);
          return f == shard.traces.end() || f->second.decision != Decision::kUnspecified ||
                 shard.traces.size() < shard.num_traces;
        });
        if (stopped_.load()) return false;
        continue;
      }
      // Decided now, ahead of its batch: never dropped unsaid.
      const auto start = options_.now();
      const Decision d = Decide(shard, oldest, it->second);
      stats_->decision_latency_ms.Record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.now() - start).count()));
      Release(shard, oldest, it->second, d, out);
    }
    if (shard.traces.count(oldest) != 0) Erase(shard, oldest);
  }
  return true;
}

void TailSamplingProcessor::Tick() {
  for (auto& shard : shards_) {
    Output out;
    {
      std::lock_guard<std::mutex> lock(shard->mu);
      TickShard(*shard, out);
    }
    shard->space.notify_all();
    Forward(out);
  }
}

bool TailSamplingProcessor::TickShard(Shard& shard, Output& out) {
  const auto start = options_.now();
  std::vector<TraceId> batch;
  std::uint64_t batch_id = 0;
  const bool more = shard.batcher.Take(batch, batch_id);
  for (const TraceId& id : batch) {
    auto it = shard.traces.find(id);
    if (it == shard.traces.end()) continue;  // decided early and gone
    Entry& e = it->second;
    if (e.batch_id != batch_id || e.decision != Decision::kUnspecified) continue;
    if (span_ingest_) {
      // Nothing sampled it on the way in: not sampled, and gone from memory.
      Release(shard, id, e, Decision::kNotSampled, out);
      Erase(shard, id);
      continue;
    }
    const Decision d = Decide(shard, id, e);
    Release(shard, id, e, d, out);
  }
  stats_->decision_latency_ms.Record(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.now() - start).count()));
  return more;
}

namespace {

// What the policies see of trace `id`: its spans `bytes` parsed onto `arena`
// (nullopt when they do not parse), counted as `span_count`.
std::optional<TraceData> ParseTrace(const TraceId& id, const std::string& bytes, std::int64_t span_count,
                                    google::protobuf::Arena& arena) {
  auto* req = google::protobuf::Arena::CreateMessage<TracesRequest>(&arena);
  if (!req->ParseFromString(bytes)) return std::nullopt;
  TraceData td;
  td.id = id;
  td.spans = req;
  td.span_count = span_count;
  td.request_bytes = bytes.size();
  return td;
}

}  // namespace

Result<Decision> TailSamplingProcessor::Evaluate(Policy& p, TraceData& td, const PolicyClock& clock) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<Decision> d = p.evaluator->Evaluate(td, clock);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  p.stats->executions.fetch_add(1, std::memory_order_relaxed);
  p.stats->execution_us.fetch_add(static_cast<std::uint64_t>(us.count()), std::memory_order_relaxed);
  if (!d.ok()) {
    stats_->evaluation_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("tail_sampling: sampling policy {} error: {}", p.name, d.status().message());
    return d;
  }
  p.stats->traces[static_cast<std::size_t>(DecisionIndex(*d))].fetch_add(1, std::memory_order_relaxed);
  return d;
}

Decision TailSamplingProcessor::Decide(Shard& shard, const TraceId& id, Entry& entry) {
  google::protobuf::Arena arena;
  std::optional<TraceData> parsed = ParseTrace(id, entry.bytes, entry.span_count, arena);
  if (!parsed) {
    // Cannot happen for bytes the receiver validated; decided NotSampled.
    spdlog::warn("tail_sampling: held spans of a trace do not parse; not sampled");
    return Decision::kNotSampled;
  }
  TraceData& td = *parsed;
  const PolicyClock clock = Now();

  auto run = [&](Policy& p) { return Evaluate(p, td, clock); };

  // Drop policies first: any Dropped ends it.
  std::size_t i = 0;
  for (; i < shard.policies.size() && shard.policies[i].drop; ++i) {
    Result<Decision> d = run(shard.policies[i]);
    if (d.ok() && *d == Decision::kDropped) return Decision::kDropped;
  }
  bool seen[8] = {};
  for (; i < shard.policies.size(); ++i) {
    Result<Decision> d = run(shard.policies[i]);
    if (!d.ok()) continue;
    seen[static_cast<int>(*d)] = true;
    if (*d == Decision::kDropped) break;
    if (config_->sample_on_first_match && *d == Decision::kSampled) break;
  }
  // Dropped > InvertNotSampled > Sampled > InvertSampled without NotSampled > NotSampled.
  if (seen[static_cast<int>(Decision::kDropped)]) return Decision::kDropped;
  if (seen[static_cast<int>(Decision::kInvertNotSampled)]) return Decision::kNotSampled;
  if (seen[static_cast<int>(Decision::kSampled)]) return Decision::kSampled;
  if (seen[static_cast<int>(Decision::kInvertSampled)] && !seen[static_cast<int>(Decision::kNotSampled)]) {
    return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

Decision TailSamplingProcessor::DecideOnIngest(Shard& shard, const TraceId& id, const Entry& entry,
                                               const TraceFragment& frag) {
  const auto start = options_.now();
  google::protobuf::Arena arena;
  std::optional<TraceData> parsed = ParseTrace(id, frag.bytes, entry.span_count, arena);
  if (!parsed) return Decision::kPending;
  TraceData& td = *parsed;
  const PolicyClock clock = Now();
  Decision result = Decision::kPending;
  // processor.go makeDecisionOnSpanIngest: once a drop policy did not drop,
  // the sampling policies are not consulted for this batch.
  bool drop_pending = false;
  for (Policy& p : shard.policies) {
    if (!p.drop && drop_pending) break;
    Result<Decision> d = Evaluate(p, td, clock);
    if (!d.ok()) continue;
    if (*d == Decision::kDropped) {
      result = Decision::kDropped;
      break;
    }
    if (p.drop) {
      drop_pending = true;
      continue;
    }
    if (*d == Decision::kSampled) {
      result = Decision::kSampled;
      break;
    }
  }
  stats_->decision_latency_ms.Record(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.now() - start).count()));
  return result;
}

void TailSamplingProcessor::Release(Shard& shard, const TraceId& id, Entry& e, Decision decision,
                                    Output& out) {
  e.decision = decision;
  e.decided_at = options_.now();
  e.decided_at_set = true;
  stats_->global_traces[static_cast<std::size_t>(DecisionIndex(decision))].fetch_add(
      1, std::memory_order_relaxed);
  stats_->held_bytes.fetch_sub(static_cast<std::int64_t>(e.bytes.size()), std::memory_order_relaxed);
  if (decision == Decision::kSampled) {
    out.Add(e.bytes, static_cast<std::int64_t>(e.span_count));
  } else if (telemetry_ != nullptr) {
    SignalCounters::Add((*telemetry_)[Signal::kTraces].dropped, static_cast<std::uint64_t>(e.span_count));
  }
  std::string().swap(e.bytes);
  DecisionCache& cache = decision == Decision::kSampled ? shard.sampled_cache : shard.not_sampled_cache;
  cache.Put(id);
  if (cache.Get(id)) Erase(shard, id);
}

void TailSamplingProcessor::Erase(Shard& shard, const TraceId& id) {
  auto it = shard.traces.find(id);
  if (it == shard.traces.end()) return;
  stats_->held_bytes.fetch_sub(static_cast<std::int64_t>(it->second.bytes.size()), std::memory_order_relaxed);
  stats_->removal_age_s.Record(Seconds(options_.now() - it->second.arrival));
  shard.fifo.erase(it->second.fifo);
  shard.traces.erase(it);
  stats_->traces_on_memory.fetch_sub(1, std::memory_order_relaxed);
}

void TailSamplingProcessor::Forward(Output& out) {
  for (auto& [bytes, spans] : out.payloads) {
    if (bytes.empty()) continue;
    Status s = next_->Consume(MakePayload(Signal::kTraces, std::move(bytes), spans));
    if (!s.ok()) spdlog::warn("tail_sampling: error sending spans to destination: {}", s.message());
  }
  out.payloads.clear();
}

}  // namespace otlpd::processors::tail_sampling
