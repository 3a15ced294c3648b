#include "test/bench/request_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/bench/bench_common.h"

namespace otlpd::bench {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace resource = opentelemetry::proto::resource::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;

constexpr int kPointsPerMetric = 7;
constexpr std::uint64_t kSpanDurationNs = 2'500'000;

// Placeholders written where per-send values go, found again after
// serialization. 0xF1 0x5E never occurs in valid UTF-8 (0x5E is no
// continuation byte), so a marker cannot collide with a string field.
enum MarkerKind : std::uint8_t { kIdMarker = 1, kTraceMarker, kTimeMarker, kEndMarker, kIdFixedMarker };

std::string Marker(MarkerKind kind, std::uint32_t item, std::size_t width) {
  std::string m(width, '\0');
  m[0] = static_cast<char>(0xF1);
  m[1] = 0x5E;
  m[2] = static_cast<char>(kind);
  std::memcpy(&m[3], &item, 4);
  for (std::size_t i = 7; i < width; ++i) m[i] = static_cast<char>(0xA0 + i);
  return m;
}

std::uint64_t FixedMarker(MarkerKind kind, std::uint32_t item) {
  std::string m = Marker(kind, item, 8);
  std::uint64_t v = 0;
  std::memcpy(&v, m.data(), 8);  // little-endian host, as on the wire
  return v;
}

std::uint32_t Find(const std::string& bytes, const std::string& marker) {
  auto pos = bytes.find(marker);
  if (pos == std::string::npos || bytes.find(marker, pos + 1) != std::string::npos) {
    std::fprintf(stderr, "request_builder: placeholder not found exactly once\n");
    std::abort();
  }
  return static_cast<std::uint32_t>(pos);
}

void Str(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const char* key, std::string value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(std::move(value));
}

void Int(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const char* key, std::int64_t value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

// What a Kubernetes service instrumented with an OpenTelemetry SDK sends.
void FillResource(resource::Resource* res) {
  auto* attrs = res->mutable_attributes();
  Str(attrs, "service.name", "checkout");
  Str(attrs, "service.version", "1.4.2");
  Str(attrs, "service.instance.id", "627cc493-f310-47de-96bd-71410b7dec09");
  Str(attrs, "deployment.environment.name", "production");
  Str(attrs, "host.name", "ip-10-0-12-34.ec2.internal");
  Str(attrs, "k8s.namespace.name", "shop");
  Str(attrs, "k8s.pod.name", "checkout-7d9c5b8f6d-x2m4q");
  Str(attrs, "telemetry.sdk.language", "go");
  Str(attrs, "telemetry.sdk.name", "opentelemetry");
  Str(attrs, "telemetry.sdk.version", "1.38.0");
}

void FillScope(common::InstrumentationScope* scope) {
  scope->set_name("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
  scope->set_version("0.63.0");
}

std::string BuildTraces(std::uint32_t items, std::uint32_t error_every) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  FillResource(rs->mutable_resource());
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  auto* ss = rs->add_scope_spans();
  FillScope(ss->mutable_scope());
  for (std::uint32_t i = 0; i < items; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(Marker(kTraceMarker, i, 16));
    span->set_span_id(Marker(kIdMarker, i, 8));
    span->set_parent_span_id(std::string("\x1b\x3c\x5d\x7e\x9f\xa1\xb2\xc3", 8));
    span->set_flags(0x301);
    span->set_name("GET /api/v1/orders/{id}");
    span->set_kind(trace::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(FixedMarker(kTimeMarker, i));
    span->set_end_time_unix_nano(FixedMarker(kEndMarker, i));
    auto* attrs = span->mutable_attributes();
    Str(attrs, "http.request.method", "GET");
    Str(attrs, "http.route", "/api/v1/orders/{id}");
    Str(attrs, "url.path", "/api/v1/orders/" + std::to_string(100000 + i));
    Str(attrs, "url.scheme", "http");
    Int(attrs, "http.response.status_code", 200);
    Str(attrs, "server.address", "checkout.shop.svc.cluster.local");
    Int(attrs, "server.port", 8080);
    Str(attrs, "client.address", "10.0.3." + std::to_string(i % 250));
    Str(attrs, "user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0");
    Str(attrs, "network.protocol.version", "1.1");
    for (int e = 0; e < 2; ++e) {
      auto* event = span->add_events();
      event->set_time_unix_nano(1'700'000'000'001'000'000ull + i * 1000ull + static_cast<unsigned>(e));
      event->set_name(e == 0 ? "cache.miss" : "db.query");
      Str(event->mutable_attributes(), e == 0 ? "cache.key" : "db.query.text",
          e == 0 ? "order:" + std::to_string(100000 + i) : "SELECT * FROM orders WHERE id = $1");
    }
    const bool error = error_every > 0 && i % error_every == error_every - 1;
    span->mutable_status()->set_code(error ? trace::Status::STATUS_CODE_ERROR
                                           : trace::Status::STATUS_CODE_OK);
  }
  return req.SerializeAsString();
}

// ~300 bytes per record: an access-log line with its context.
std::string BuildLogs(std::uint32_t items) {
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  FillResource(rl->mutable_resource());
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("go.opentelemetry.io/contrib/bridges/otelslog");
  for (std::uint32_t i = 0; i < items; ++i) {
    auto* rec = sl->add_log_records();
    rec->set_time_unix_nano(FixedMarker(kTimeMarker, i));
    rec->set_observed_time_unix_nano(1'700'000'000'000'000'000ull + i);
    rec->set_severity_number(logs::SEVERITY_NUMBER_INFO);
    rec->set_severity_text("INFO");
    rec->mutable_body()->set_string_value("GET /api/v1/orders/" + std::to_string(100000 + i) +
                                          " 200 12.4ms bytes=1834 user=u-" + std::to_string(4711 + i % 97) +
                                          " region=eu-west-1 cache=miss upstream=orders-db:5432");
    auto* attrs = rec->mutable_attributes();
    Str(attrs, "log.logger", "checkout.http.access");
    Str(attrs, "thread.name", "http-worker-" + std::to_string(i % 16));
    Str(attrs, "code.function.name", "handleGetOrder");
    Int(attrs, "http.response.status_code", 200);
    rec->set_trace_id(Marker(kTraceMarker, i, 16));
    rec->set_span_id(Marker(kIdMarker, i, 8));
    rec->set_flags(1);
  }
  return req.SerializeAsString();
}

// Rotates through a cumulative sum, a gauge and a histogram, 7 points each
// (one per route), so every point type a collector meets is exercised.
std::string BuildMetrics(std::uint32_t points) {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  FillResource(rm->mutable_resource());
  auto* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/runtime");
  std::uint32_t metric_count = points / kPointsPerMetric;
  static const char* kRoutes[kPointsPerMetric] = {"/api/v1/orders",   "/api/v1/orders/{id}",
                                                  "/api/v1/cart",     "/api/v1/cart/{item}",
                                                  "/api/v1/checkout", "/healthz",
                                                  "/metrics"};
  std::uint32_t item = 0;
  for (std::uint32_t m = 0; m < metric_count; ++m) {
    auto* metric = sm->add_metrics();
    auto add_attrs = [&](google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, int p) {
      Str(attrs, "http.route", kRoutes[p]);
      Str(attrs, "http.request.method", "GET");
      Int(attrs, "http.response.status_code", 200);
    };
    switch (m % 3) {
      case 0: {
        metric->set_name("http.server.request.count." + std::to_string(m));
        metric->set_unit("{request}");
        metric->set_description("Number of HTTP requests served");
        auto* sum = metric->mutable_sum();
        sum->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        sum->set_is_monotonic(true);
        for (int p = 0; p < kPointsPerMetric; ++p, ++item) {
          auto* dp = sum->add_data_points();
          dp->set_start_time_unix_nano(FixedMarker(kIdFixedMarker, item));
          dp->set_time_unix_nano(FixedMarker(kTimeMarker, item));
          dp->set_as_int(1000 + item);
          add_attrs(dp->mutable_attributes(), p);
        }
        break;
      }
      case 1: {
        metric->set_name("process.memory.usage." + std::to_string(m));
        metric->set_unit("By");
        metric->set_description("Memory in use");
        auto* gauge = metric->mutable_gauge();
        for (int p = 0; p < kPointsPerMetric; ++p, ++item) {
          auto* dp = gauge->add_data_points();
          dp->set_start_time_unix_nano(FixedMarker(kIdFixedMarker, item));
          dp->set_time_unix_nano(FixedMarker(kTimeMarker, item));
          dp->set_as_double(1.5e8 + item * 4096.0);
          add_attrs(dp->mutable_attributes(), p);
        }
        break;
      }
      default: {
        metric->set_name("http.server.request.duration." + std::to_string(m));
        metric->set_unit("s");
        metric->set_description("Duration of HTTP server requests");
        auto* hist = metric->mutable_histogram();
        hist->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (int p = 0; p < kPointsPerMetric; ++p, ++item) {
          auto* dp = hist->add_data_points();
          dp->set_start_time_unix_nano(FixedMarker(kIdFixedMarker, item));
          dp->set_time_unix_nano(FixedMarker(kTimeMarker, item));
          dp->set_count(120);
          dp->set_sum(3.75);
          for (double b : {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5}) dp->add_explicit_bounds(b);
          for (std::uint64_t c : {10, 30, 40, 20, 10, 5, 4, 1}) dp->add_bucket_counts(c);
          add_attrs(dp->mutable_attributes(), p);
        }
      }
    }
  }
  return req.SerializeAsString();
}

}  // namespace

std::pair<std::uint64_t, std::uint64_t> TraceIdOf(std::uint64_t id, const TraceShape& shape) {
  // Trace numbers stay below 2^40, so the seed never folds two traces into one.
  const std::uint64_t trace = id / std::max<std::uint32_t>(1, shape.spans_per_trace);
  const std::uint64_t hi = Mix64(trace ^ (shape.seed << 40));
  return {hi, Mix64(hi ^ 0x5bd1e995)};
}

RequestTemplate RequestTemplate::Build(Signal signal, std::uint32_t items, TraceShape shape) {
  RequestTemplate t;
  t.signal_ = signal;
  t.shape_ = shape;
  if (signal == Signal::kMetrics)
    items = std::max<std::uint32_t>(kPointsPerMetric, items / kPointsPerMetric * kPointsPerMetric);
  switch (signal) {
    case Signal::kTraces: t.bytes_ = BuildTraces(items, shape.error_every); break;
    case Signal::kLogs: t.bytes_ = BuildLogs(items); break;
    case Signal::kMetrics: t.bytes_ = BuildMetrics(items); break;
    case Signal::kProfiles: break;  // not generated (bench_loadgen refuses it)
  }
  auto fixed = [](MarkerKind kind, std::uint32_t i) {
    std::uint64_t v = FixedMarker(kind, i);
    return std::string(reinterpret_cast<const char*>(&v), 8);
  };
  t.slots_.resize(items);
  for (std::uint32_t i = 0; i < items; ++i) {
    Slot& s = t.slots_[i];
    s.time = Find(t.bytes_, fixed(kTimeMarker, i));
    if (signal == Signal::kMetrics) {
      s.id_fixed = Find(t.bytes_, fixed(kIdFixedMarker, i));
    } else {
      s.id = Find(t.bytes_, Marker(kIdMarker, i, 8));
      s.trace_id = Find(t.bytes_, Marker(kTraceMarker, i, 16));
    }
    if (signal == Signal::kTraces) s.end_time = Find(t.bytes_, fixed(kEndMarker, i));
  }
  return t;
}

std::string RequestTemplate::Instantiate(std::uint64_t first_id, std::uint64_t send_ns) const {
  std::string out = bytes_;
  char* p = out.data();
  std::uint64_t end_ns = send_ns + kSpanDurationNs;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    std::uint64_t id = first_id + i;
    std::memcpy(p + s.time, &send_ns, 8);
    if (s.id != kNone) WriteBigEndian64(p + s.id, id);
    if (s.id_fixed != kNone) std::memcpy(p + s.id_fixed, &id, 8);
    if (s.trace_id != kNone) {
      const auto [hi, lo] = TraceIdOf(id, shape_);
      WriteBigEndian64(p + s.trace_id, hi);
      WriteBigEndian64(p + s.trace_id + 8, lo);
    }
    if (s.end_time != kNone) std::memcpy(p + s.end_time, &end_ns, 8);
  }
  return out;
}

}  // namespace otlpd::bench
