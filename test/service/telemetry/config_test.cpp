#include "service/telemetry/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"

using namespace otlpd;
using namespace otlpd::selftelemetry;
using Catch::Matchers::Contains;

namespace {

const std::string kPipelines =
    "receivers:\n  otlp:\nexporters:\n  debug:\n"
    "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";

// `telemetry` is the text under service.telemetry, indented by four.
TelemetryConfig Decode(const std::string& telemetry) {
  return DecodeTelemetryConfig(config::ParseYaml(kPipelines + "  telemetry:\n" + telemetry, "c.yaml"));
}

std::string Error(const std::string& telemetry) {
  return test::ConfigError([&] { Decode(telemetry); });
}

}  // namespace

TEST_CASE("service.telemetry defaults: level normal, one Prometheus reader on localhost:8888, stderr") {
  TelemetryConfig t = DecodeTelemetryConfig(config::ParseYaml(kPipelines, "c.yaml"));
  CHECK(t.metrics.level == MetricsLevel::kNormal);
  REQUIRE(t.metrics.readers.size() == 1);
  CHECK(t.metrics.readers[0].Endpoint() == "localhost:8888");
  CHECK(t.metrics.readers[0].is_default);
  CHECK(t.metrics.readers[0].without_units);
  CHECK(t.metrics.readers[0].without_type_suffix);
  CHECK(t.logs.level == "info");
  CHECK(t.logs.encoding == "console");
  CHECK(t.logs.output_paths == std::vector<std::string>{"stderr"});
  CHECK(t.resource.empty());
}

TEST_CASE("service.telemetry.metrics readers, address and level") {
  TelemetryConfig t = Decode(
      "    metrics:\n      level: Detailed\n      readers:\n"
      "        - pull:\n            exporter:\n              prometheus:\n"
      "                host: 0.0.0.0\n                port: 9999\n                without_type_suffix: "
      "false\n"
      "        - pull:\n            exporter:\n              prometheus:\n                host: '::1'\n");
  CHECK(t.metrics.level == MetricsLevel::kDetailed);
  REQUIRE(t.metrics.readers.size() == 2);
  CHECK(t.metrics.readers[0].Endpoint() == "0.0.0.0:9999");
  CHECK_FALSE(t.metrics.readers[0].without_type_suffix);
  CHECK_FALSE(t.metrics.readers[0].is_default);
  CHECK(t.metrics.readers[1].Endpoint() == "[::1]:9464");

  t = Decode("    metrics:\n      address: 127.0.0.1:7777\n");
  REQUIRE(t.metrics.readers.size() == 1);
  CHECK(t.metrics.readers[0].Endpoint() == "127.0.0.1:7777");
  CHECK_FALSE(t.metrics.readers[0].is_default);

  t = Decode("    metrics:\n      level: none\n");
  CHECK(t.metrics.level == MetricsLevel::kNone);
  CHECK(t.metrics.readers.empty());
  t = Decode("    metrics:\n      level: basic\n");
  CHECK(t.metrics.level == MetricsLevel::kBasic);
  CHECK(t.metrics.readers.size() == 1);
}

TEST_CASE("service.telemetry errors name the key path") {
  CHECK_THAT(Error("    metrics:\n      level: verbose\n"),
             Contains("c.yaml:12:14") && Contains("service.telemetry.metrics.level") && Contains("verbose"));
  CHECK_THAT(Error("    metrics:\n      readers:\n        - pull:\n            exporter:\n"
                   "              prometheus:\n                port: lots\n"),
             Contains("service.telemetry.metrics.readers[0].pull.exporter.prometheus.port"));
  CHECK_THAT(
      Error("    metrics:\n      readers:\n        - pull:\n            exporter:\n"
            "              prometheus:\n                port: 70000\n"),
      Contains("service.telemetry.metrics.readers[0].pull.exporter.prometheus.port") && Contains("65535"));
  CHECK_THAT(Error("    metrics:\n      readers:\n        - pull:\n            exporter:\n"
                   "              prometheus:\n                hots: x\n"),
             Contains("service.telemetry.metrics.readers[0].pull.exporter.prometheus") && Contains("hots"));
  CHECK_THAT(Error("    metrics:\n      readers:\n        - periodic:\n            interval: 1000\n"),
             Contains("service.telemetry.metrics.readers[0].periodic") && Contains("exporter"));
  CHECK_THAT(
      Error("    metrics:\n      readers:\n        - pull:\n            exporter:\n              otlp: {}\n"),
      Contains("service.telemetry.metrics.readers[0].pull.exporter.otlp"));
  CHECK_THAT(Error("    metrics:\n      readers: []\n"),
             Contains("service.telemetry.metrics.readers") && Contains("at least one reader"));
  CHECK_THAT(Error("    metrics:\n      address: nowhere\n"), Contains("service.telemetry.metrics.address"));
  CHECK_THAT(Error("    metrics:\n      levle: basic\n"),
             Contains("service.telemetry.metrics") && Contains("invalid keys: levle"));
  CHECK_THAT(Error("    logs:\n      encoding: xml\n"), Contains("service.telemetry.logs.encoding"));
  CHECK_THAT(Error("    logs:\n      level: loud\n"), Contains("service.telemetry.logs.level"));
  CHECK_THAT(Error("    logs:\n      output_paths: [stderr, '']\n"),
             Contains("service.telemetry.logs.output_paths[1]"));
  CHECK_THAT(Error("    logs:\n      output_paths: {a: b}\n"),
             Contains("service.telemetry.logs.output_paths"));
  CHECK_THAT(Error("    resource:\n      service.name: [a]\n"),
             Contains("service.telemetry.resource.service.name"));
}

TEST_CASE("service.telemetry.logs and resource") {
  TelemetryConfig t = Decode(
      "    logs:\n      level: WARN\n      encoding: json\n      output_paths: [stdout, /tmp/otlpd.log]\n"
      "    resource:\n      service.name: collector-a\n      service.version: ~\n      "
      "deployment.environment: prod\n");
  CHECK(t.logs.level == "warn");
  CHECK(t.logs.encoding == "json");
  CHECK(t.logs.output_paths == std::vector<std::string>{"stdout", "/tmp/otlpd.log"});
  CHECK(t.resource.at("service.name") == "collector-a");
  CHECK_FALSE(t.resource.at("service.version").has_value());
  CHECK(t.resource.at("deployment.environment") == "prod");
}

TEST_CASE("service.telemetry.metrics periodic readers with an otlp exporter") {
  TelemetryConfig t = Decode(
      "    metrics:\n      readers:\n"
      "        - periodic:\n            interval: 5000\n            timeout: 2000\n"
      "            exporter:\n              otlp:\n                protocol: grpc\n"
      "                endpoint: collector:4317\n                insecure: true\n"
      "                compression: gzip\n                timeout: 1500\n"
      "                headers: [{name: X-Tenant, value: a}]\n                headers_list: \"x-tenant=b, k2 "
      "= v2\"\n"
      "                temporality_preference: delta\n"
      "        - periodic:\n            exporter:\n              otlp:\n"
      "                protocol: http/protobuf\n                endpoint: http://gw:4318/custom/path\n");
  CHECK(t.metrics.readers.empty());
  REQUIRE(t.metrics.push_readers.size() == 2);
  const OtlpPushTarget& g = t.metrics.push_readers[0];
  CHECK(g.protocol == "grpc");
  CHECK(g.host_port == "collector:4317");
  CHECK_FALSE(g.tls);  // no scheme + insecure: http://
  CHECK(g.gzip);
  CHECK(g.interval == std::chrono::milliseconds(5000));
  CHECK(g.timeout == std::chrono::milliseconds(2000));
  CHECK(g.export_timeout == std::chrono::milliseconds(1500));
  CHECK(g.temporality == OtlpPushTarget::Temporality::kDelta);
  CHECK(g.headers == std::vector<std::pair<std::string, std::string>>{{"x-tenant", "a"}, {"k2", "v2"}});
  const OtlpPushTarget& h = t.metrics.push_readers[1];
  CHECK(h.host_port == "gw:4318");
  CHECK(h.path == "/custom/path");
  CHECK(h.interval == std::chrono::milliseconds(60000));  // the SDK's defaults
  CHECK(h.timeout == std::chrono::milliseconds(30000));
  CHECK(h.temporality == OtlpPushTarget::Temporality::kCumulative);
  // A pull and a periodic reader side by side.
  TelemetryConfig both = Decode(
      "    metrics:\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n"
      "                host: localhost\n                port: 8888\n"
      "        - periodic:\n            exporter:\n              otlp:\n"
      "                protocol: grpc\n                endpoint: https://collector:4317\n");
  CHECK(both.metrics.readers.size() == 1);
  REQUIRE(both.metrics.push_readers.size() == 1);
  CHECK(both.metrics.push_readers[0].tls);
}

TEST_CASE("periodic reader errors are located and name the key") {
  auto periodic = [](const std::string& otlp) {
    return "    metrics:\n      readers:\n        - periodic:\n            exporter:\n              otlp:\n" +
           otlp;
  };
  CHECK_THAT(Error(periodic("                protocol: thrift\n                endpoint: http://x:1\n")),
             Contains("readers[0].periodic.exporter.otlp.protocol: unsupported protocol \"thrift\""));
  CHECK_THAT(Error(periodic("                endpoint: http://x:1\n")),
             Contains("readers[0].periodic.exporter.otlp") && Contains("protocol"));
  CHECK_THAT(Error(periodic("                protocol: grpc\n                endpoint: http://x:1\n"
                            "                temporality_preference: sometimes\n")),
             Contains("temporality_preference: unsupported temporality preference \"sometimes\""));
  CHECK_THAT(Error(periodic("                protocol: grpc\n                endpoint: http://x:1\n"
                            "                compression: zstd\n")),
             Contains("otlp.compression: unsupported compression \"zstd\""));
  CHECK_THAT(
      Error(periodic("                protocol: http/protobuf\n                endpoint: https://x:1\n")),
      Contains("otlp.endpoint: TLS (https) for an http/protobuf periodic reader is not supported"));
  CHECK_THAT(
      Error(periodic("                protocol: grpc\n                endpoint: http://x:1\n"
                     "                default_histogram_aggregation: base2_exponential_bucket_histogram\n")),
      Contains("default_histogram_aggregation"));
  CHECK_THAT(Error(periodic("                protocol: grpc\n                endpoint: http://x:1\n"
                            "                endpoitn: y\n")),
             Contains("endpoitn"));
  CHECK_THAT(Error("    metrics:\n      readers:\n        - periodic:\n            exporter:\n"
                   "              console: {}\n"),
             Contains("readers[0].periodic.exporter.console: only the otlp exporter is supported"));
}

TEST_CASE("service.telemetry.logs.processors: batch and simple with an otlp exporter") {
  TelemetryConfig t = Decode(
      "    logs:\n      processors:\n"
      "        - batch:\n            schedule_delay: 250\n            max_queue_size: 100\n"
      "            max_export_batch_size: 10\n            exporter:\n              otlp:\n"
      "                protocol: http/protobuf\n                endpoint: http://gw:4318\n"
      "        - simple:\n            exporter:\n              otlp:\n"
      "                protocol: grpc\n                endpoint: collector:4317\n                insecure: "
      "true\n");
  REQUIRE(t.logs.processors.size() == 2);
  const OtlpLogsProcessor& b = t.logs.processors[0];
  CHECK(b.batch);
  CHECK(b.schedule_delay == std::chrono::milliseconds(250));
  CHECK(b.export_timeout == std::chrono::milliseconds(30000));  // the SDK's default
  CHECK(b.max_queue_size == 100);
  CHECK(b.max_export_batch_size == 10);
  CHECK(b.exporter.path == "/v1/logs");
  CHECK(b.exporter.host_port == "gw:4318");
  const OtlpLogsProcessor& s = t.logs.processors[1];
  CHECK_FALSE(s.batch);
  CHECK(s.exporter.protocol == "grpc");
  CHECK_FALSE(s.exporter.tls);
  // Defaults of a bare batch processor.
  TelemetryConfig d = Decode(
      "    logs:\n      processors:\n        - batch:\n            exporter:\n              otlp:\n"
      "                protocol: grpc\n                endpoint: http://c:4317\n");
  REQUIRE(d.logs.processors.size() == 1);
  CHECK(d.logs.processors[0].schedule_delay == std::chrono::milliseconds(1000));
  CHECK(d.logs.processors[0].max_queue_size == 2048);
  CHECK(d.logs.processors[0].max_export_batch_size == 512);
}

TEST_CASE("service.telemetry.logs.processors errors are located and name the key") {
  auto logs = [](const std::string& body) { return "    logs:\n      processors:\n" + body; };
  const std::string otlp =
      "            exporter:\n              otlp:\n                protocol: grpc\n"
      "                endpoint: http://c:4317\n";
  CHECK_THAT(Error(logs("        - batch:\n" + otlp + "          simple:\n" + otlp)),
             Contains("processors[0]") && Contains("either batch or simple"));
  CHECK_THAT(Error(logs("        - batch: {}\n")), Contains("processors[0].batch") && Contains("exporter"));
  CHECK_THAT(Error(logs("        - batch:\n            exporter:\n              console: {}\n")),
             Contains("only the otlp exporter"));
  CHECK_THAT(
      Error(logs("        - batch:\n            max_queue_size: 10\n            max_export_batch_size: 20\n" +
                 otlp)),
      Contains("max_export_batch_size: must not exceed max_queue_size"));
  // A metrics reader's key is no logs exporter's.
  CHECK_THAT(Error(logs("        - simple:\n" + otlp + "                temporality_preference: delta\n")),
             Contains("temporality_preference"));
  CHECK_THAT(Error("    logs:\n      processors: {batch: {}}\n"), Contains("expected a list"));
}
