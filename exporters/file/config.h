#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/decoder.h"

namespace otlpd::exporters::file {

enum class Format { kJson, kProto };
enum class Compression { kNone, kZstd };

// lumberjack's rotation settings as otelcol passes them on. Zero means
// lumberjack's default: 100 MB, keep backups of any age, keep every backup.
struct Rotation {
  int max_megabytes = 100;
  int max_days = 0;
  int max_backups = 100;
  bool localtime = false;  // backup timestamps in local time instead of UTC

  std::uint64_t MaxBytes() const {
    return static_cast<std::uint64_t>(max_megabytes > 0 ? max_megabytes : 100) << 20;
  }
};

struct GroupBy {
  bool enabled = false;
  std::string resource_attribute = "fileexporter.path_segment";
  int max_open_files = 100;
};

// The `file` exporter's options, named and defaulted as otelcol-contrib's.
struct Config {
  std::string path;  // required; with group_by it holds exactly one `*`
  Format format = Format::kJson;
  bool append = false;
  // Present as soon as the `rotation` key is (even empty): otelcol turns
  // rotation on whenever the block is written.
  std::optional<Rotation> rotation;
  Compression compression = Compression::kNone;
  // compression_params.level: zstd's level for each frame; 0 is zstd's
  // default (3), levels beyond zstd's range are clamped to it.
  int compression_level = 0;
  // 0 writes every payload as it comes (otelcol would use 1s instead).
  std::chrono::nanoseconds flush_interval = std::chrono::seconds(1);
  bool create_directory = false;
  // Mode for directories the exporter creates (before the umask): those of
  // create_directory and the parents of group_by files.
  std::uint32_t directory_permissions = 0755;
  GroupBy group_by;

  // Reads every key, rejects unknown ones and bad values or combinations;
  // throws config::Error naming the key path ("exporters.file.rotation.max_days: ...").
  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::exporters::file
