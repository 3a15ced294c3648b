// The real otlpd binary with the attributes processor between its OTLP
// receiver and file exporters, for traces, metrics and logs: a secret is
// hashed, a tenant header is stamped on, data points get a label, only
// selected items change. Also: `otlpd validate` locates a bad include.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace metricspb = opentelemetry::proto::collector::metrics::v1;
namespace logspb = opentelemetry::proto::collector::logs::v1;
using opentelemetry::proto::common::v1::KeyValue;

namespace {

std::string Config(int port, const std::filesystem::path& dir) {
  std::string c = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
                  std::to_string(port) + "\n        include_metadata: true\n";
  c += R"(processors:
  attributes/traces:
    actions:
      - {key: user.email, action: hash}
      - {key: tenant, from_context: metadata.x-tenant, action: insert}
      - {key: http.url, pattern: '^https?://(?P<http_host>[^/]+)', action: extract}
    exclude:
      match_type: strict
      span_names: [skip-me]
  attributes/metrics:
    actions:
      - {key: env, value: prod, action: upsert}
    include:
      match_type: regexp
      metric_names: ['^http\.']
  attributes/logs:
    actions:
      - {key: password, action: delete}
      - {key: code, converted_type: int, action: convert}
exporters:
)";
  for (const char* s : {"traces", "metrics", "logs"}) {
    c += std::string("  file/") + s + ":\n    path: " + (dir / (std::string(s) + ".pb")).string() +
         "\n    format: proto\n    flush_interval: 50ms\n";
  }
  c += "service:\n  pipelines:\n";
  for (const char* s : {"traces", "metrics", "logs"}) {
    c += std::string("    ") + s + ":\n      receivers: [otlp]\n      processors: [attributes/" + s +
         "]\n      exporters: [file/" + s + "]\n";
  }
  return c;
}

void Str(KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

std::map<std::string, opentelemetry::proto::common::v1::AnyValue> ToMap(
    const google::protobuf::RepeatedPtrField<KeyValue>& attrs) {
  std::map<std::string, opentelemetry::proto::common::v1::AnyValue> m;
  for (const KeyValue& kv : attrs) m[kv.key()] = kv.value();
  return m;
}

template <class Stub, class Req, class Resp>
void Send(Stub& stub, const Req& req, Resp* resp,
          grpc::Status (Stub::*call)(grpc::ClientContext*, const Req&, Resp*)) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-tenant", "acme");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  REQUIRE((stub.*call)(&ctx, req, resp).ok());
}

}  // namespace

TEST_CASE("otlpd runs the attributes processor on traces, metrics and logs") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config(0, dir.path()));
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());

  {
    tracepb::ExportTraceServiceRequest req;
    auto* rs = req.add_resource_spans();
    Str(rs->mutable_resource()->add_attributes(), "service.name", "svc");
    auto* ss = rs->add_scope_spans();
    for (const char* name : {"GET /a", "skip-me"}) {
      auto* s = ss->add_spans();
      s->set_name(name);
      s->set_trace_id(std::string(16, '\x01'));
      s->set_span_id(std::string(8, '\x02'));
      Str(s->add_attributes(), "user.email", "bob@example.com");
      Str(s->add_attributes(), "http.url", "https://shop.example.com/cart");
    }
    tracepb::ExportTraceServiceResponse resp;
    auto stub = tracepb::TraceService::NewStub(channel);
    Send(*stub, req, &resp, &tracepb::TraceService::Stub::Export);
  }
  {
    metricspb::ExportMetricsServiceRequest req;
    auto* sm = req.add_resource_metrics()->add_scope_metrics();
    for (const char* name : {"http.requests", "cpu"}) {
      auto* m = sm->add_metrics();
      m->set_name(name);
      m->mutable_sum()->add_data_points()->set_as_int(1);
      m->mutable_sum()->add_data_points()->set_as_int(2);
    }
    metricspb::ExportMetricsServiceResponse resp;
    auto stub = metricspb::MetricsService::NewStub(channel);
    Send(*stub, req, &resp, &metricspb::MetricsService::Stub::Export);
  }
  {
    logspb::ExportLogsServiceRequest req;
    auto* l = req.add_resource_logs()->add_scope_logs()->add_log_records();
    l->mutable_body()->set_string_value("login");
    Str(l->add_attributes(), "password", "hunter2");
    Str(l->add_attributes(), "code", "401");
    logspb::ExportLogsServiceResponse resp;
    auto stub = logspb::LogsService::NewStub(channel);
    Send(*stub, req, &resp, &logspb::LogsService::Stub::Export);
  }

  otlpd.Signal(SIGTERM);
  const std::optional<int> code = otlpd.Wait(std::chrono::seconds(30));
  INFO(otlpd.Output());
  REQUIRE(code == std::optional<int>(0));

  int bad = 0;
  const auto traces =
      ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(dir / "traces.pb"), &bad);
  REQUIRE(traces.size() == 1);
  const auto& spans = traces[0].resource_spans(0).scope_spans(0).spans();
  REQUIRE(spans.size() == 2);
  auto a = ToMap(spans[0].attributes());
  // SHA-256 of "bob@example.com".
  CHECK(a.at("user.email").string_value() ==
        "5ff860bf1190596c7188ab851db691f0f3169c453936e9e1eba2f9a47f7a0018");
  CHECK(a.at("tenant").string_value() == "acme");
  CHECK(a.at("http_host").string_value() == "shop.example.com");
  auto skipped = ToMap(spans[1].attributes());
  CHECK(skipped.at("user.email").string_value() == "bob@example.com");
  CHECK(skipped.count("tenant") == 0);
  CHECK(traces[0].resource_spans(0).resource().attributes_size() == 1);

  const auto metrics =
      ParseProtoRecords<metricspb::ExportMetricsServiceRequest>(ReadProtoRecords(dir / "metrics.pb"), &bad);
  REQUIRE(metrics.size() == 1);
  const auto& ms = metrics[0].resource_metrics(0).scope_metrics(0).metrics();
  REQUIRE(ms.size() == 2);
  for (const auto& dp : ms[0].sum().data_points())
    CHECK(ToMap(dp.attributes()).at("env").string_value() == "prod");
  for (const auto& dp : ms[1].sum().data_points()) CHECK(dp.attributes_size() == 0);

  const auto logs =
      ParseProtoRecords<logspb::ExportLogsServiceRequest>(ReadProtoRecords(dir / "logs.pb"), &bad);
  REQUIRE(logs.size() == 1);
  auto la = ToMap(logs[0].resource_logs(0).scope_logs(0).log_records(0).attributes());
  CHECK(la.count("password") == 0);
  CHECK(la.at("code").int_value() == 401);
  CHECK(bad == 0);
}

TEST_CASE("otlpd validate locates an include section invalid for the pipeline's signal") {
  TempDir dir;
  WriteFile(dir / "c.yaml", R"(receivers:
  otlp:
    protocols:
      grpc:
processors:
  attributes:
    actions:
      - {key: a, value: b, action: insert}
    include:
      match_type: strict
      services: [svc]
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [attributes]
      exporters: [debug]
)");
  Process otlpd({OTLPD_BINARY, "validate", "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const std::optional<int> code = otlpd.Wait(std::chrono::seconds(30));
  const std::string out = otlpd.Output();
  INFO(out);
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK(out.find("c.yaml:10:") != std::string::npos);
  CHECK(out.find("processors.attributes.include") != std::string::npos);
  CHECK(out.find("services, span_names, span_kinds and metric_names are not valid for log records") !=
        std::string::npos);
}
