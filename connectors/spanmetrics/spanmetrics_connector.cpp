#include "connectors/spanmetrics/spanmetrics_connector.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ottl/value.h"

namespace otlpd::connectors::spanmetrics {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace trace = opentelemetry::proto::trace::v1;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr char kSep = '\0';

const common::AnyValue* Find(const KeyValues& kvs, std::string_view key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

void Put(KeyValues& kvs, const std::string& key, const common::AnyValue& v) {
  for (auto& kv : kvs) {
    if (kv.key() == key) {
      *kv.mutable_value() = v;
      return;
    }
  }
  auto* kv = kvs.Add();
  kv->set_key(key);
  *kv->mutable_value() = v;
}

void PutStr(KeyValues& kvs, const std::string& key, const std::string& v) {
  common::AnyValue value;
  value.set_string_value(v);
  Put(kvs, key, value);
}

std::string_view SpanKindStr(int kind) {
  switch (kind) {
    case 0: return "SPAN_KIND_UNSPECIFIED";
    case 1: return "SPAN_KIND_INTERNAL";
    case 2: return "SPAN_KIND_SERVER";
    case 3: return "SPAN_KIND_CLIENT";
    case 4: return "SPAN_KIND_PRODUCER";
    case 5: return "SPAN_KIND_CONSUMER";
  }
  return "";
}

std::string_view StatusCodeStr(int code) {
  switch (code) {
    case 0: return "STATUS_CODE_UNSET";
    case 1: return "STATUS_CODE_OK";
    case 2: return "STATUS_CODE_ERROR";
  }
  return "";
}

bool Excluded(const Config& c, std::string_view name) {
  return std::find(c.exclude_dimensions.begin(), c.exclude_dimensions.end(), name) !=
         c.exclude_dimensions.end();
}

// pdatautil's GetDimensionValue: the span's attribute, else the resource's
// (or event+resource's), else the default.
std::optional<common::AnyValue> DimensionValue(const Dimension& d, const KeyValues& span_attrs,
                                               const KeyValues& other) {
  if (const auto* v = Find(span_attrs, d.name)) return *v;
  if (const auto* v = Find(other, d.name)) return *v;
  if (d.default_value) {
    common::AnyValue v;
    v.set_string_value(*d.default_value);
    return v;
  }
  return std::nullopt;
}

bool EmptyId(const std::string& id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == 0; });
}

// pdatautil.MapHash's identity: the attributes, order-insensitive.
std::string ResourceKey(const KeyValues& attrs, const std::vector<std::string>& only) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& kv : attrs) {
    if (!only.empty() && std::find(only.begin(), only.end(), kv.key()) == only.end()) continue;
    items.emplace_back(kv.key(), std::to_string(static_cast<int>(kv.value().value_case())) + ":" +
                                     ottl::AnyAsString(kv.value()));
  }
  std::sort(items.begin(), items.end());
  std::string key;
  for (const auto& [k, v] : items) key += k + kSep + v + kSep;
  return key;
}

std::uint64_t Nanos(std::chrono::system_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

SpanMetricsConnector::SpanMetricsConnector(Config config, Consumer* next, ComponentTelemetry* telemetry,
                                           std::string instance_id, Now now)
    : config_(std::move(config)),
      bounds_(config_.ExplicitBounds()),
      next_(next),
      telemetry_(telemetry),
      instance_id_(std::move(instance_id)),
      now_(now ? std::move(now) : Now([] { return std::chrono::system_clock::now(); })) {
  if (config_.dimensions_cache_size != 0)
    spdlog::warn(
        "spanmetrics: dimensions_cache_size is deprecated, please use aggregation_cardinality_limit instead");
}

SpanMetricsConnector::~SpanMetricsConnector() { Shutdown(Clock::now()); }

Status SpanMetricsConnector::Start() {
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void SpanMetricsConnector::Shutdown(Clock::time_point) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SpanMetricsConnector::Run() {
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stop_) {
    if (run_cv_.wait_for(lock, config_.metrics_flush_interval, [this] { return stop_; })) return;
    lock.unlock();
    PayloadPtr payload = Flush();
    auto backoff = std::chrono::milliseconds(5);
    while (payload != nullptr) {
      Status s = next_->Consume(payload);
      if (s.ok()) {
        SignalCounters::Add((*telemetry_)[Signal::kMetrics].sent, payload->items);
        break;
      }
      if (!s.retryable()) {
        SignalCounters::Add((*telemetry_)[Signal::kMetrics].send_failed, payload->items);
        spdlog::error("spanmetrics: metrics refused downstream: {}", s.message());
        break;
      }
      // Back-pressure: try again, keep aggregating meanwhile.
      lock.lock();
      if (run_cv_.wait_for(lock, backoff, [this] { return stop_; })) {
        SignalCounters::Add((*telemetry_)[Signal::kMetrics].dropped, payload->items);
        return;
      }
      lock.unlock();
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
    lock.lock();
  }
}

Status SpanMetricsConnector::Consume(const PayloadPtr& payload) {
  ExportTraceServiceRequest request;
  if (!request.ParseFromString(payload->bytes))
    return Status::InvalidArgument("spanmetrics: undecodable traces");
  SignalCounters::Add((*telemetry_)[Signal::kTraces].accepted, payload->items);
  std::lock_guard<std::mutex> lock(mu_);
  Aggregate(request);
  return Status::Ok();
}

SpanMetricsConnector::ResourceState& SpanMetricsConnector::GetOrCreateResource(const KeyValues& attributes) {
  const std::string key = ResourceKey(attributes, config_.resource_metrics_key_attributes);
  ResourceState* state = nullptr;
  if (auto it = resource_index_.find(key); it != resource_index_.end()) {
    resources_.splice(resources_.end(), resources_, it->second);  // most recently used
    state = it->second->second.get();
  } else {
    std::unique_ptr<ResourceState> revived;
    auto ev = std::find_if(evicted_.begin(), evicted_.end(), [&](const auto& e) { return e.first == key; });
    if (ev != evicted_.end()) {
      revived = std::move(ev->second);
      evicted_.erase(ev);
    } else {
      revived = std::make_unique<ResourceState>();
      revived->attributes = attributes;
    }
    state = revived.get();
    resources_.emplace_back(key, std::move(revived));
    resource_index_[key] = std::prev(resources_.end());
    if (resources_.size() > static_cast<std::size_t>(config_.resource_metrics_cache_size)) {
      resource_index_.erase(resources_.front().first);
      evicted_.splice(evicted_.end(), resources_, resources_.begin());
    }
  }
  if (config_.metrics_expiration.count() > 0) state->last_seen = now_();
  return *state;
}

template <class MakeAttributes>
SpanMetricsConnector::Series& SpanMetricsConnector::GetOrCreate(SeriesMap& map, const std::string& key,
                                                                MakeAttributes make_attributes,
                                                                bool histogram, std::uint64_t start_ns,
                                                                std::chrono::system_clock::time_point now,
                                                                bool& limited) {
  limited = false;
  auto it = map.index.find(key);
  if (it == map.index.end()) {
    std::string k = key;
    KeyValues attributes;
    const int limit = config_.aggregation_cardinality_limit;
    if (limit > 0 && map.index.size() >= static_cast<std::size_t>(limit)) {
      limited = true;
      k = "otel.metric.overflow";
      it = map.index.find(k);
      if (it != map.index.end()) return it->second->second;
      common::AnyValue t;
      t.set_bool_value(true);
      Put(attributes, "otel.metric.overflow", t);
    } else {
      attributes = make_attributes();
    }
    Series s;
    s.attributes = std::move(attributes);
    s.start_ns = start_ns;
    if (histogram) {
      if (config_.exponential_present) {
        s.expo = std::make_unique<ExponentialHistogram>(
            config_.exponential_max_size != 0 ? config_.exponential_max_size : 160);
      } else {
        s.bucket_counts.assign(bounds_.size() + 1, 0);
      }
    }
    map.items.emplace_back(k, std::move(s));
    it = map.index.emplace(k, std::prev(map.items.end())).first;
  }
  it->second->second.last_seen = now;
  return it->second->second;
}

void SpanMetricsConnector::AddExemplar(Series& s, const trace::Span& span, double value) const {
  if (s.exemplars.size() >= static_cast<std::size_t>(std::max(0, config_.exemplars_max_per_data_point)))
    return;
  s.exemplars.push_back(Exemplar{span.trace_id(), span.span_id(), value});
}

void SpanMetricsConnector::Aggregate(const ExportTraceServiceRequest& request) {
  const auto now = now_();
  const std::uint64_t start_ns = Nanos(now);
  const double divider = config_.unit == Unit::kSeconds ? 1e9 : 1e6;

  for (const auto& rs : request.resource_spans()) {
    const KeyValues& resource_attrs = rs.resource().attributes();
    const common::AnyValue* service = Find(resource_attrs, "service.name");
    if (service == nullptr) continue;
    // pcommon Value.Str(): "" unless it is a string.
    const std::string service_name = service->has_string_value() ? service->string_value() : "";
    ResourceState& rm = GetOrCreateResource(resource_attrs);

    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        double duration = 0;
        if (span.end_time_unix_nano() > span.start_time_unix_nano())
          duration = static_cast<double>(span.end_time_unix_nano() - span.start_time_unix_nano()) / divider;
        const std::uint64_t adjusted = 1;

        auto build_key = [&](const std::vector<Dimension>& extra, const KeyValues& other) {
          std::string key;
          bool any = false;
          auto add = [&](std::string_view v) {
            if (any) key += kSep;
            key += v;
            any = true;
          };
          if (!Excluded(config_, "service.name")) {
            key += service_name;
            any = true;  // contrib writes the first value without a separator, the rest with one
          }
          if (!Excluded(config_, "span.name")) add(span.name());
          if (!Excluded(config_, "span.kind")) add(SpanKindStr(span.kind()));
          if (!Excluded(config_, "status.code")) add(StatusCodeStr(span.status().code()));
          for (const auto* dims : {&config_.dimensions, &extra}) {
            for (const Dimension& d : *dims) {
              if (auto v = DimensionValue(d, span.attributes(), other))
                add(d.name + ":" + ottl::AnyAsString(*v));
            }
          }
          return key;
        };
        auto build_attributes = [&](const std::vector<Dimension>& extra, const KeyValues& other) {
          KeyValues attrs;
          if (!Excluded(config_, "service.name")) PutStr(attrs, "service.name", service_name);
          if (!Excluded(config_, "span.name")) PutStr(attrs, "span.name", span.name());
          if (!Excluded(config_, "span.kind"))
            PutStr(attrs, "span.kind", std::string(SpanKindStr(span.kind())));
          if (!Excluded(config_, "status.code"))
            PutStr(attrs, "status.code", std::string(StatusCodeStr(span.status().code())));
          if (!Excluded(config_, "collector.instance.id"))
            PutStr(attrs, "collector.instance.id", instance_id_);
          const std::string& scope = ss.scope().name();
          if (!scope.empty() && std::find(config_.include_instrumentation_scope.begin(),
                                          config_.include_instrumentation_scope.end(),
                                          scope) != config_.include_instrumentation_scope.end()) {
            PutStr(attrs, "span.instrumentation.scope.name", scope);
            if (!ss.scope().version().empty())
              PutStr(attrs, "span.instrumentation.scope.version", ss.scope().version());
          }
          for (const auto* dims : {&config_.dimensions, &extra}) {
            for (const Dimension& d : *dims) {
              if (auto v = DimensionValue(d, span.attributes(), other)) Put(attrs, d.name, *v);
            }
          }
          return attrs;
        };
        const bool with_exemplar = config_.exemplars_enabled && !EmptyId(span.trace_id());

        bool limited = false;
        // The series of `table` for `dims` over `attrs`, made on first use.
        auto series = [&](auto& table, const auto& dims, const auto& attrs, bool histogram) -> Series& {
          return GetOrCreate(
              table, build_key(dims, attrs), [&] { return build_attributes(dims, attrs); }, histogram,
              start_ns, now, limited);
        };
        Series& calls = series(rm.calls, config_.calls_dimensions, resource_attrs, false);
        if (!limited && with_exemplar) AddExemplar(calls, span, duration);
        calls.count += adjusted;

        if (!config_.histogram_disable) {
          Series& h = series(rm.durations, config_.histogram_dimensions, resource_attrs, true);
          if (!limited && with_exemplar) AddExemplar(h, span, duration);
          if (h.expo) {
            h.expo->Update(duration, adjusted);
          } else {
            h.sum += duration * static_cast<double>(adjusted);
            h.count += adjusted;
            const auto i = std::lower_bound(bounds_.begin(), bounds_.end(), duration) - bounds_.begin();
            h.bucket_counts[static_cast<std::size_t>(i)] += adjusted;
          }
        }

        if (config_.events_enabled) {
          for (const auto& event : span.events()) {
            KeyValues merged = resource_attrs;
            for (const auto& kv : event.attributes()) Put(merged, kv.key(), kv.value());
            Series& e = series(rm.events, config_.event_dimensions, merged, false);
            if (!limited && with_exemplar) AddExemplar(e, span, duration);
            e.count += adjusted;
          }
        }
      }
    }
  }
}

PayloadPtr SpanMetricsConnector::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = now_();
  const std::uint64_t ts = Nanos(now);
  const bool delta = config_.delta();
  const auto temporality =
      delta ? metrics::AGGREGATION_TEMPORALITY_DELTA : metrics::AGGREGATION_TEMPORALITY_CUMULATIVE;
  ExportMetricsServiceRequest out;
  std::uint64_t points = 0;

  auto start_time = [&](const std::string& key, std::uint64_t created, std::vector<std::string>& touched) {
    if (!delta) return created;
    touched.push_back(key);
    if (auto it = delta_index_.find(key); it != delta_index_.end()) {
      delta_times_.splice(delta_times_.end(), delta_times_, it->second);
      return it->second->second;
    }
    return created;
  };
  auto fill_exemplars = [&](const Series& s, auto* dp) {
    for (const Exemplar& e : s.exemplars) {
      auto* x = dp->add_exemplars();
      x->set_time_unix_nano(ts);
      x->set_trace_id(e.trace_id);
      x->set_span_id(e.span_id);
      x->set_as_double(e.value);
    }
  };
  const std::string prefix = config_.namespace_.empty() ? "" : config_.namespace_ + ".";

  auto build = [&](ResourceState& r) {
    std::vector<std::string> touched;
    auto* rm = out.add_resource_metrics();
    *rm->mutable_resource()->mutable_attributes() = r.attributes;
    auto* sm = rm->add_scope_metrics();
    sm->mutable_scope()->set_name("spanmetricsconnector");
    // A point of `data` per series of `map`: its times, `values(s, dp)`, its
    // exemplars and attributes.
    auto add_points = [&](auto* data, SeriesMap& map, auto values) {
      data->set_aggregation_temporality(temporality);
      for (auto& [key, s] : map.items) {
        auto* dp = data->add_data_points();
        dp->set_start_time_unix_nano(start_time(key, s.start_ns, touched));
        dp->set_time_unix_nano(ts);
        values(s, dp);
        fill_exemplars(s, dp);
        *dp->mutable_attributes() = s.attributes;
        ++points;
      }
    };
    auto add_sum = [&](SeriesMap& map, const std::string& name) {
      auto* m = sm->add_metrics();
      m->set_name(prefix + name);
      auto* sum = m->mutable_sum();
      sum->set_is_monotonic(true);
      add_points(sum, map, [&](Series& s, auto* dp) {
        if (!delta && s.first) {
          dp->set_as_int(0);
          s.first = false;
        } else {
          dp->set_as_int(static_cast<std::int64_t>(s.count));
        }
      });
    };
    add_sum(r.calls, "calls");
    if (!config_.histogram_disable) {
      auto* m = sm->add_metrics();
      m->set_name(prefix + "duration");
      m->set_unit(config_.unit == Unit::kSeconds ? "s" : "ms");
      if (config_.exponential_present) {
        add_points(m->mutable_exponential_histogram(), r.durations, [&](Series& s, auto* dp) {
          const ExponentialHistogram& e = *s.expo;
          dp->set_count(e.count());
          dp->set_sum(e.sum());
          if (e.count() != 0) {
            dp->set_min(e.min());
            dp->set_max(e.max());
          }
          dp->set_zero_count(e.zero_count());
          dp->set_scale(e.scale());
          dp->mutable_positive()->set_offset(e.offset());
          for (std::uint64_t c : e.positive()) dp->mutable_positive()->add_bucket_counts(c);
          dp->mutable_negative()->set_offset(0);
        });
      } else {
        add_points(m->mutable_histogram(), r.durations, [&](Series& s, auto* dp) {
          for (double b : bounds_) dp->add_explicit_bounds(b);
          for (std::uint64_t c : s.bucket_counts) dp->add_bucket_counts(c);
          dp->set_count(s.count);
          dp->set_sum(s.sum);
        });
      }
    }
    if (config_.events_enabled) add_sum(r.events, "events");
    for (const std::string& key : touched) {
      if (auto it = delta_index_.find(key); it != delta_index_.end()) {
        it->second->second = ts;
        delta_times_.splice(delta_times_.end(), delta_times_, it->second);
        continue;
      }
      delta_times_.emplace_back(key, ts);
      delta_index_[key] = std::prev(delta_times_.end());
      if (delta_times_.size() > static_cast<std::size_t>(config_.delta_timestamp_cache_size())) {
        delta_index_.erase(delta_times_.front().first);
        delta_times_.pop_front();
      }
    }
  };
  for (auto& [key, r] : resources_) build(*r);
  for (auto& [key, r] : evicted_) build(*r);

  // Reset, as contrib's resetState.
  evicted_.clear();
  if (delta) {
    resources_.clear();
    resource_index_.clear();
  } else {
    auto expire = [&](SeriesMap& map) {
      for (auto it = map.items.begin(); it != map.items.end();) {
        if (now - it->second.last_seen >= config_.series_expiration) {
          map.index.erase(it->first);
          it = map.items.erase(it);
        } else {
          ++it;
        }
      }
    };
    for (auto it = resources_.begin(); it != resources_.end();) {
      ResourceState& r = *it->second;
      for (SeriesMap* map : {&r.calls, &r.durations, &r.events}) {
        for (auto& item : map->items) item.second.exemplars.clear();
        if (config_.series_expiration.count() > 0) expire(*map);
      }
      if (config_.metrics_expiration.count() > 0 && now - r.last_seen >= config_.metrics_expiration) {
        resource_index_.erase(it->first);
        it = resources_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (points == 0) return nullptr;
  std::string bytes;
  out.SerializeToString(&bytes);
  return MakePayload(Signal::kMetrics, std::move(bytes), points);
}

}  // namespace otlpd::connectors::spanmetrics
