#include "service/telemetry/logging.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "service/telemetry/otlp_logs_export.h"
#include "service/telemetry/otlp_sender.h"

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

TEST_CASE("an OTLP logs exporter holds at most max_queue_size records and drops the rest, counted") {
  otlpd::selftelemetry::OtlpLogsProcessor p;
  p.schedule_delay = std::chrono::hours(1);  // nothing leaves before Stop
  p.max_queue_size = 3;
  // Above the queue size, so the exporter thread never wakes for a full batch:
  // with 3 it could take a batch between two Enqueue calls and make room, and
  // fewer than 7 records would be dropped (seen under ASan in CI).
  p.max_export_batch_size = 512;
  p.export_timeout = std::chrono::milliseconds(200);
  p.exporter.protocol = "http/protobuf";
  p.exporter.endpoint = "http://127.0.0.1:1";
  p.exporter.host_port = "127.0.0.1:1";  // nobody listens: exports fail fast
  p.exporter.tls = false;
  otlpd::selftelemetry::LogsExporter e(p, {{"service.name", "otlpd"}});
  e.Start();
  for (int i = 0; i < 10; ++i) e.Enqueue(spdlog::level::info, std::chrono::system_clock::now(), "", "line");
  CHECK(e.dropped() == 7);
  e.Stop();
  CHECK(e.exported() == 0);
}

TEST_CASE("own log records encode with OTel severities, zap's level names and the resource") {
  using otlpd::selftelemetry::OwnLogRecord;
  const std::string bytes = otlpd::selftelemetry::EncodeOwnLogs(
      {OwnLogRecord{5, spdlog::level::warn, "", "careful"}, OwnLogRecord{6, spdlog::level::err, "x", "bad"}},
      {{"service.name", "otlpd"}});
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
  REQUIRE(req.ParseFromString(bytes));
  REQUIRE(req.resource_logs_size() == 1);
  CHECK(req.resource_logs(0).resource().attributes(0).key() == "service.name");
  const auto& records = req.resource_logs(0).scope_logs(0).log_records();
  REQUIRE(records.size() == 2);
  CHECK(records[0].severity_number() == 13);
  CHECK(records[0].severity_text() == "warn");
  CHECK(records[0].body().string_value() == "careful");
  CHECK(records[0].time_unix_nano() == 5);
  CHECK(records[1].severity_number() == 17);
  CHECK(records[1].severity_text() == "error");
  CHECK(records[1].attributes(0).value().string_value() == "x");
}

TEST_CASE("an OTLP push target whose TLS file cannot be read fails every send, naming the file") {
  otlpd::selftelemetry::OtlpPushTarget t;
  t.protocol = "grpc";
  t.endpoint = "https://collector:4317";
  t.host_port = "collector:4317";
  t.tls = true;
  t.certificate = "/nonexistent/ca.pem";
  t.path_in_config = "service.telemetry.logs.processors[0]";
  otlpd::selftelemetry::OtlpSender sender(t, otlpd::Signal::kLogs);
  const otlpd::Status s = sender.Send("", std::chrono::milliseconds(100));
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "service.telemetry.logs.processors[0] certificate: cannot read /nonexistent/ca.pem");
}
