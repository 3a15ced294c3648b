#include "service/telemetry/otlp_metrics_push.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace otlpd::selftelemetry {
namespace {

namespace pb = opentelemetry::proto;
using MetricsRequest = pb::collector::metrics::v1::ExportMetricsServiceRequest;

std::uint64_t UnixNanos() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void SetAttributes(google::protobuf::RepeatedPtrField<pb::common::v1::KeyValue>* out, const Labels& labels) {
  for (const auto& [k, v] : labels) {
    auto* kv = out->Add();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  }
}

std::string SeriesKey(const std::string& name, const Labels& labels, std::string_view extra = {}) {
  std::string key = name;
  for (const auto& [k, v] : labels) key += "\x1f" + k + "\x1e" + v;
  key += "\x1d";
  key.append(extra);
  return key;
}

// Float-valued instruments of otelcol (seconds); every other counter or
// gauge otlpd has counts whole things.
bool IsDouble(const Family& f) { return f.unit == "s" || f.name.find("seconds") != std::string::npos; }

}  // namespace

void SetOwnOrigin(pb::resource::v1::Resource& resource_out, pb::common::v1::InstrumentationScope& scope_out,
                  const Attributes& resource) {
  SetAttributes(resource_out.mutable_attributes(), resource);
  scope_out.set_name("otlpd");
}

OtlpMetricsEncoder::OtlpMetricsEncoder(OtlpPushTarget::Temporality temporality,
                                       Clock::time_point process_start)
    : delta_(temporality != OtlpPushTarget::Temporality::kCumulative) {
  const auto age = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - process_start);
  start_ns_ = UnixNanos() - static_cast<std::uint64_t>(std::max<std::int64_t>(0, age.count()));
  last_ns_ = start_ns_;
}

std::string OtlpMetricsEncoder::Encode(const std::vector<Family>& families, const Attributes& resource) {
  const std::uint64_t now = UnixNanos();
  const std::uint64_t start = delta_ ? last_ns_ : start_ns_;
  const auto temporality = delta_ ? pb::metrics::v1::AGGREGATION_TEMPORALITY_DELTA
                                  : pb::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE;
  auto change = [&](const std::string& key, double value) {
    if (!delta_) return value;
    double& prev = previous_[key];
    const double d = value >= prev ? value - prev : value;  // a reset starts over
    prev = value;
    return d;
  };
  MetricsRequest req;
  auto* rm = req.add_resource_metrics();
  auto* sm = rm->add_scope_metrics();
  SetOwnOrigin(*rm->mutable_resource(), *sm->mutable_scope(), resource);
  for (const Family& f : families) {
    auto* m = sm->add_metrics();
    m->set_name(f.name);
    m->set_description(f.help);
    m->set_unit(f.unit);
    const bool dbl = IsDouble(f);
    auto set_value = [&](pb::metrics::v1::NumberDataPoint* p, double v) {
      if (dbl)
        p->set_as_double(v);
      else
        p->set_as_int(static_cast<std::int64_t>(std::llround(v)));
    };
    switch (f.type) {
      case MetricType::kCounter: {
        auto* sum = m->mutable_sum();
        sum->set_is_monotonic(true);
        sum->set_aggregation_temporality(temporality);
        for (const Sample& s : f.samples) {
          auto* p = sum->add_data_points();
          SetAttributes(p->mutable_attributes(), s.labels);
          p->set_start_time_unix_nano(start);
          p->set_time_unix_nano(now);
          set_value(p, change(SeriesKey(f.name, s.labels), s.value));
        }
        break;
      }
      case MetricType::kGauge: {
        auto* gauge = m->mutable_gauge();
        for (const Sample& s : f.samples) {
          auto* p = gauge->add_data_points();
          SetAttributes(p->mutable_attributes(), s.labels);
          p->set_time_unix_nano(now);
          set_value(p, s.value);
        }
        break;
      }
      case MetricType::kHistogram: {
        // Prometheus samples back to points: _bucket{le} (cumulative), _sum, _count.
        struct Point {
          std::vector<std::pair<double, double>> buckets;  // le, cumulative count
          double sum = 0, count = 0;
        };
        std::map<Labels, Point> points;
        for (const Sample& s : f.samples) {
          Labels labels;
          double le = 0;
          for (const auto& [k, v] : s.labels) {
            if (k == "le")
              le = v == "+Inf" ? INFINITY : std::strtod(v.c_str(), nullptr);
            else
              labels.emplace_back(k, v);
          }
          Point& p = points[labels];
          if (s.suffix == "_bucket")
            p.buckets.emplace_back(le, s.value);
          else if (s.suffix == "_sum")
            p.sum = s.value;
          else if (s.suffix == "_count")
            p.count = s.value;
        }
        auto* h = m->mutable_histogram();
        h->set_aggregation_temporality(temporality);
        for (auto& [labels, pt] : points) {
          std::sort(pt.buckets.begin(), pt.buckets.end());
          auto* p = h->add_data_points();
          SetAttributes(p->mutable_attributes(), labels);
          p->set_start_time_unix_nano(start);
          p->set_time_unix_nano(now);
          double below = 0;
          for (std::size_t i = 0; i < pt.buckets.size(); ++i) {
            const auto [le, cumulative] = pt.buckets[i];
            if (std::isfinite(le)) p->add_explicit_bounds(le);
            const double n = cumulative - below;
            below = cumulative;
            p->add_bucket_counts(static_cast<std::uint64_t>(
                std::llround(change(SeriesKey(f.name, labels, "b" + std::to_string(i)), n))));
          }
          if (pt.buckets.empty() || std::isfinite(pt.buckets.back().first)) {
            p->add_bucket_counts(static_cast<std::uint64_t>(
                std::llround(change(SeriesKey(f.name, labels, "inf"), pt.count - below))));
          }
          p->set_count(
              static_cast<std::uint64_t>(std::llround(change(SeriesKey(f.name, labels, "count"), pt.count))));
          p->set_sum(change(SeriesKey(f.name, labels, "sum"), pt.sum));
        }
        break;
      }
    }
  }
  last_ns_ = now;
  return req.SerializeAsString();
}

MetricsPusher::MetricsPusher(OtlpPushTarget reader, Collect collect, Resource resource)
    : reader_(std::move(reader)),
      collect_(std::move(collect)),
      resource_(std::move(resource)),
      encoder_(reader_.temporality, Clock::now()),
      sender_(reader_, Signal::kMetrics) {}

MetricsPusher::~MetricsPusher() { Stop(); }

void MetricsPusher::Start() {
  spdlog::info("telemetry: pushing internal metrics every {} ms over OTLP ({}) to {}",
               reader_.interval.count(), reader_.protocol, reader_.endpoint);
  thread_ = std::thread([this] { Loop(); });
}

void MetricsPusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    (void)ExportOnce();  // the SDK's reader exports once more at shutdown
  }
}

void MetricsPusher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, reader_.interval, [this] { return stop_; })) break;
    lock.unlock();
    Status s = ExportOnce();
    lock.lock();
    if (!s.ok() && !failing_) {
      spdlog::warn("telemetry: exporting internal metrics to {} failed: {} (retried every interval)",
                   reader_.endpoint, s.message());
    } else if (s.ok() && failing_) {
      spdlog::info("telemetry: exporting internal metrics to {} works again", reader_.endpoint);
    }
    failing_ = !s.ok();
  }
}

Status MetricsPusher::ExportOnce() {
  std::string body;
  {
    std::lock_guard<std::mutex> lock(encode_mu_);
    body = encoder_.Encode(collect_(), resource_());
  }
  return sender_.Send(body, std::min(reader_.export_timeout, reader_.timeout));
}

}  // namespace otlpd::selftelemetry
