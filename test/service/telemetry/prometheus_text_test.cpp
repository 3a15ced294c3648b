#include "service/telemetry/prometheus_text.h"

#include <catch2/catch.hpp>

#include "service/telemetry/metrics_endpoint.h"
#include "service/telemetry/resource.h"
#include "test/service/telemetry/http_get.h"

using namespace otlpd;
using namespace otlpd::selftelemetry;
using Catch::Matchers::Contains;

namespace {

// traces: otlp -> batch -> file; metrics: otlp -> batch -> file, otlp/b
Wiring TestWiring() {
  Wiring w;
  w.receivers["otlp"] = {Signal::kTraces, Signal::kMetrics};
  w.processors["batch"] = {Signal::kTraces, Signal::kMetrics};
  w.exporters["file"] = {Signal::kTraces, Signal::kMetrics};
  w.exporters["otlp/b"] = {Signal::kMetrics};
  return w;
}

struct Fixture {
  Telemetry telemetry;
  ComponentTelemetry* grpc = telemetry.Register("receiver", "otlp", "grpc");
  ComponentTelemetry* batch_traces = telemetry.Register("processor", "batch");
  ComponentTelemetry* batch_metrics = telemetry.Register("processor", "batch");
  ComponentTelemetry* file = telemetry.Register("exporter", "file");
  ComponentTelemetry* otlp = telemetry.Register("exporter", "otlp/b");
  ComponentTelemetry* pipeline = telemetry.Register("pipeline", "traces");
  std::uint64_t queue = 3;

  Fixture() {
    SignalCounters::Add((*grpc)[Signal::kTraces].accepted, 10);
    SignalCounters::Add((*grpc)[Signal::kTraces].refused, 2);
    SignalCounters::Add((*batch_traces)[Signal::kTraces].accepted, 10);
    SignalCounters::Add((*batch_traces)[Signal::kTraces].refused, 1);
    SignalCounters::Add((*batch_traces)[Signal::kTraces].sent, 10);
    SignalCounters::Add((*batch_metrics)[Signal::kMetrics].accepted, 4);
    batch_traces->batch_send_size.Record(7);
    batch_traces->batch_send_size.Record(3);
    batch_metrics->batch_send_size.Record(4000);
    SignalCounters::Add((*file)[Signal::kTraces].sent, 9);
    SignalCounters::Add((*file)[Signal::kLogs].send_failed, 1);  // not wired, but it counted
    SignalCounters::Add((*otlp)[Signal::kMetrics].enqueue_failed, 5);
    otlp->queue_size = [this] { return queue; };
    otlp->queue_capacity = [] { return std::uint64_t{1000}; };
  }
};

std::string Render(const Fixture& f, MetricsLevel level, TextOptions options = {}) {
  return RenderText(CollectComponents(f.telemetry, TestWiring(), level), options);
}

}  // namespace

TEST_CASE("profiles count samples under otelcol's profile_samples names") {
  Telemetry telemetry;
  ComponentTelemetry* grpc = telemetry.Register("receiver", "otlp", "grpc");
  ComponentTelemetry* otlp = telemetry.Register("exporter", "otlp");
  SignalCounters::Add((*grpc)[Signal::kProfiles].accepted, 3);
  SignalCounters::Add((*otlp)[Signal::kProfiles].sent, 3);
  Wiring w;
  w.receivers["otlp"] = {Signal::kProfiles};
  w.exporters["otlp"] = {Signal::kProfiles};
  const std::string text = RenderText(CollectComponents(telemetry, w, MetricsLevel::kNormal), {});
  INFO(text);
  CHECK_THAT(text,
             Contains("# HELP otelcol_receiver_accepted_profile_samples Number of profile samples "
                      "successfully pushed into the pipeline. [alpha]\n"
                      "# TYPE otelcol_receiver_accepted_profile_samples counter\n"
                      "otelcol_receiver_accepted_profile_samples{receiver=\"otlp\",transport=\"grpc\"} 3\n"));
  CHECK_THAT(text, Contains("otelcol_exporter_sent_profile_samples{exporter=\"otlp\"} 3\n"));
}

TEST_CASE("components render with otelcol's names, labels, help and type") {
  Fixture f;
  const std::string text = Render(f, MetricsLevel::kNormal);
  INFO(text);
  CHECK_THAT(text,
             Contains("# HELP otelcol_receiver_accepted_spans Number of spans successfully pushed into the "
                      "pipeline. [alpha]\n"
                      "# TYPE otelcol_receiver_accepted_spans counter\n"
                      "otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"grpc\"} 10\n"));
  CHECK_THAT(text, Contains("otelcol_receiver_refused_spans{receiver=\"otlp\",transport=\"grpc\"} 2\n"));
  // Wired for metrics too: shown at 0 from the start.
  CHECK_THAT(text,
             Contains("otelcol_receiver_accepted_metric_points{receiver=\"otlp\",transport=\"grpc\"} 0\n"));
  CHECK_THAT(text, !Contains("otelcol_receiver_accepted_log_records"));

  CHECK_THAT(text, Contains("# TYPE otelcol_exporter_sent_spans counter\n"
                            "otelcol_exporter_sent_spans{exporter=\"file\"} 9\n"));
  CHECK_THAT(text, Contains("otelcol_exporter_send_failed_log_records{exporter=\"file\"} 1\n"));
  CHECK_THAT(text, Contains("otelcol_exporter_enqueue_failed_metric_points{exporter=\"otlp/b\"} 5\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_exporter_queue_size gauge\n"
                            "otelcol_exporter_queue_size{data_type=\"metrics\",exporter=\"otlp/b\"} 3\n"));
  CHECK_THAT(text,
             Contains("otelcol_exporter_queue_capacity{data_type=\"metrics\",exporter=\"otlp/b\"} 1000\n"));
  CHECK_THAT(text, !Contains("otelcol_exporter_queue_size{exporter=\"file\""));  // no queue

  // Both pipelines' instances of batch are one processor to otelcol.
  CHECK_THAT(text,
             Contains("# TYPE otelcol_processor_incoming_items counter\n"
                      "otelcol_processor_incoming_items{otel_signal=\"metrics\",processor=\"batch\"} 4\n"
                      "otelcol_processor_incoming_items{otel_signal=\"traces\",processor=\"batch\"} 11\n"));
  CHECK_THAT(text,
             Contains("otelcol_processor_outgoing_items{otel_signal=\"traces\",processor=\"batch\"} 10\n"));
  CHECK_THAT(text,
             Contains("# TYPE otelcol_processor_batch_batch_send_size histogram\n"
                      "otelcol_processor_batch_batch_send_size_bucket{le=\"10\",processor=\"batch\"} 2\n"
                      "otelcol_processor_batch_batch_send_size_bucket{le=\"25\",processor=\"batch\"} 2\n"));
  CHECK_THAT(text,
             Contains("otelcol_processor_batch_batch_send_size_bucket{le=\"3000\",processor=\"batch\"} 2\n"
                      "otelcol_processor_batch_batch_send_size_bucket{le=\"4000\",processor=\"batch\"} 3\n"));
  CHECK_THAT(text,
             Contains("otelcol_processor_batch_batch_send_size_bucket{le=\"+Inf\",processor=\"batch\"} 3\n"
                      "otelcol_processor_batch_batch_send_size_sum{processor=\"batch\"} 4010\n"
                      "otelcol_processor_batch_batch_send_size_count{processor=\"batch\"} 3\n"));
  CHECK_THAT(text, !Contains("pipeline=\"") &&
                       !Contains("traces\"} "));  // otlpd's pipelines are not otelcol metrics
}

TEST_CASE("levels: basic leaves out the batch histogram, none shows nothing") {
  Fixture f;
  const std::string basic = Render(f, MetricsLevel::kBasic);
  CHECK_THAT(basic, Contains("otelcol_receiver_accepted_spans"));
  CHECK_THAT(basic, !Contains("otelcol_processor_batch_batch_send_size"));
  CHECK(Render(f, MetricsLevel::kNone).empty());
}

TEST_CASE("resource labels go on every series; suffixes follow the reader's options") {
  Fixture f;
  TextOptions options;
  options.resource = ResourceLabels({{"deployment.environment", "prod"}, {"service.version", std::nullopt}},
                                    "1.2.3", "0b9f3c2e-0000-4000-8000-000000000000");
  std::vector<Family> families = CollectComponents(f.telemetry, TestWiring(), MetricsLevel::kNormal);
  for (Family& p : CollectProcess(ProcessStats{12.5, 0.25, 4096})) families.push_back(p);
  std::string text = RenderText(families, options);
  INFO(text);
  CHECK_THAT(text,
             Contains("otelcol_receiver_accepted_spans{deployment_environment=\"prod\",receiver=\"otlp\","
                      "service_instance_id=\"0b9f3c2e-0000-4000-8000-000000000000\",service_name=\"otlpd\","
                      "transport=\"grpc\"} 10\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_process_uptime counter\notelcol_process_uptime{"));
  CHECK_THAT(text, Contains("service_name=\"otlpd\"} 12.5\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_process_memory_rss gauge\n"));
  CHECK_THAT(text, Contains("} 4096\n"));
  CHECK_THAT(text, !Contains("service_version"));

  options.without_type_suffix = false;
  options.without_units = false;
  text = RenderText(families, options);
  CHECK_THAT(text, Contains("# TYPE otelcol_receiver_accepted_spans_total counter\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_process_uptime_seconds_total counter\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_process_cpu_seconds_total counter\n"));
  CHECK_THAT(text, Contains("# TYPE otelcol_process_memory_rss_bytes gauge\n"));
  CHECK_THAT(text, Contains("otelcol_processor_batch_batch_send_size_count{"));
}

TEST_CASE("label values and help text are escaped") {
  Family f{"x", "a\\b\nc", MetricType::kGauge, "", {{"", {{"k.1", "q\"\\\n"}}, 1.5}}};
  CHECK(RenderText({f}, {}) == "# HELP x a\\\\b\\nc\n# TYPE x gauge\nx{k_1=\"q\\\"\\\\\\n\"} 1.5\n");
  CHECK(SanitizeLabelName("9lives") == "_9lives");
}

TEST_CASE("counters carried over a reload never go backwards; gauges are not carried") {
  Fixture old_service;
  CounterCarry carry;
  carry.Retire(CollectComponents(old_service.telemetry, TestWiring(), MetricsLevel::kDetailed));

  Fixture next;  // counts the same again
  next.queue = 1;
  std::vector<Family> families = CollectComponents(next.telemetry, TestWiring(), MetricsLevel::kNormal);
  carry.Apply(families);
  const std::string text = RenderText(families, {});
  CHECK_THAT(text, Contains("otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"grpc\"} 20\n"));
  CHECK_THAT(text, Contains("otelcol_processor_batch_batch_send_size_count{processor=\"batch\"} 6\n"));
  CHECK_THAT(text, Contains("otelcol_exporter_queue_size{data_type=\"metrics\",exporter=\"otlp/b\"} 1\n"));
}

TEST_CASE("a uuid v4 per process") {
  const std::string a = NewInstanceId(), b = NewInstanceId();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[8] == '-');
  CHECK(a[14] == '4');
  CHECK((a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'));
}

TEST_CASE("the endpoint serves /metrics, follows its source and keeps counters across SetSource") {
  Fixture first;
  MetricsEndpoint endpoint(ResourceLabels({}, "0.1.0", "id-1"));
  MetricsConfig config;
  PrometheusReader reader;
  reader.host = "127.0.0.1";
  reader.port = 0;
  config.readers = {reader};
  REQUIRE(endpoint.Apply(config).ok());
  REQUIRE(endpoint.ports().size() == 1);
  const int port = endpoint.ports()[0];
  endpoint.SetSource(&first.telemetry, TestWiring());

  auto r = test::HttpGet(port, "/metrics");
  CHECK(r.status == 200);
  CHECK_THAT(r.headers, Contains("text/plain; version=0.0.4"));
  CHECK_THAT(r.body,
             Contains("otelcol_receiver_accepted_spans{receiver=\"otlp\",service_instance_id=\"id-1\","
                      "service_name=\"otlpd\",service_version=\"0.1.0\",transport=\"grpc\"} 10\n"));
  CHECK_THAT(r.body, Contains("otelcol_process_cpu_seconds{"));
  CHECK(test::HttpGet(port, "/").status == 404);

  {
    Fixture second;
    endpoint.SetSource(&second.telemetry, TestWiring());
    CHECK_THAT(test::HttpGet(port, "/metrics").body, Contains("transport=\"grpc\"} 20\n"));
    // The same readers again: the same server, the same port.
    REQUIRE(endpoint.Apply(config).ok());
    CHECK(endpoint.ports() == std::vector<int>{port});
    endpoint.SetSource(nullptr, {});
  }
  CHECK_THAT(test::HttpGet(port, "/metrics").body, !Contains("otelcol_receiver"));

  config.level = MetricsLevel::kNone;
  config.readers.clear();
  REQUIRE(endpoint.Apply(config).ok());
  CHECK(endpoint.ports().empty());
  CHECK(test::HttpGet(port, "/metrics").status == 0);
}

TEST_CASE("an explicit reader that cannot listen is an error; the default one only warns") {
  MetricsEndpoint holder({});
  MetricsConfig config;
  PrometheusReader reader;
  reader.host = "127.0.0.1";
  reader.port = 0;
  config.readers = {reader};
  REQUIRE(holder.Apply(config).ok());
  const int port = holder.ports()[0];

  MetricsEndpoint second({});
  config.readers[0].port = port;
  Status s = second.Apply(config);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("service.telemetry.metrics") && Contains(std::to_string(port)));
  config.readers[0].is_default = true;
  CHECK(second.Apply(config).ok());
  CHECK(second.ports().empty());
}
