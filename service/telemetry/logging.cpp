#include "service/telemetry/logging.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "service/telemetry/otlp_logs_export.h"

namespace otlpd::selftelemetry {
namespace {

constexpr std::string_view kConsolePattern = "%Y-%m-%dT%H:%M:%S.%fZ\t%l\t%v";

struct Output {
  std::FILE* file = nullptr;
  bool owned = false;  // a file we opened (stdout and stderr are not ours to close)
};

// The default logger's only sink: writes each line, formatted as configured,
// to every configured output.
class RoutingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~RoutingSink() override { Close(outputs_); }

  // Returns the OTLP exporters replaced, for the caller to stop (flush)
  // outside the logger's lock.
  std::vector<std::shared_ptr<LogsExporter>> Reconfigure(
      std::vector<Output> outputs, bool json, std::vector<std::shared_ptr<LogsExporter>> exporters) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      outputs_.swap(outputs);
      json_ = json;
      exporters_.swap(exporters);
    }
    Close(outputs);
    return exporters;
  }

  std::vector<std::shared_ptr<LogsExporter>> TakeExporters() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::move(exporters_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string json;
    spdlog::memory_buf_t console;
    std::string_view line;
    if (json_) {
      json =
          JsonLogLine(msg.level, msg.time, std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
      line = json;
    } else {
      console_.format(msg, console);
      line = std::string_view(console.data(), console.size());
    }
    for (const Output& o : outputs_) {
      std::fwrite(line.data(), 1, line.size(), o.file);
      // Lines show up at once (kubectl logs, tests waiting for a message).
      std::fflush(o.file);
    }
    for (const auto& e : exporters_) {
      e->Enqueue(msg.level, msg.time, std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                 std::string_view(msg.payload.data(), msg.payload.size()));
    }
  }

  void flush_() override {
    for (const Output& o : outputs_) std::fflush(o.file);
  }

 private:
  static void Close(std::vector<Output>& outputs) {
    for (const Output& o : outputs) {
      if (o.owned) std::fclose(o.file);
    }
    outputs.clear();
  }

  std::vector<Output> outputs_{{stderr, false}};
  std::vector<std::shared_ptr<LogsExporter>> exporters_;
  bool json_ = false;
  spdlog::pattern_formatter console_{std::string(kConsolePattern), spdlog::pattern_time_type::utc};
};

std::mutex install_mu;
std::shared_ptr<RoutingSink> routing_sink;

std::string_view ZapLevel(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "fatal";
    default: return "info";
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0)
    n = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    n = 3, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
      ++i;
      continue;
    }
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";  // as zap does with bytes that are not UTF-8
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  out += '"';
}

}  // namespace

spdlog::level::level_enum LogLevel(std::string_view level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "dpanic" || level == "panic" || level == "fatal") return spdlog::level::critical;
  return spdlog::level::info;
}

void InstallLogger() {
  std::lock_guard<std::mutex> lock(install_mu);
  if (routing_sink) return;
  routing_sink = std::make_shared<RoutingSink>();
  auto logger = std::make_shared<spdlog::logger>("", routing_sink);
  logger->set_level(spdlog::get_level());
  spdlog::set_default_logger(std::move(logger));
}

Status ConfigureLogger(const LogsConfig& logs, const Attributes& resource) {
  InstallLogger();
  std::vector<Output> outputs;
  for (std::size_t i = 0; i < logs.output_paths.size(); ++i) {
    const std::string& p = logs.output_paths[i];
    if (p == "stderr") {
      outputs.push_back({stderr, false});
    } else if (p == "stdout") {
      outputs.push_back({stdout, false});
    } else if (std::FILE* f = std::fopen(p.c_str(), "ae")) {
      outputs.push_back({f, true});
    } else {
      const std::string why = std::strerror(errno);
      for (const Output& o : outputs) {
        if (o.owned) std::fclose(o.file);
      }
      return Status::Internal("service.telemetry.logs.output_paths[" + std::to_string(i) + "]: cannot open " +
                              p + ": " + why);
    }
  }
  std::vector<std::shared_ptr<LogsExporter>> exporters;
  for (const OtlpLogsProcessor& p : logs.processors) {
    exporters.push_back(std::make_shared<LogsExporter>(p, resource));
    exporters.back()->Start();
  }
  spdlog::set_level(LogLevel(logs.level));
  std::vector<std::shared_ptr<LogsExporter>> replaced;
  {
    std::lock_guard<std::mutex> lock(install_mu);
    replaced = routing_sink->Reconfigure(std::move(outputs), logs.encoding == "json", std::move(exporters));
  }
  for (auto& e : replaced) e->Stop();
  for (const OtlpLogsProcessor& p : logs.processors) {
    spdlog::info("telemetry: exporting otlpd's own logs over OTLP ({}) to {}", p.exporter.protocol,
                 p.exporter.endpoint);
  }
  return Status::Ok();
}

void StopLogExport() {
  std::vector<std::shared_ptr<LogsExporter>> exporters;
  {
    std::lock_guard<std::mutex> lock(install_mu);
    if (routing_sink) exporters = routing_sink->TakeExporters();
  }
  for (auto& e : exporters) e->Stop();
}

std::string JsonLogLine(spdlog::level::level_enum level, std::chrono::system_clock::time_point time,
                        std::string_view logger, std::string_view message) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[48];
  const std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + n, sizeof ts - n, ".%06dZ", static_cast<int>(us % 1000000));
  std::string out = "{\"level\":\"";
  out += ZapLevel(level);
  out += "\",\"ts\":\"";
  out += ts;
  out += '"';
  if (!logger.empty()) {
    out += ",\"logger\":";
    AppendJsonString(out, logger);
  }
  out += ",\"msg\":";
  AppendJsonString(out, message);
  out += "}\n";
  return out;
}

}  // namespace otlpd::selftelemetry
