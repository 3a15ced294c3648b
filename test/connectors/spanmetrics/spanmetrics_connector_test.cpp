#include "connectors/spanmetrics/spanmetrics_connector.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "connectors/spanmetrics/config.h"
#include "connectors/spanmetrics/exponential_histogram.h"
#include "test/support/config_error.h"

namespace otlpd::connectors::spanmetrics {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "connectors.spanmetrics");
  return Config::Decode(d);
}

std::string ErrorOf(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

PayloadPtr Spans(const std::string& service, int n, std::uint64_t duration_ns) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value(service);
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* s = ss->add_spans();
    s->set_name("GET /");
    s->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
    s->set_start_time_unix_nano(1000);
    s->set_end_time_unix_nano(1000 + duration_ns);
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(n));
}

TEST_CASE("spanmetrics config: defaults and contrib's validation") {
  Config c = Decode("{}");
  CHECK(c.namespace_ == "traces.span.metrics");
  CHECK(c.metrics_flush_interval == std::chrono::seconds(60));
  CHECK(c.ExplicitBounds().size() == 16);
  CHECK(c.ExplicitBounds().front() == 2);
  CHECK(Decode("histogram: {unit: S}").ExplicitBounds().front() == 0.002);
  CHECK(ErrorOf("histogram: {unit: min}").find("unknown Unit \"min\"") != std::string::npos);
  CHECK(
      ErrorOf("histogram: {explicit: {}, exponential: {}}").find("use either `explicit` or `exponential`") !=
      std::string::npos);
  CHECK(ErrorOf("dimensions: [{name: span.name}]").find("duplicate dimension name \"span.name\"") !=
        std::string::npos);
  CHECK(ErrorOf("events: {enabled: true}").find("no dimensions configured for events") != std::string::npos);
  CHECK(ErrorOf("metrics_flush_interval: -1s").find("the duration should be positive") != std::string::npos);
  CHECK(ErrorOf("aggregation_cardinality_limit: -1").find("invalid aggregation_cardinality_limit") !=
        std::string::npos);
  CHECK(ErrorOf("dimensions: [{glob: 'http.*'}]").find("test.yaml:1:") != std::string::npos);
  CHECK(ErrorOf("bogus: 1").find("bogus") != std::string::npos);
}

TEST_CASE("spanmetrics: calls and duration per service, cumulative starts at 0") {
  Telemetry telemetry;
  SpanMetricsConnector conn(Decode("{}"), nullptr, telemetry.Register("connector", "spanmetrics"), "id-1");
  REQUIRE(conn.Consume(Spans("checkout", 3, 5'000'000)).ok());  // 5 ms
  REQUIRE(conn.Consume(Spans("cart", 1, 0)).ok());
  for (int flush = 0; flush < 2; ++flush) {
    PayloadPtr p = conn.Flush();
    REQUIRE(p != nullptr);
    CHECK(p->signal == Signal::kMetrics);
    CHECK(p->items == 4);  // two services x (calls + duration)
    ExportMetricsServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    REQUIRE(req.resource_metrics_size() == 2);
    const auto& sm = req.resource_metrics(0).scope_metrics(0);
    CHECK(sm.scope().name() == "spanmetricsconnector");
    REQUIRE(sm.metrics_size() == 2);
    CHECK(sm.metrics(0).name() == "traces.span.metrics.calls");
    CHECK(sm.metrics(1).name() == "traces.span.metrics.duration");
    CHECK(sm.metrics(1).unit() == "ms");
    const auto& calls = sm.metrics(0).sum().data_points(0);
    CHECK(calls.as_int() == (flush == 0 ? 0 : 3));
    const auto& attrs = calls.attributes();
    REQUIRE(attrs.size() == 5);
    CHECK(attrs[0].key() == "service.name");
    CHECK(attrs[0].value().string_value() == "checkout");
    CHECK(attrs[1].key() == "span.name");
    CHECK(attrs[2].value().string_value() == "SPAN_KIND_SERVER");
    CHECK(attrs[3].value().string_value() == "STATUS_CODE_UNSET");
    CHECK(attrs[4].key() == "collector.instance.id");
    const auto& h = sm.metrics(1).histogram().data_points(0);
    CHECK(h.count() == 3);
    CHECK(h.bucket_counts(2) == 3);  // (4, 6] ms
  }
}

TEST_CASE("spanmetrics: delta clears state; resources are bounded by the cache size") {
  Telemetry telemetry;
  SpanMetricsConnector conn(
      Decode("{aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA, resource_metrics_cache_size: 2}"),
      nullptr, telemetry.Register("connector", "spanmetrics"), "id");
  for (int i = 0; i < 10; ++i) REQUIRE(conn.Consume(Spans("svc-" + std::to_string(i), 1, 1)).ok());
  PayloadPtr p = conn.Flush();
  REQUIRE(p != nullptr);
  ExportMetricsServiceRequest req;
  REQUIRE(req.ParseFromString(p->bytes));
  // 2 in the cache and the ones evicted since the last flush (contrib emits those once more).
  CHECK(req.resource_metrics_size() == 10);
  CHECK(req.resource_metrics(0).scope_metrics(0).metrics(0).sum().data_points(0).as_int() == 1);
  CHECK(conn.Flush() == nullptr);
}

TEST_CASE("exponential histogram: downscales to fit max_size") {
  ExponentialHistogram h(4);
  h.Update(1.5, 1);
  CHECK(h.scale() == 20);
  h.Update(1000, 1);
  CHECK(h.positive().size() <= 4);
  std::uint64_t total = 0;
  for (auto c : h.positive()) total += c;
  CHECK(total == 2);
  CHECK(ExponentialHistogram::MapToIndex(1.0, 0) == -1);  // exact powers of two sit at the upper bound
  CHECK(ExponentialHistogram::MapToIndex(2.0, 0) == 0);
  CHECK(ExponentialHistogram::MapToIndex(3.0, 0) == 1);
}

}  // namespace
}  // namespace otlpd::connectors::spanmetrics
