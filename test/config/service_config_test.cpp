#include "config/service_config.h"

#include <string>

#include <algorithm>

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"

namespace otlpd::config {
namespace {

using Catch::Contains;

std::string ServiceError(const std::string& yaml) {
  return test::ConfigError([&] { DecodeService(ParseYaml(yaml, "svc.yaml")); });
}

std::string TopLevelError(const std::string& yaml) {
  return test::ConfigError([&] { CheckTopLevel(ParseYaml(yaml, "top.yaml")); });
}

TEST_CASE("DecodeService reads pipelines, extensions and telemetry", "[config][service]") {
  const Node root = ParseYaml(
      "service:\n"
      "  extensions: [health_check, pprof/1]\n"
      "  pipelines:\n"
      "    traces:\n"
      "      receivers: [otlp]\n"
      "      processors: [memory_limiter, batch]\n"
      "      exporters: [otlp/backend, debug]\n"
      "    metrics/internal:\n"
      "      receivers: [otlp/2]\n"
      "      exporters: [debug]\n"
      "    logs:\n"
      "      receivers: otlp\n"
      "      processors: []\n"
      "      exporters: [file]\n"
      "  telemetry:\n"
      "    logs:\n"
      "      level: DEBUG\n"
      "      encoding: json\n"
      "      output_paths: [stderr]\n"
      "      sampling: {enabled: false}\n"
      "      initial_fields: {a: b}\n"
      "    metrics:\n"
      "      level: detailed\n"
      "    traces: {}\n"
      "    resource: {service.name: x}\n",
      "svc.yaml");
  const ServiceConfig sc = DecodeService(root);
  REQUIRE(sc.extensions.size() == 2);
  CHECK(sc.extensions[1] == ComponentId{"pprof", "1"});
  CHECK(sc.extension_marks[1].ToString() == "svc.yaml:2:30");

  REQUIRE(sc.pipelines.size() == 3);
  const PipelineConfig& traces = sc.pipelines[0];
  CHECK(traces.id == ComponentId{"traces", ""});
  CHECK(traces.signal == Signal::kTraces);
  CHECK(traces.mark.ToString() == "svc.yaml:4:5");
  CHECK(traces.receivers == std::vector<ComponentId>{{"otlp", ""}});
  CHECK(traces.processors == std::vector<ComponentId>{{"memory_limiter", ""}, {"batch", ""}});
  CHECK(traces.exporters == std::vector<ComponentId>{{"otlp", "backend"}, {"debug", ""}});
  REQUIRE(traces.exporter_marks.size() == 2);
  CHECK(traces.exporter_marks[1].ToString() == "svc.yaml:7:33");
  CHECK(traces.processor_marks.size() == 2);
  CHECK(traces.receiver_marks.size() == 1);

  const PipelineConfig& metrics = sc.pipelines[1];
  CHECK(metrics.id == ComponentId{"metrics", "internal"});
  CHECK(metrics.signal == Signal::kMetrics);
  CHECK(metrics.processors.empty());

  const PipelineConfig& logs = sc.pipelines[2];
  CHECK(logs.signal == Signal::kLogs);
  CHECK(logs.receivers == std::vector<ComponentId>{{"otlp", ""}});  // a single string is a one-item list

  CHECK(sc.logs.level == "debug");
  CHECK(sc.logs.encoding == "json");
  REQUIRE(sc.telemetry_metrics.IsMap());
  CHECK(sc.telemetry_metrics.Find("level")->scalar() == "detailed");
}

TEST_CASE("DecodeService defaults", "[config][service]") {
  const ServiceConfig sc = DecodeService(
      ParseYaml("service:\n  pipelines:\n    logs:\n      receivers: [a]\n      exporters: [b]\n", "s"));
  CHECK(sc.extensions.empty());
  CHECK(sc.logs.level == "info");
  CHECK(sc.logs.encoding == "console");
  CHECK(sc.telemetry_metrics.IsNull());
}

TEST_CASE("DecodeService pipeline errors", "[config][service]") {
  CHECK(ServiceError("service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n") ==
        "svc.yaml:3:5: service.pipelines.traces: must have at least one exporter");
  CHECK(ServiceError("service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: []\n") ==
        "svc.yaml:3:5: service.pipelines.traces: must have at least one exporter");
  CHECK(ServiceError("service:\n  pipelines:\n    logs/x:\n      exporters: [debug]\n") ==
        "svc.yaml:3:5: service.pipelines.logs/x: must have at least one receiver");
  CHECK(ServiceError("service:\n  pipelines:\n    traces:\n") ==
        "svc.yaml:3:5: service.pipelines.traces: must have at least one receiver");
  CHECK(ServiceError("service:\n  pipelines:\n    spans:\n      receivers: [a]\n      exporters: [b]\n") ==
        "svc.yaml:3:5: service.pipelines.spans: unknown signal \"spans\" in pipeline id (must be traces, "
        "metrics, logs or profiles)");
  CHECK(
      ServiceError("service:\n"
                   "  pipelines:\n"
                   "    traces:\n"
                   "      receivers: [otlp]\n"
                   "      processors: [batch, memory_limiter, batch]\n"
                   "      exporters: [debug]\n") ==
      "svc.yaml:5:43: service.pipelines.traces.processors[2]: references processor \"batch\" multiple times");
  // Same type, different names: two processors.
  CHECK(ServiceError(
            "service:\n  pipelines:\n    traces:\n      receivers: [r]\n      processors: [batch, batch/2]\n"
            "      exporters: [e]\n") == "");
  CHECK(ServiceError("service:\n  pipelines:\n    traces:\n      receivers: [r]\n      exporters: [e]\n"
                     "      exporter: [x]\n") ==
        "svc.yaml:6:7: service.pipelines.traces: has invalid keys: exporter");
  CHECK(
      ServiceError(
          "service:\n  pipelines:\n    traces:\n      receivers: [\"otlp/\"]\n      exporters: [e]\n") ==
      "svc.yaml:4:19: service.pipelines.traces.receivers[0]: in \"otlp/\" id: the part after / should not be "
      "empty");
  CHECK(ServiceError(
            "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [{a: 1}]\n") ==
        "svc.yaml:5:19: service.pipelines.traces.exporters[0]: expected a value, got a map");
  CHECK_THAT(
      ServiceError("service:\n  pipelines:\n    traces/:\n      receivers: [a]\n      exporters: [b]\n"),
      Contains("svc.yaml:3:5: service.pipelines.traces/: in \"traces/\" id: the part after /"));
  CHECK_THAT(ServiceError("service:\n  pipelines:\n    traces:\n      receivers: [a]\n      exporters: [b]\n"
                          "    \" traces\":\n      receivers: [a]\n      exporters: [b]\n"),
             Contains("duplicate pipeline id \"traces\""));
  CHECK_THAT(ServiceError("service:\n  pipelines:\n    traces: [a]\n"),
             Contains("svc.yaml:3:13: service.pipelines.traces: expected a map, got a list"));
}

TEST_CASE("DecodeService needs at least one pipeline", "[config][service]") {
  CHECK(ServiceError("service:\n  pipelines:\n") ==
        "svc.yaml:2:3: service.pipelines: service must have at least one pipeline");
  CHECK(ServiceError("service:\n  pipelines: {}\n") ==
        "svc.yaml:2:14: service.pipelines: service must have at least one pipeline");
  CHECK(ServiceError("service:\n  extensions: []\n") ==
        "svc.yaml:2:3: service.pipelines: service must have at least one pipeline");
  CHECK_THAT(ServiceError("receivers: {}\n"), Contains("service must have at least one pipeline"));
  CHECK_THAT(ServiceError("service:\n  pipelines: [traces]\n"),
             Contains("svc.yaml:2:14: service.pipelines: expected a map, got a list"));
}

TEST_CASE("DecodeService service and telemetry key checks", "[config][service]") {
  const std::string pipelines = "  pipelines:\n    traces:\n      receivers: [a]\n      exporters: [b]\n";
  CHECK(ServiceError("service:\n" + pipelines + "  extra: 1\n") ==
        "svc.yaml:6:3: service: has invalid keys: extra");
  CHECK(ServiceError("service:\n  extensions: [zpages, zpages]\n" + pipelines) ==
        "svc.yaml:2:24: service.extensions[1]: references extension \"zpages\" multiple times");
  CHECK_THAT(ServiceError("service:\n  extensions: [\"1bad\"]\n" + pipelines),
             Contains("svc.yaml:2:16: service.extensions[0]: in \"1bad\" id: invalid character(s) in type"));
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      level: verbose\n") ==
        "svc.yaml:8:14: service.telemetry.logs.level: unrecognized level \"verbose\" (debug, info, warn, "
        "error, "
        "dpanic, panic, fatal)");
  CHECK_THAT(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      level: Debug\n"),
             Contains("unrecognized level \"Debug\""));
  // zapcore.Level numbers, unchecked by otelcol: clamped to debug ... fatal.
  auto level = [&](const std::string& value) {
    return DecodeService(
               ParseYaml("service:\n" + pipelines + "  telemetry:\n    logs:\n      level: " + value + "\n",
                         "svc.yaml"))
        .logs.level;
  };
  CHECK(level("-1") == "debug");
  CHECK(level("1") == "warn");
  CHECK(level("5") == "fatal");
  CHECK(level("7") == "fatal");
  CHECK(level("-3") == "debug");
  CHECK_THAT(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      level: \"5\"\n"),
             Contains("unrecognized level \"5\""));
  CHECK_THAT(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      level: true\n"),
             Contains("expected type 'zapcore.Level', got unconvertible type 'bool'"));
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      encoding: xml\n") ==
        "svc.yaml:8:17: service.telemetry.logs.encoding: unrecognized encoding \"xml\" (console or json)");
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      colour: true\n") ==
        "svc.yaml:8:7: service.telemetry.logs: has invalid keys: colour");
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    tracez: {}\n") ==
        "svc.yaml:7:5: service.telemetry: has invalid keys: tracez");
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs: [1]\n") ==
        "svc.yaml:7:11: service.telemetry.logs: expected a map, got a list");
  // Exporting otlpd's own spans is refused by name, never ignored (its logs
  // processors are decoded by selftelemetry); keys that export nothing by
  // themselves are accepted.
  const std::string otlp_processor = " [{batch: {exporter: {otlp: {protocol: grpc, endpoint: x}}}}]\n";
  CHECK(ServiceError("service:\n" + pipelines +
                     "  telemetry:\n    logs:\n      processors:" + otlp_processor) == "");
  CHECK_THAT(ServiceError("service:\n" + pipelines +
                          "  telemetry:\n    traces:\n      processors:" + otlp_processor),
             Contains("svc.yaml:8:19: service.telemetry.traces.processors: exporting otlpd's own traces is "
                      "not supported"));
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    logs:\n      processors: []\n") == "");
  CHECK(ServiceError("service:\n" + pipelines +
                     "  telemetry:\n    traces:\n      level: none\n      propagators: [tracecontext]\n") ==
        "");
  CHECK(ServiceError("service:\n" + pipelines + "  telemetry:\n    traces:\n      exporters: []\n") ==
        "svc.yaml:8:7: service.telemetry.traces: has invalid keys: exporters");
}

TEST_CASE("CheckTopLevel", "[config][service]") {
  CHECK(TopLevelError(
            "receivers:\n  otlp:\nprocessors:\nexporters: {}\nextensions:\nconnectors:\nservice: {}\n") ==
        "");
  CHECK(TopLevelError("") == "");
  CHECK(TopLevelError("connectors: {}\n") == "");
  CHECK(TopLevelError("receivers: {}\nrecievers: {}\n") == "top.yaml:2:1: has invalid keys: recievers");
  CHECK(TopLevelError("connectors:\n  forward:\n") == "");
  CHECK(TopLevelError("connectors: [a]\n") ==
        "top.yaml:1:13: connectors: must be a map of component ids, got a list");
  CHECK(TopLevelError("connectors:\n  forward/:\n") ==
        "top.yaml:2:3: connectors.forward/: in \"forward/\" id: the part after / should not be empty");
  CHECK(TopLevelError("receivers: [otlp]\n") ==
        "top.yaml:1:12: receivers: must be a map of component ids, got a list");
  CHECK(TopLevelError("exporters:\n  otlp/:\n") ==
        "top.yaml:2:3: exporters.otlp/: in \"otlp/\" id: the part after / should not be empty");
  CHECK_THAT(TopLevelError("processors:\n  batch:\n  \" batch \":\n"),
             Contains("top.yaml:3:3: processors. batch : duplicate component id \"batch\""));
  CHECK(TopLevelError("service: 1\n") == "top.yaml:1:10: service: expected a map, got a value");
  CHECK(TopLevelError("- a\n") == "top.yaml:1:1: expected a map, got a list");
}

TEST_CASE("Config errors through the whole load path keep file:line:col", "[config][service]") {
  LoadOptions o;
  o.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  o.default_yaml = "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";
  o.set_flags = {"service.pipelines.traces.exporters=[]"};
  Node root = Load(o);
  CHECK_THROWS_WITH(DecodeService(root),
                    "<default config>:3:5: service.pipelines.traces: must have at least one exporter");
}

}  // namespace
}  // namespace otlpd::config

namespace otlpd::config {

TEST_CASE("Profiles pipelines need the service.profilesSupport feature gate", "[config][service]") {
  const Node root = ParseYaml(
      "service:\n  pipelines:\n    traces:\n      receivers: [a]\n      exporters: [b]\n"
      "    profiles/x:\n      receivers: [a]\n      exporters: [b]\n",
      "svc.yaml");
  const ServiceConfig sc = DecodeService(root);
  REQUIRE(sc.pipelines.size() == 2);
  CHECK(sc.pipelines[1].signal == Signal::kProfiles);
  FeatureGates gates;
  CHECK_THROWS_WITH(
      CheckFeatureGates(sc, gates),
      "svc.yaml:6:5: service.pipelines.profiles/x: pipeline \"profiles/x\": profiling signal support "
      "is at alpha level, gated under the \"service.profilesSupport\" feature gate");
  gates.profiles_support = true;
  CHECK_NOTHROW(CheckFeatureGates(sc, gates));
}

TEST_CASE("--feature-gates values are read as otelcol reads them", "[config]") {
  FeatureGates gates;
  std::vector<std::string> ignored;
  std::string error;
  CHECK(ApplyFeatureGates("service.profilesSupport", gates, ignored, error));
  CHECK(gates.profiles_support);
  CHECK(ApplyFeatureGates("-service.profilesSupport,+telemetry.newPipelineTelemetry", gates, ignored, error));
  CHECK_FALSE(gates.profiles_support);
  CHECK(ignored == std::vector<std::string>{"telemetry.newPipelineTelemetry"});
  CHECK(ApplyFeatureGates("+service.profilesSupport", gates, ignored, error));
  CHECK(gates.profiles_support);
  CHECK(ApplyFeatureGates("", gates, ignored, error));
  CHECK_FALSE(ApplyFeatureGates("service.profilesSupport,,service.profilesSupport", gates, ignored, error));
  CHECK(error == "--feature-gates: empty feature gate identifier at index 1");
  CHECK(ApplyFeatureGates("extension.healthcheck.useComponentStatus", gates, ignored, error));
  CHECK(gates.health_check_component_status);
}

TEST_CASE("--feature-gates refuses what otelcol's registry refuses", "[config]") {
  FeatureGates gates;
  std::vector<std::string> ignored;
  std::string error;
  // An id otelcol does not register: refused, with the valid ones listed.
  CHECK_FALSE(ApplyFeatureGates("service.profileSupport", gates, ignored, error));
  CHECK_THAT(error,
             Catch::StartsWith("--feature-gates: no such feature gate \"service.profileSupport\". valid "
                               "gates: [confmap.enableMergeAppendOption ") &&
                 Catch::Contains(" service.profilesSupport ") && Catch::EndsWith("]"));
  CHECK_FALSE(ApplyFeatureGates("+", gates, ignored, error));
  CHECK_THAT(error, Catch::Contains("no such feature gate \"\""));
  // A stable gate is on for good.
  CHECK(ApplyFeatureGates("pkg.confighttp.PrioritizeNewKeepalive", gates, ignored, error));
  CHECK_FALSE(ApplyFeatureGates("-pkg.confighttp.PrioritizeNewKeepalive", gates, ignored, error));
  CHECK(error ==
        "--feature-gates: feature gate \"pkg.confighttp.PrioritizeNewKeepalive\" is stable, can not be "
        "disabled");
  // Listed as otelcol lists them: sorted, each once.
  const std::vector<std::string> known = KnownFeatureGates();
  CHECK(std::is_sorted(known.begin(), known.end()));
  CHECK(std::adjacent_find(known.begin(), known.end()) == known.end());
}

}  // namespace otlpd::config
