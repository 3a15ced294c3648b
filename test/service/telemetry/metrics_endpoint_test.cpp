// The Prometheus endpoint in front of a real Service: OTLP/gRPC in, batch,
// file out, spans sent by a gRPC client, the page read by an HTTP client.
#include "service/telemetry/metrics_endpoint.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "cmd/otlpd/components.h"
#include "config/loader.h"
#include "config/service_config.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers/otlp/otlp_receiver.h"
#include "service/service.h"
#include "service/telemetry/resource.h"
#include "test/service/telemetry/http_get.h"
#include "test/support/created.h"
#include "test/support/process.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::selftelemetry;
using Catch::Matchers::Contains;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

// The value of the first series of `name` whose labels contain `labels`; -1 when absent.
double Value(const std::string& page, const std::string& name, const std::string& labels = "") {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0 || line.find(labels) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

}  // namespace

TEST_CASE("after N spans the endpoint shows otelcol_receiver_accepted_spans >= N and the sent spans") {
  test::TempDir dir;
  const std::string yaml =
      "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0"
      "\nprocessors:\n  batch:\n    timeout: 20ms\n"
      "exporters:\n  file:\n    path: " +
      (dir / "out.json").string() +
      "\n    flush_interval: 10ms\n"
      "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
      "      processors: [batch]\n      exporters: [file]\n";
  config::Node root = config::ParseYaml(yaml, "c.yaml");
  Components components = BuiltinComponents();
  receivers::otlp::OtlpReceiver* receiver = nullptr;
  test::CaptureCreated(components.receivers, "otlp", receiver);
  auto service = Service::Build(root, components);

  MetricsEndpoint endpoint(ResourceLabels({}, "0.1.0", NewInstanceId()));
  MetricsConfig metrics;
  PrometheusReader reader;
  reader.host = "127.0.0.1";
  reader.port = 0;
  metrics.readers = {reader};
  REQUIRE(endpoint.Apply(metrics).ok());
  endpoint.SetSource(&service->telemetry(), Wiring::FromConfig(config::DecodeService(root)));
  REQUIRE(service->Start().ok());
  const int metrics_port = endpoint.ports().at(0);
  REQUIRE(receiver != nullptr);
  const int port = receiver->grpc_port();

  // Before any data: the wired series exist at 0.
  std::string page = test::HttpGet(metrics_port, "/metrics").body;
  CHECK(Value(page, "otelcol_receiver_accepted_spans", "receiver=\"otlp\"") == 0);
  CHECK(Value(page, "otelcol_exporter_sent_spans", "exporter=\"file\"") == 0);

  constexpr int kRequests = 7, kSpansPerRequest = 13, kSpans = kRequests * kSpansPerRequest;
  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int r = 0; r < kRequests; ++r) {
    tracepb::ExportTraceServiceRequest req;
    auto* ss = req.add_resource_spans()->add_scope_spans();
    for (int i = 0; i < kSpansPerRequest; ++i) {
      auto* s = ss->add_spans();
      s->set_trace_id(std::string(16, '\x01'));
      s->set_span_id(std::string(7, '\x02') + static_cast<char>(i + 1));
      s->set_name("op");
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(stub->Export(&ctx, req, &resp).ok());
  }

  REQUIRE(test::WaitFor([&] {
    page = test::HttpGet(metrics_port, "/metrics").body;
    return Value(page, "otelcol_exporter_sent_spans", "exporter=\"file\"") >= kSpans;
  }));
  INFO(page);
  CHECK(Value(page, "otelcol_receiver_accepted_spans", "transport=\"grpc\"") >= kSpans);
  CHECK(Value(page, "otelcol_receiver_refused_spans", "receiver=\"otlp\"") == 0);
  CHECK(Value(page, "otelcol_exporter_sent_spans", "exporter=\"file\"") == kSpans);
  CHECK(Value(page, "otelcol_exporter_send_failed_spans", "exporter=\"file\"") == 0);
  CHECK(Value(page, "otelcol_processor_incoming_items", "otel_signal=\"traces\",processor=\"batch\"") ==
        kSpans);
  CHECK(Value(page, "otelcol_processor_outgoing_items", "otel_signal=\"traces\",processor=\"batch\"") ==
        kSpans);
  CHECK(Value(page, "otelcol_processor_batch_batch_send_size_sum", "processor=\"batch\"") == kSpans);
  CHECK(Value(page, "otelcol_processor_batch_batch_send_size_count", "processor=\"batch\"") >= 1);
  CHECK(Value(page, "otelcol_process_memory_rss") > 0);
  CHECK(Value(page, "otelcol_process_uptime") > 0);
  CHECK_THAT(page, Contains("service_name=\"otlpd\"") && Contains("service_version=\"0.1.0\""));
  CHECK_THAT(page, !Contains("metric_points") && !Contains("log_records"));  // only traces is wired

  service->Shutdown(Clock::now() + std::chrono::seconds(5));
  endpoint.SetSource(nullptr, {});
  // Without a source only the process metrics remain.
  page = test::HttpGet(metrics_port, "/metrics").body;
  CHECK(Value(page, "otelcol_exporter_sent_spans") == -1);
  CHECK(Value(page, "otelcol_process_cpu_seconds") >= 0);
}
