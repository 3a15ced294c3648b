#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "exporters/file/config.h"
#include "exporters/file/group_path.h"
#include "exporters/file/output_file.h"

namespace otlpd::exporters::file {

// Writes payloads to files as otelcol's file exporter does (see record.h for
// the layout of a record and output_file.h for rotation). Records are
// encoded (and compressed) by the caller of Consume, buffered, and written
// every flush_interval, whole: a failed or short write is cut back off the
// file and retried at the next flush, so a reader never sees half a record.
//
// With group_by, every resource of a request goes to the file named by its
// value of the grouping attribute (see group_path.h); resources without it
// are dropped, as in otelcol, and counted as dropped items. At most
// max_open_files group files are open at once; the least recently written
// one is closed first and continued (not truncated) when it is written again.
class FileExporter : public Exporter {
 public:
  FileExporter(
      std::string id, Config config, ComponentTelemetry* telemetry,
      WallClock now = [] { return std::chrono::system_clock::now(); });
  ~FileExporter() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

  // Unwritten records beyond this refuse new data (back-pressure) until the
  // files accept writes again.
  static constexpr std::size_t kMaxBuffered = 64u << 20;

  // Group files open right now (at most group_by.max_open_files).
  std::size_t open_files() const;

 private:
  // Records waiting for one file, in order.
  struct Batch {
    std::string bytes;
    std::vector<std::size_t> ends;  // record i ends at ends[i]
    struct Meta {
      Signal signal;
      std::uint64_t items;
    };
    std::vector<Meta> meta;

    void Add(std::string_view record, Signal signal, std::uint64_t items);
    // The records from index `first` on.
    Batch Tail(std::size_t first) const;
    // Puts `front` before this batch's records.
    void Prepend(Batch front);
    void Count(std::size_t first, std::size_t last, std::atomic<std::uint64_t> SignalCounters::*counter,
               ComponentTelemetry& telemetry) const;
  };
  struct OpenFile {
    std::unique_ptr<OutputFile> file;
    std::list<std::string>::iterator lru;
  };

  void FlushLoop();
  void Flush();  // needs write_mu_
  // The open file for `path`, opening it (and closing the least recently
  // used group file) when needed. nullptr with *error and *error_number
  // when it cannot be opened. Needs write_mu_.
  OutputFile* Acquire(const std::string& path, std::string* error, int* error_number);
  void RefuseValue(std::string_view value, std::uint64_t items, Signal signal);

  std::string id_;
  Config config_;
  ComponentTelemetry* telemetry_;
  WallClock now_;
  std::optional<GroupPath> group_path_;  // set when group_by is enabled

  std::mutex mu_;  // guards pending_, pending_bytes_, stop_
  std::condition_variable cv_;
  std::unordered_map<std::string, Batch> pending_;  // by file path
  std::size_t pending_bytes_ = 0;                   // including batches being written
  bool stop_ = false;

  mutable std::mutex write_mu_;  // guards the files; one writer at a time
  std::unordered_map<std::string, OpenFile> open_;
  std::list<std::string> lru_;  // open paths, most recently used first
  // Group paths opened before in this run: reopened after eviction they are
  // continued, not truncated again.
  std::unordered_set<std::string> opened_before_;
  bool shut_down_ = false;

  std::thread flusher_;
  std::atomic<std::uint64_t> refused_values_{0};
};

}  // namespace otlpd::exporters::file
