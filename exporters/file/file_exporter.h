#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "exporters/file/config.h"
#include "pipeline/component.h"
#include "pipeline/telemetry.h"

namespace otlpd::exporters::file {

// Writes every payload to one file: a line of OTLP/JSON each (format json, the
// otelcol file exporter's layout), or a 4-byte big-endian length then the
// protobuf bytes (format proto). Records are buffered and written every
// flush_interval, whole: a failed or short write is cut back off the file, so
// a reader never sees half a record.
class FileExporter : public Exporter {
 public:
  FileExporter(std::string id, Config config, ComponentTelemetry* telemetry);
  ~FileExporter() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

  // Unwritten records beyond this refuse new data (back-pressure) until the
  // file accepts writes again.
  static constexpr std::size_t kMaxBuffered = 64u << 20;

 private:
  struct Pending {
    std::string bytes;
    std::array<std::uint64_t, 3> items{};
  };
  void FlushLoop();
  void Flush();  // writes pending_ whole or not at all; needs write_mu_

  std::string id_;
  Config config_;
  ComponentTelemetry* telemetry_;
  int fd_ = -1;

  std::mutex mu_;  // guards pending_, stop_
  std::condition_variable cv_;
  Pending pending_;
  bool stop_ = false;

  std::mutex write_mu_;  // one writer at a time
  std::thread flusher_;
};

}  // namespace otlpd::exporters::file
