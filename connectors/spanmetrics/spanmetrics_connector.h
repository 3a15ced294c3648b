#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "connectors/spanmetrics/config.h"
#include "connectors/spanmetrics/exponential_histogram.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::connectors::spanmetrics {

using KeyValues = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

// contrib's spanmetrics connector (v0.161.0): RED metrics from spans.
//
// Spans are aggregated per resource (an LRU of resource_metrics_cache_size
// resources, keyed by all resource attributes or only
// resource_metrics_key_attributes) and per series (service.name, span.name,
// span.kind, status.code and the configured dimensions) into
// `<namespace>.calls` (monotonic sum), `<namespace>.duration` (explicit or
// exponential histogram) and `<namespace>.events`; every
// metrics_flush_interval the whole state is emitted as one metrics request
// (cumulative: everything, the first point of a new series being 0 as contrib
// does; delta: what came since the last flush, then the state is cleared).
// Memory is bounded by the resource LRU and, per resource, by
// aggregation_cardinality_limit (series past it collapse into one
// `otel.metric.overflow` series). Consume never refuses and never emits; a
// flush refused downstream (back-pressure) is retried with backoff until it is
// taken or the connector shuts down, so a delta interval is not lost.
class SpanMetricsConnector : public Connector {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  SpanMetricsConnector(Config config, Consumer* next, ComponentTelemetry* telemetry, std::string instance_id,
                       Now now = nullptr);
  ~SpanMetricsConnector() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

  // One flush: the metrics request of the current state (null when there is
  // nothing), and the state reset as contrib does after a flush. Tests call it
  // directly instead of waiting for the timer.
  PayloadPtr Flush();

 private:
  struct Exemplar {
    std::string trace_id;
    std::string span_id;
    double value = 0;
  };
  struct Series {
    KeyValues attributes;
    std::uint64_t start_ns = 0;
    std::chrono::system_clock::time_point last_seen{};
    std::uint64_t count = 0;  // sums: the value; histograms: the count
    bool first = true;        // cumulative sums: the first point is 0
    double sum = 0;
    std::vector<std::uint64_t> bucket_counts;
    std::unique_ptr<ExponentialHistogram> expo;
    std::vector<Exemplar> exemplars;
  };
  // Series in creation order, with an index by key.
  struct SeriesMap {
    std::list<std::pair<std::string, Series>> items;
    std::unordered_map<std::string, std::list<std::pair<std::string, Series>>::iterator> index;
  };
  struct ResourceState {
    KeyValues attributes;
    SeriesMap calls;
    SeriesMap durations;
    SeriesMap events;
    std::chrono::system_clock::time_point last_seen{};
  };
  using ResourceList = std::list<std::pair<std::string, std::unique_ptr<ResourceState>>>;

  void Aggregate(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);
  ResourceState& GetOrCreateResource(const KeyValues& attributes);
  // The series for `key`, created with `make_attributes()` (or the overflow
  // series past the cardinality limit); `limited` tells which.
  template <class MakeAttributes>
  Series& GetOrCreate(SeriesMap& map, const std::string& key, MakeAttributes make_attributes, bool histogram,
                      std::uint64_t start_ns, std::chrono::system_clock::time_point now, bool& limited);
  void AddExemplar(Series& s, const opentelemetry::proto::trace::v1::Span& span, double value) const;
  void Run();

  const Config config_;
  const std::vector<double> bounds_;
  Consumer* const next_;
  ComponentTelemetry* const telemetry_;
  const std::string instance_id_;
  const Now now_;

  std::mutex mu_;
  ResourceList resources_;  // least recently used first
  std::unordered_map<std::string, ResourceList::iterator> resource_index_;
  ResourceList evicted_;  // emitted once more at the next flush, as contrib's cache does
  // delta: the last flush time per series key (an LRU of metric_timestamp_cache_size).
  std::list<std::pair<std::string, std::uint64_t>> delta_times_;
  std::unordered_map<std::string, std::list<std::pair<std::string, std::uint64_t>>::iterator> delta_index_;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace otlpd::connectors::spanmetrics
