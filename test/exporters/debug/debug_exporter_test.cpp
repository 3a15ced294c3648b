#include "exporters/debug/debug_exporter.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "test/exporters/debug/test_payloads.h"

namespace otlpd::exporters::debug {
namespace {

using namespace testing;  // NOLINT: test fixtures

// A unique path under the temp directory, removed when the test ends.
class TempFile {
 public:
  TempFile() {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() / ("otlpd_debug_exporter_test_" + std::to_string(::getpid()) +
                                                  "_" + std::to_string(counter++) + ".txt");
    std::filesystem::remove(path_);
  }
  ~TempFile() { std::filesystem::remove(path_); }

  std::string path() const { return path_.string(); }
  std::string Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path path_;
};

Config FileConfig(const std::string& path, Verbosity verbosity) {
  Config cfg;
  cfg.verbosity = verbosity;
  cfg.use_internal_logger = false;
  cfg.output_paths = {path};
  cfg.output_paths_set = true;
  return cfg;
}

// An spdlog logger that records bare messages, one per line.
struct CapturingLogger {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;

  CapturingLogger() {
    logger = std::make_shared<spdlog::logger>("debug_exporter_test",
                                              std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_pattern("%v");
  }
};

// A clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<Clock::time_point> now =
      std::make_shared<Clock::time_point>(Clock::time_point{} + std::chrono::hours(1));
  std::function<Clock::time_point()> Fn() const {
    return [now = now] { return *now; };
  }
};

std::size_t CountOccurrences(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

TEST_CASE("output_paths: text is appended to a file", "[debug][exporter]") {
  TempFile file;
  {
    std::ofstream pre(file.path());
    pre << "earlier line\n";
  }
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kDetailed));
  REQUIRE(exporter.Start().ok());
  Status status = exporter.Consume(ToPayload(Signal::kTraces, MakeTraces(), 2));
  CHECK(status.ok());
  CHECK(exporter.Consume(ToPayload(Signal::kLogs, MakeLogs(), 3)).ok());
  exporter.Shutdown(Clock::now() + std::chrono::seconds(1));

  std::string text = file.Read();
  CHECK(text.rfind("earlier line\nTraces\t{\"resource spans\": 1, \"spans\": 2}\nResourceSpans #0\n", 0) ==
        0);
  CHECK_THAT(text, Catch::Matchers::Contains("    Trace ID       : 0102030405060708090a0b0c0d0e0f10\n"
                                             "    Parent ID      : 2122232425262728\n"));
  CHECK_THAT(text,
             Catch::Matchers::Contains("Logs\t{\"resource logs\": 1, \"log records\": 3}\nResourceLog #0\n"));
  CHECK(text == "earlier line\n" + FormatTraces(MakeTraces(), Verbosity::kDetailed).Text() +
                    FormatLogs(MakeLogs(), Verbosity::kDetailed).Text());
}

TEST_CASE("basic verbosity writes one line per payload", "[debug][exporter]") {
  TempFile file;
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kBasic));
  REQUIRE(exporter.Start().ok());
  CHECK(exporter.Consume(ToPayload(Signal::kMetrics, MakeMetrics(), 6)).ok());
  exporter.Shutdown(Clock::now());
  CHECK(file.Read() == "Metrics\t{\"resource metrics\": 1, \"metrics\": 5, \"data points\": 6}\n");
}

TEST_CASE("internal logger: one log message per payload with component fields", "[debug][exporter]") {
  CapturingLogger capture;
  DebugExporterOptions options;
  options.component_id = "debug/mine";
  options.logger = capture.logger;
  Config cfg;
  cfg.verbosity = Verbosity::kNormal;
  DebugExporter exporter(cfg, options);
  REQUIRE(exporter.Start().ok());
  CHECK(exporter.Consume(ToPayload(Signal::kTraces, MakeTraces(), 2)).ok());
  exporter.Shutdown(Clock::now());

  CHECK(capture.out.str() ==
        "Traces\t{\"otelcol.component.id\": \"debug/mine\", \"otelcol.component.kind\": \"exporter\", "
        "\"otelcol.signal\": \"traces\", \"resource spans\": 1, \"spans\": 2}\n" +
            FormatTraces(MakeTraces(), Verbosity::kNormal).body);
}

TEST_CASE("sampling with an injected clock drops the right messages", "[debug][exporter]") {
  CapturingLogger capture;
  ManualClock clock;
  DebugExporterOptions options;
  options.logger = capture.logger;
  options.now = clock.Fn();
  Config cfg;
  cfg.sampling_initial = 2;
  cfg.sampling_thereafter = 3;
  DebugExporter exporter(cfg, options);
  REQUIRE(exporter.Start().ok());

  // Each traces payload carries a distinct span count so the output says
  // which ones were written.
  auto traces_with = [](int spans) {
    TraceRequest request;
    trace::ScopeSpans* ss = request.add_resource_spans()->add_scope_spans();
    for (int i = 0; i < spans; ++i) ss->add_spans()->set_name("s");
    return ToPayload(Signal::kTraces, request, spans);
  };
  auto written = [&] {
    std::vector<int> spans;
    std::istringstream lines(capture.out.str());
    for (std::string line; std::getline(lines, line);) {
      std::size_t at = line.find("\"spans\": ");
      if (line.rfind("Traces\t", 0) == 0 && at != std::string::npos)
        spans.push_back(std::stoi(line.substr(at + 9)));
    }
    capture.out.str("");
    return spans;
  };

  for (int i = 1; i <= 10; ++i) CHECK(exporter.Consume(traces_with(i)).ok());  // dropped ones are Ok too
  CHECK(written() == std::vector<int>{1, 2, 5, 8});

  // Metrics are counted apart from traces, in the same tick.
  for (int i = 0; i < 3; ++i) CHECK(exporter.Consume(ToPayload(Signal::kMetrics, MakeMetrics(), 6)).ok());
  CHECK(CountOccurrences(capture.out.str(), "Metrics\t") == 2);
  capture.out.str("");

  *clock.now += std::chrono::milliseconds(999);
  for (int i = 11; i <= 14; ++i) CHECK(exporter.Consume(traces_with(i)).ok());
  CHECK(written() == std::vector<int>{11, 14});

  *clock.now += std::chrono::milliseconds(1);  // one second after the tick began
  for (int i = 1; i <= 6; ++i) CHECK(exporter.Consume(traces_with(i)).ok());
  CHECK(written() == std::vector<int>{1, 2, 5});
  exporter.Shutdown(Clock::now());
}

TEST_CASE("concurrent Consume calls never interleave their text", "[debug][exporter]") {
  TempFile file;
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kDetailed));
  REQUIRE(exporter.Start().ok());
  PayloadPtr payload = ToPayload(Signal::kTraces, MakeTraces(), 2);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!exporter.Consume(payload).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  exporter.Shutdown(Clock::now());
  CHECK(failures == 0);

  // Every payload's text is identical, so any interleaving breaks equality.
  std::string one = FormatTraces(MakeTraces(), Verbosity::kDetailed).Text();
  std::string expected;
  for (int i = 0; i < kThreads * kPerThread; ++i) expected += one;
  std::string text = file.Read();
  CHECK(text.size() == expected.size());
  CHECK(text == expected);
}

TEST_CASE("undecodable payloads are refused, not written", "[debug][exporter]") {
  TempFile file;
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kDetailed));
  REQUIRE(exporter.Start().ok());
  Status status = exporter.Consume(MakePayload(Signal::kMetrics, std::string("\x0a\x64\x01", 3), 1));
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(status.retryable());
  CHECK(exporter.Consume(nullptr).code() == StatusCode::kInvalidArgument);
  exporter.Shutdown(Clock::now());
  CHECK(file.Read().empty());
}

TEST_CASE("counts what it printed as sent and what it could not decode as send_failed", "[debug][exporter]") {
  TempFile file;
  ComponentTelemetry telemetry;
  DebugExporterOptions options;
  options.telemetry = &telemetry;
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kBasic), options);
  REQUIRE(exporter.Start().ok());
  CHECK(exporter.Consume(ToPayload(Signal::kTraces, MakeTraces(), 2)).ok());
  CHECK(exporter.Consume(ToPayload(Signal::kMetrics, MakeMetrics(), 6)).ok());
  CHECK_FALSE(exporter.Consume(MakePayload(Signal::kMetrics, std::string("\x0a\x64\x01", 3), 4)).ok());
  exporter.Shutdown(Clock::now());
  CHECK(telemetry[Signal::kTraces].sent == 2);
  CHECK(telemetry[Signal::kMetrics].sent == 6);
  CHECK(telemetry[Signal::kMetrics].send_failed == 4);
  CHECK(telemetry[Signal::kLogs].sent == 0);
}

TEST_CASE("lifecycle: refused before Start and after Shutdown", "[debug][exporter]") {
  TempFile file;
  DebugExporter exporter(FileConfig(file.path(), Verbosity::kBasic));
  // Construction alone (as `otlpd validate` does) creates no file.
  CHECK_FALSE(std::filesystem::exists(file.path()));
  CHECK(exporter.Consume(ToPayload(Signal::kLogs, MakeLogs())).code() == StatusCode::kUnavailable);
  REQUIRE(exporter.Start().ok());
  CHECK(std::filesystem::exists(file.path()));
  CHECK(exporter.Consume(ToPayload(Signal::kLogs, MakeLogs())).ok());
  exporter.Shutdown(Clock::now());
  CHECK(exporter.Consume(ToPayload(Signal::kLogs, MakeLogs())).code() == StatusCode::kUnavailable);
  CHECK(file.Read() == "Logs\t{\"resource logs\": 1, \"log records\": 3}\n");
}

TEST_CASE("Start fails when an output path cannot be opened", "[debug][exporter]") {
  DebugExporter exporter(FileConfig("/nonexistent-otlpd-dir/sub/out.txt", Verbosity::kBasic));
  Status status = exporter.Start();
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Matchers::Contains("/nonexistent-otlpd-dir/sub/out.txt"));
  exporter.Shutdown(Clock::now());
}

}  // namespace
}  // namespace otlpd::exporters::debug
