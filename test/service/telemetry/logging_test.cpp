#include "service/telemetry/logging.h"

#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include "test/support/process.h"

using namespace otlpd;
using namespace otlpd::selftelemetry;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

TEST_CASE("JSON log lines escape whatever the message holds") {
  const auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1605067951684717));
  CHECK(JsonLogLine(spdlog::level::info, t, "", "hello") ==
        "{\"level\":\"info\",\"ts\":\"2020-11-11T04:12:31.684717Z\",\"msg\":\"hello\"}\n");
  CHECK(JsonLogLine(spdlog::level::warn, t, "", "a \"quoted\" C:\\path\nnext\tline\x01") ==
        "{\"level\":\"warn\",\"ts\":\"2020-11-11T04:12:31.684717Z\","
        "\"msg\":\"a \\\"quoted\\\" C:\\\\path\\nnext\\tline\\u0001\"}\n");
  // Valid UTF-8 passes, bytes that are not UTF-8 become U+FFFD.
  CHECK_THAT(JsonLogLine(spdlog::level::err, t, "", "caf\xc3\xa9 \xff\xc3"),
             Contains("\"level\":\"error\"") && Contains("\"msg\":\"caf\xc3\xa9 \\ufffd\\ufffd\"}"));
  CHECK_THAT(JsonLogLine(spdlog::level::critical, t, "otlp", "x"),
             Contains("\"level\":\"fatal\"") && Contains("\"logger\":\"otlp\""));
  // An overlong encoding of '/' and a lone surrogate are not valid UTF-8 either.
  CHECK_THAT(JsonLogLine(spdlog::level::info, t, "", "\xc0\xaf\xed\xa0\x80"),
             Contains("\"msg\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""));
}

TEST_CASE("ConfigureLogger switches level, encoding and outputs, and rejects an output it cannot open") {
  test::TempDir dir;
  InstallLogger();
  LogsConfig logs;
  logs.level = "debug";
  logs.encoding = "json";
  logs.output_paths = {(dir / "a.log").string()};
  REQUIRE(ConfigureLogger(logs).ok());
  spdlog::debug("first \"one\"");
  spdlog::info("second");

  logs.encoding = "console";
  logs.level = "warn";
  logs.output_paths = {(dir / "b.log").string()};
  REQUIRE(ConfigureLogger(logs).ok());
  spdlog::info("dropped by level");
  spdlog::warn("third");

  logs.output_paths = {(dir / "b.log").string(), (dir / "missing" / "c.log").string()};
  Status s = ConfigureLogger(logs);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("service.telemetry.logs.output_paths[1]") && Contains("c.log"));
  spdlog::warn("fourth");  // still into b.log

  logs = LogsConfig{};
  REQUIRE(ConfigureLogger(logs).ok());  // back to stderr for the other tests

  std::ifstream a(dir / "a.log");
  std::string line1, line2;
  std::getline(a, line1);
  std::getline(a, line2);
  CHECK_THAT(line1, StartsWith("{\"level\":\"debug\",\"ts\":\"") && EndsWith(R"("msg":"first \"one\""})"));
  CHECK_THAT(line2, StartsWith("{\"level\":\"info\"") && EndsWith(R"("msg":"second"})"));

  std::ifstream b(dir / "b.log");
  std::string text((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Contains("\twarning\tthird\n") && Contains("\twarning\tfourth\n"));
  CHECK_THAT(text, !Contains("dropped by level"));
}

TEST_CASE("zap level names map onto spdlog's") {
  CHECK(LogLevel("debug") == spdlog::level::debug);
  CHECK(LogLevel("info") == spdlog::level::info);
  CHECK(LogLevel("warn") == spdlog::level::warn);
  CHECK(LogLevel("error") == spdlog::level::err);
  CHECK(LogLevel("dpanic") == spdlog::level::critical);
  CHECK(LogLevel("fatal") == spdlog::level::critical);
}
