#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "component/storage.h"
#include "extensions/file_storage/config.h"
#include "extensions/file_storage/segment_log.h"

namespace otlpd::extensions::file_storage {

// otelcol-contrib's file_storage for otlpd: each client (an exporter's persistent
// sending queue) gets a crash-safe SegmentLog in its own directory under
// `directory`, locked against a second otlpd using the same one.
class FileStorageExtension : public StorageExtension {
 public:
  // `path` is the extension's config key path ("extensions.file_storage"), for
  // messages about its keys. `segment_bytes` is not a config key (otelcol has no
  // equivalent); tests make it small.
  FileStorageExtension(std::string id, std::string path, Config config,
                       std::uint64_t segment_bytes = SegmentLogOptions{}.segment_bytes);

  // Checks that `directory` is a writable directory, creating it (with
  // directory_permissions) when create_directory is set.
  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;

  // Opened queues stay usable after Shutdown; each holds its lock until destroyed.
  Result<std::unique_ptr<QueueStorage>> OpenQueue(std::string_view name) override;

  // Where the queue called `name` lives.
  std::filesystem::path QueueDirectory(std::string_view name) const;

 private:
  Status CheckDirectory(const std::string& dir, const std::string& key) const;

  const std::string id_;
  const std::string path_;
  const Config config_;
  const std::uint64_t segment_bytes_;
  std::atomic<bool> started_{false};
};

// otelcol's file_storage name sanitising: every character but A-Z a-z 0-9 . - _
// becomes "~" and its code point in (at least four) upper-case hex digits, so
// "exporter_otlp_a/b" -> "exporter_otlp_a~002Fb". Invalid UTF-8 bytes count as
// U+FFFD, as Go reads them. Names "." and ".." are escaped too, so a queue's
// directory is always inside `directory`.
std::string SanitizeQueueName(std::string_view name);

}  // namespace otlpd::extensions::file_storage
