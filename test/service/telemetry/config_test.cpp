#include "service/telemetry/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"

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
  try {
    Decode(telemetry);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
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
             Contains("service.telemetry.metrics.readers[0].periodic") && Contains("not supported"));
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
