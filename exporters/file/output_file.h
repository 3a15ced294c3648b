#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "internal/status.h"

namespace otlpd::exporters::file {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

// lumberjack's rotation, in bytes and days.
struct RotationPolicy {
  std::uint64_t max_bytes = 100u << 20;
  int max_days = 0;     // 0: backups are kept whatever their age
  int max_backups = 0;  // 0: every backup is kept
  bool localtime = false;
};

struct OutputFileOptions {
  std::string path;
  // Without rotation: start from an empty file (false: append). With
  // rotation the current file is always continued, as lumberjack does.
  bool truncate = true;
  std::optional<RotationPolicy> rotation;
  // Time for backup names and for max_days.
  WallClock now = [] { return std::chrono::system_clock::now(); };
};

// The result of OutputFile::Write.
struct WriteOutcome {
  std::size_t records = 0;  // records written whole, from the front
  std::string error;        // empty when all were written
  int error_number = 0;     // errno of the failure, 0 if none
};

// One output file, optionally rotated the way timberjack (contrib v0.165.1's
// file exporter's rotating writer; lumberjack before) does it:
//  - the file at `path` is the current one; one that exists is continued
//    unless it is already full;
//  - when a record would push it past max_bytes it is renamed to
//    <name>-<time>-size<ext>, time formatted 2006-01-02T15-04-05.000 in UTC
//    (or local time), e.g. data-2022-09-14T05-02-14.173-size.json, and a new
//    file is started (records are never split across files);
//  - at Open, backups named the lumberjack way (<name>-<time><ext>) are
//    renamed to that form, as contrib's migrateLegacyBackups does;
//  - after each rotation (and at Open) backups beyond the newest max_backups,
//    and backups whose name time is older than max_days, are deleted; as in
//    timberjack, any reason after the time and a .gz or .zst suffix count.
// One deviation: a backup is never named at or before the newest existing
// one. timberjack names it after the clock (adding "_1", "_2" to the reason
// when the name is taken), so after a clock step back the newest data sorts
// as the oldest and is deleted first; here the name moves a millisecond past
// the newest backup instead.
// Not thread-safe: the exporter serialises writers.
class OutputFile {
 public:
  explicit OutputFile(OutputFileOptions options);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  Status Open();
  bool is_open() const { return fd_ >= 0; }
  // errno of the last failed Open (0 if it succeeded).
  int last_errno() const { return last_errno_; }
  const std::string& path() const { return options_.path; }

  // Writes the records that `bytes` holds (record i ends at ends[i]) in
  // order, whole: a failed or short write is cut back off the file, so a
  // reader never sees part of a record. Opens the file if it is not open.
  WriteOutcome Write(std::string_view bytes, std::span<const std::size_t> ends);

  // fsync (when asked) and close; Write reopens.
  void Close(bool sync);

  // Backup file names of this file present now, newest first (for tests and logs).
  std::vector<std::string> Backups() const;

  // The backup name timberjack gives `path` for a size rotation at `t`.
  static std::string BackupName(std::string_view path, std::chrono::system_clock::time_point t,
                                bool localtime);

 private:
  Status OpenExistingOrNew();
  Status OpenNew();
  Status Rotate();
  void RemoveOldBackups();
  // Writes data at the end of the file; on failure truncates back to where it started.
  bool WriteChunk(std::string_view data, WriteOutcome& outcome);

  OutputFileOptions options_;
  int fd_ = -1;
  int last_errno_ = 0;
  std::uint64_t size_ = 0;  // current file size (rotation only)
  std::string dir_;
  std::string prefix_;  // file name without extension, then "-"
  std::string ext_;
};

}  // namespace otlpd::exporters::file
