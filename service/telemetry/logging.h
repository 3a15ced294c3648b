#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <spdlog/common.h>

#include "internal/status.h"
#include "service/telemetry/config.h"
#include "service/telemetry/otlp_metrics_push.h"

namespace otlpd::selftelemetry {

// zap's level names (service.telemetry.logs.level) as spdlog levels.
spdlog::level::level_enum LogLevel(std::string_view level);

// Makes otlpd's default logger: console lines on stderr until
// ConfigureLogger says otherwise. Call first thing in main, before any
// thread exists; later calls do nothing.
void InstallLogger();

// Applies service.telemetry.logs: level, encoding (console|json) and
// output_paths (stderr, stdout or files, appended to). Every output is opened
// first, so on failure nothing changes and the error names the key path.
// The logger itself is never replaced: spdlog's default-logger pointer is
// read without a lock by every logging thread, so a reload swaps the format
// and outputs of its one sink, under the sink's lock, instead.
// `processors` start OTLP exporters of the log records (with `resource`);
// those of the previous configuration export what they hold and stop.
Status ConfigureLogger(const LogsConfig& logs, const Attributes& resource = {});

// Stops the OTLP log exporters after they export what they hold (shutdown).
void StopLogExport();

// One JSON log line ending in '\n', as `encoding: json` writes it: valid JSON
// whatever the message holds (quotes, control characters, bad UTF-8).
std::string JsonLogLine(spdlog::level::level_enum level, std::chrono::system_clock::time_point time,
                        std::string_view logger, std::string_view message);

}  // namespace otlpd::selftelemetry
