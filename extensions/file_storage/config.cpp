#include "extensions/file_storage/config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace otlpd::extensions::file_storage {
namespace {

// otelcol's Validate looks at the directories on the machine that validates:
// missing (without create_directory), not a directory, or not reachable.
void CheckDirectory(config::MapDecoder& d, std::string_view key, const std::string& dir, bool create) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      if (create) return;
      d.Fail(key, "directory must exist: stat " + dir + ": " + std::strerror(err) +
                      ". You can enable the create_directory option to automatically create it");
    }
    d.Fail(key, "problem accessing configured directory: " + dir + ", err: stat " + dir + ": " +
                    std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) d.Fail(key, dir + " is not a directory");
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("directory", c.directory);
  if (c.directory.empty()) d.Fail("directory", "must not be empty");
  d.Optional("timeout", c.timeout);
  if (c.timeout.count() < 0) d.Fail("timeout", "must not be negative");
  d.Optional("fsync", c.fsync);
  d.Optional("create_directory", c.create_directory);
  d.Optional("directory_permissions", c.directory_permissions);
  // Checked only where used, as otelcol does: when the extension may create directories.
  if (c.create_directory) {
    const std::optional<std::uint32_t> mode = config::ParseOctal(c.directory_permissions);
    if (!mode) {
      d.Fail("directory_permissions",
             "must be an octal number such as \"0750\", not \"" + c.directory_permissions + "\"");
    }
    c.permissions = static_cast<mode_t>(*mode);
    if ((c.permissions & 0777) != c.permissions) {
      d.Fail("directory_permissions",
             "contains bits other than file access permissions (0777): \"" + c.directory_permissions + "\"");
    }
    // Another user who may write in the directory could plant a symlink or a
    // hard link where a segment goes; Start refuses such a directory too.
    if ((c.permissions & 022) != 0) {
      d.Fail("directory_permissions",
             "must not let the group or others write (" + c.directory_permissions + " has 0022 bits set)");
    }
  }

  config::MapDecoder k = d.Child("compaction");
  CompactionConfig& cc = c.compaction;
  k.Optional("on_start", cc.on_start);
  k.Optional("on_rebound", cc.on_rebound);
  k.Optional("directory", cc.directory);
  if (k.Has("directory") && cc.directory.empty()) k.Fail("directory", "must not be empty");
  if (cc.directory.empty()) cc.directory = c.directory;
  k.Optional("max_transaction_size", cc.max_transaction_size);
  if (cc.max_transaction_size < 0) k.Fail("max_transaction_size", "must not be negative");
  k.Optional("rebound_needed_threshold_mib", cc.rebound_needed_threshold_mib);
  if (cc.rebound_needed_threshold_mib < 0) k.Fail("rebound_needed_threshold_mib", "must not be negative");
  k.Optional("rebound_trigger_threshold_mib", cc.rebound_trigger_threshold_mib);
  if (cc.rebound_trigger_threshold_mib < 0) k.Fail("rebound_trigger_threshold_mib", "must not be negative");
  k.Optional("check_interval", cc.check_interval);
  if (cc.on_rebound && cc.check_interval.count() <= 0) {
    k.Fail("check_interval", "must be positive when on_rebound is set");
  }
  k.Optional("cleanup_on_start", cc.cleanup_on_start);
  k.Finish();

  // max_size caps a bbolt file in otelcol (0: no cap); here one queue's files.
  d.Optional("max_size", c.max_size);
  if (c.max_size < 0) d.Fail("max_size", "max size cannot be less than 0");
  if (c.max_size > 0 && cc.on_rebound) {
    // t MiB > max_size, without overflow: t > floor(max_size / MiB).
    constexpr std::int64_t kMiB = 1024 * 1024;
    if (cc.rebound_needed_threshold_mib > c.max_size / kMiB) {
      d.Fail("max_size", "compaction rebound needed threshold cannot be greater than max size");
    }
    if (cc.rebound_trigger_threshold_mib > c.max_size / kMiB) {
      d.Fail("max_size", "compaction rebound trigger threshold cannot be greater than max size");
    }
  }
  // recreate: otelcol renames a bbolt file it cannot open (a panic on corrupt
  // data) and starts afresh. Our segment logs always open: damaged records are
  // skipped and counted, a torn tail is cut, so recreate's outcome (keep running
  // on damaged data, keeping what is readable) is how they always behave.
  d.Optional("recreate", c.recreate);
  d.Finish();

  // As otelcol's Validate: the compaction directory matters only when compaction runs.
  CheckDirectory(d, "directory", c.directory, c.create_directory);
  if ((cc.on_start || cc.on_rebound) && k.Has("directory")) {
    CheckDirectory(k, "directory", cc.directory, c.create_directory);
  }
  return c;
}

}  // namespace otlpd::extensions::file_storage
