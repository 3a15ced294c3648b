#include "exporters/debug/config.h"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "config/error.h"
#include "exporters/debug/debug_exporter.h"
#include "exporters/debug/factory.h"
#include "test/support/config_error.h"

namespace otlpd::exporters::debug {
namespace {

// Config trees are built by hand so these tests need only the decoder, not
// the YAML loader.
config::Mark At(int line) { return config::Mark{std::make_shared<const std::string>("test.yaml"), line, 5}; }

config::Node Scalar(std::string value, int line = 1) {
  return config::Node::Scalar(std::move(value), At(line));
}

config::Node List(std::initializer_list<std::string> items, int line = 1) {
  config::Node list = config::Node::Sequence(At(line));
  for (const std::string& item : items) list.items().push_back(Scalar(item, line));
  return list;
}

config::Node Map(std::initializer_list<std::pair<std::string, config::Node>> entries) {
  config::Node map = config::Node::Map(At(1));
  int line = 2;
  for (const auto& [key, value] : entries) map.Set(key, At(line++), value);
  return map;
}

Config Decode(const config::Node& node) {
  config::MapDecoder decoder(node, "exporters.debug");
  return Config::Decode(decoder);
}

// The message of the config::Error that decoding `node` throws.
std::string DecodeError(const config::Node& node) {
  return test::ConfigError([&] { Decode(node); });
}

TEST_CASE("an empty section gives otelcol's defaults", "[debug][config]") {
  Config cfg = Decode(config::Node::Null(At(1)));
  CHECK(cfg.verbosity == Verbosity::kBasic);
  CHECK(cfg.sampling_initial == 2);
  CHECK(cfg.sampling_thereafter == 1);
  CHECK(cfg.use_internal_logger);
  CHECK(cfg.output_paths == std::vector<std::string>{"stdout"});
  CHECK_FALSE(cfg.output_paths_set);
  CHECK_FALSE(Config{}.Validate().has_value());
}

TEST_CASE("every option decodes", "[debug][config]") {
  Config cfg = Decode(Map({{"verbosity", Scalar("detailed")},
                           {"sampling_initial", Scalar("5")},
                           {"sampling_thereafter", Scalar("200")},
                           {"use_internal_logger", Scalar("false")},
                           {"output_paths", List({"stderr", "/tmp/debug.txt"})}}));
  CHECK(cfg.verbosity == Verbosity::kDetailed);
  CHECK(cfg.sampling_initial == 5);
  CHECK(cfg.sampling_thereafter == 200);
  CHECK_FALSE(cfg.use_internal_logger);
  CHECK(cfg.output_paths == std::vector<std::string>{"stderr", "/tmp/debug.txt"});
  CHECK(cfg.output_paths_set);
}

TEST_CASE("verbosity as otelcol's configtelemetry.Level number", "[debug][config]") {
  CHECK(Decode(Map({{"verbosity", Scalar("0")}})).verbosity == Verbosity::kBasic);
  CHECK(Decode(Map({{"verbosity", Scalar("1")}})).verbosity == Verbosity::kNormal);
  CHECK(Decode(Map({{"verbosity", Scalar("2.9")}})).verbosity == Verbosity::kDetailed);  // cut, as Go does
  CHECK(DecodeError(Map({{"verbosity", Scalar("-1")}})) ==
        "test.yaml:1:5: exporters.debug.verbosity: verbosity level -1 (none) is not supported (use basic, "
        "normal "
        "or detailed, or 0, 1 or 2)");
  CHECK_THAT(DecodeError(Map({{"verbosity", Scalar("3")}})),
             Catch::Contains("verbosity level 3 is not supported"));
  // Quoted, "2" is a name to otelcol, and no level's.
  CHECK_THAT(DecodeError(Map({{"verbosity", config::Node::Scalar("2", At(1), true)}})),
             Catch::Contains("verbosity level \"2\" is not supported"));
}

TEST_CASE("verbosity is case-insensitive", "[debug][config]") {
  CHECK(Decode(Map({{"verbosity", Scalar("Normal")}})).verbosity == Verbosity::kNormal);
  CHECK(Decode(Map({{"verbosity", Scalar("DETAILED")}})).verbosity == Verbosity::kDetailed);
  CHECK(ParseVerbosity("basic") == Verbosity::kBasic);
  CHECK_FALSE(ParseVerbosity("none").has_value());
}

TEST_CASE("exporter-helper blocks are accepted", "[debug][config]") {
  config::Node node =
      Map({{"sending_queue", Map({{"enabled", Scalar("true")}, {"queue_size", Scalar("10")}})},
           {"retry_on_failure", Map({{"enabled", Scalar("false")}})},
           {"timeout", Scalar("5s")}});
  CHECK_NOTHROW(Decode(node));
}

TEST_CASE("a bad verbosity names the key path and the value", "[debug][config]") {
  std::string what = DecodeError(Map({{"verbosity", Scalar("loud", 7)}}));
  CHECK_THAT(what, Catch::Matchers::Contains("exporters.debug.verbosity"));
  CHECK_THAT(what, Catch::Matchers::Contains("\"loud\""));
  CHECK_THAT(what, Catch::Matchers::Contains("test.yaml"));

  CHECK_THAT(DecodeError(Map({{"verbosity", Scalar("none")}})),
             Catch::Matchers::Contains("exporters.debug.verbosity"));
}

TEST_CASE("unknown keys are rejected", "[debug][config]") {
  std::string what = DecodeError(Map({{"verbosity", Scalar("basic")}, {"loglevel", Scalar("debug")}}));
  CHECK_THAT(what, Catch::Matchers::Contains("exporters.debug"));
  CHECK_THAT(what, Catch::Matchers::Contains("loglevel"));
}

TEST_CASE("negative sampling values are rejected", "[debug][config]") {
  CHECK_THAT(DecodeError(Map({{"sampling_initial", Scalar("-1")}})),
             Catch::Matchers::Contains("exporters.debug.sampling_initial"));
  CHECK_THAT(DecodeError(Map({{"sampling_thereafter", Scalar("-5")}})),
             Catch::Matchers::Contains("exporters.debug.sampling_thereafter"));
  CHECK_THAT(DecodeError(Map({{"sampling_initial", Scalar("many")}})),
             Catch::Matchers::Contains("exporters.debug.sampling_initial"));
}

TEST_CASE("output_paths goes with use_internal_logger false only", "[debug][config]") {
  CHECK_THAT(DecodeError(Map({{"output_paths", List({"stdout"})}})),
             Catch::Matchers::Contains("exporters.debug.output_paths"));
  CHECK_THAT(DecodeError(Map({{"use_internal_logger", Scalar("false")}, {"output_paths", List({})}})),
             Catch::Matchers::Contains("exporters.debug.output_paths"));
  // Without output_paths, use_internal_logger false writes to stdout.
  Config cfg = Decode(Map({{"use_internal_logger", Scalar("false")}}));
  CHECK(cfg.output_paths == std::vector<std::string>{"stdout"});
}

TEST_CASE("the factory decodes config and builds the exporter", "[debug][factory]") {
  ExporterFactory factory = DebugExporterFactory();
  CHECK(factory.type == "debug");
  CHECK(factory.signals ==
        std::vector<Signal>{Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles});

  CreateContext ctx;
  ctx.id = config::ComponentId{"debug", "verbose"};
  ctx.path = "exporters.debug/verbose";
  std::unique_ptr<Exporter> exporter = factory.create(ctx, Map({{"verbosity", Scalar("detailed")}}));
  REQUIRE(exporter != nullptr);
  auto* debug = dynamic_cast<DebugExporter*>(exporter.get());
  REQUIRE(debug != nullptr);
  CHECK(debug->config().verbosity == Verbosity::kDetailed);

  try {
    factory.create(ctx, Map({{"verbosity", Scalar("loud")}}));
    FAIL("create accepted a bad verbosity");
  } catch (const config::Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("exporters.debug/verbose.verbosity"));
  }
}

}  // namespace
}  // namespace otlpd::exporters::debug
