// The real otlpd binary with filter and transform between its OTLP receiver
// and a file exporter, for traces and logs: health checks are dropped, a
// secret is redacted, names are normalised; a request the filter empties
// reaches nobody. Also: `otlpd validate` points at a bad statement.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace logspb = opentelemetry::proto::collector::logs::v1;

namespace {

std::string Config(int port, const std::filesystem::path& traces, const std::filesystem::path& logs) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) +
         R"(
processors:
  filter:
    traces:
      span:
        - 'attributes["http.route"] == "/health"'
    logs:
      log_record:
        - 'severity_number < SEVERITY_NUMBER_INFO'
  transform:
    error_mode: ignore
    trace_statements:
      - context: resource
        statements:
          - 'delete_key(attributes, "api.token")'
      - context: span
        statements:
          - 'replace_pattern(name, "/[0-9]+", "/{id}")'
          - 'set(attributes["len"], Len(name)) where kind == SPAN_KIND_SERVER'
    log_statements:
      - 'replace_pattern(log.body, "password=[^ ]*", "password=***")'
exporters:
  file/traces:
    path: )" +
         traces.string() +
         R"(
    format: proto
    flush_interval: 50ms
  file/logs:
    path: )" +
         logs.string() +
         R"(
    format: proto
    flush_interval: 50ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [filter, transform]
      exporters: [file/traces]
    logs:
      receivers: [otlp]
      processors: [filter, transform]
      exporters: [file/logs]
)";
}

void Str(opentelemetry::proto::common::v1::KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

}  // namespace

TEST_CASE("otlpd runs filter and transform on traces and logs") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config(0, dir / "traces.pb", dir / "logs.pb"));
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());

  // 20 requests of 10 spans: every third span is a health check.
  auto traces = tracepb::TraceService::NewStub(channel);
  int sent_kept = 0;
  for (int r = 0; r < 20; ++r) {
    tracepb::ExportTraceServiceRequest req;
    auto* rs = req.add_resource_spans();
    Str(rs->mutable_resource()->add_attributes(), "service.name", "svc");
    Str(rs->mutable_resource()->add_attributes(), "api.token", "s3cr3t");
    auto* ss = rs->add_scope_spans();
    for (int i = 0; i < 10; ++i) {
      auto* s = ss->add_spans();
      s->set_name("GET /users/" + std::to_string(r * 10 + i));
      s->set_kind(opentelemetry::proto::trace::v1::Span_SpanKind_SPAN_KIND_SERVER);
      s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
      s->set_span_id(std::string(8, static_cast<char>(i + 1)));
      if (i % 3 == 0) {
        Str(s->add_attributes(), "http.route", "/health");
      } else {
        ++sent_kept;
      }
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(traces->Export(&ctx, req, &resp).ok());
  }
  // A request of health checks only is accepted and sent on to nobody.
  {
    tracepb::ExportTraceServiceRequest req;
    auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
    s->set_name("health");
    Str(s->add_attributes(), "http.route", "/health");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(traces->Export(&ctx, req, &resp).ok());
  }

  auto logs = logspb::LogsService::NewStub(channel);
  {
    logspb::ExportLogsServiceRequest req;
    auto* sl = req.add_resource_logs()->add_scope_logs();
    auto* debug = sl->add_log_records();
    debug->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_DEBUG);
    debug->mutable_body()->set_string_value("noise");
    auto* info = sl->add_log_records();
    info->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_INFO);
    info->mutable_body()->set_string_value("login user=bob password=hunter2 ok");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    logspb::ExportLogsServiceResponse resp;
    REQUIRE(logs->Export(&ctx, req, &resp).ok());
  }

  otlpd.Signal(SIGTERM);
  const std::optional<int> code = otlpd.Wait(std::chrono::seconds(30));
  INFO(otlpd.Output());
  REQUIRE(code == std::optional<int>(0));

  int spans = 0;
  int bad = 0;
  const ProtoRecords trace_file = ReadProtoRecords(dir / "traces.pb");
  CHECK(trace_file.complete);
  for (const auto& req : ParseProtoRecords<tracepb::ExportTraceServiceRequest>(trace_file, &bad)) {
    for (const auto& rs : req.resource_spans()) {
      REQUIRE(rs.resource().attributes_size() == 1);
      CHECK(rs.resource().attributes(0).key() == "service.name");
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          ++spans;
          CHECK(s.name() == "GET /users/{id}");
          REQUIRE(s.attributes_size() == 1);
          CHECK(s.attributes(0).key() == "len");
          CHECK(s.attributes(0).value().int_value() == 15);
        }
      }
    }
  }
  CHECK(bad == 0);
  CHECK(spans == sent_kept);

  const ProtoRecords log_file = ReadProtoRecords(dir / "logs.pb");
  const auto log_requests = ParseProtoRecords<logspb::ExportLogsServiceRequest>(log_file, &bad);
  REQUIRE(log_requests.size() == 1);
  const auto& records = log_requests[0].resource_logs(0).scope_logs(0).log_records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].body().string_value() == "login user=bob password=*** ok");
}

TEST_CASE("otlpd validate names the file, line and column of a bad OTTL statement") {
  TempDir dir;
  WriteFile(dir / "c.yaml", R"(receivers:
  otlp:
    protocols:
      grpc:
processors:
  transform:
    trace_statements:
      - 'set(span.name, "a")'
      - 'set(span.nam, "b")'
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [transform]
      exporters: [debug]
)");
  Process otlpd({OTLPD_BINARY, "validate", "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const std::optional<int> code = otlpd.Wait(std::chrono::seconds(30));
  const std::string out = otlpd.Output();
  INFO(out);
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK(out.find("c.yaml:9:9: processors.transform.trace_statements[1]: invalid statement") !=
        std::string::npos);
  CHECK(out.find("path \"span.nam\" is not a valid path for the span context") != std::string::npos);
}
