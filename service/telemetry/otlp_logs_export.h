#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <spdlog/common.h>

#include "service/telemetry/config.h"
#include "service/telemetry/otlp_metrics_push.h"
#include "service/telemetry/otlp_sender.h"

namespace otlpd::selftelemetry {

// One line of otlpd's own log, as the logger saw it.
struct OwnLogRecord {
  std::uint64_t time_unix_nano = 0;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string logger;
  std::string message;
};

// Serializes records as one ExportLogsServiceRequest: one resource (otlpd's
// service.* attributes and service.telemetry.resource), one scope, a log
// record per line with the OTel severity of its level and the line as body.
std::string EncodeOwnLogs(const std::vector<OwnLogRecord>& records, const Attributes& resource);

// A `service.telemetry.logs.processors` entry at work: records the logger
// hands over are queued (bounded by max_queue_size; past it new ones are
// dropped and counted, never waited for: the logger runs on the data path)
// and exported by one thread, in batches of max_export_batch_size at least
// every schedule_delay (`batch`) or one by one as they come (`simple`). Stop()
// exports what is queued within export_timeout. Lines logged while exporting
// (a failure warning) are not exported again, so a down backend cannot feed
// its own queue.
class LogsExporter {
 public:
  LogsExporter(OtlpLogsProcessor config, Attributes resource);
  ~LogsExporter();

  void Start();
  void Stop();
  // From any thread.
  void Enqueue(spdlog::level::level_enum level, std::chrono::system_clock::time_point time,
               std::string_view logger, std::string_view message);
  std::uint64_t dropped() const;
  std::uint64_t exported() const;

 private:
  void Loop();
  // Exports up to max_export_batch_size records from the queue's head.
  void ExportSome(std::unique_lock<std::mutex>& lock);

  const OtlpLogsProcessor config_;
  const Attributes resource_;
  OtlpSender sender_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<OwnLogRecord> queue_;
  bool stop_ = false;
  bool failing_ = false;
  std::uint64_t dropped_ = 0;
  std::uint64_t exported_ = 0;
  std::thread thread_;
};

}  // namespace otlpd::selftelemetry
