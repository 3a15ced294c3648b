#include "extensions/file_storage/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"
#include "test/support/process.h"

using namespace otlpd;
using namespace otlpd::extensions::file_storage;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "c.yaml");
  config::MapDecoder d(node, "extensions.file_storage");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

}  // namespace

TEST_CASE("file_storage config: otelcol-contrib's defaults") {
  // The default directory need not exist here: create_directory lets it be missing.
  const Config c = Decode("create_directory: true\n");
  CHECK(c.directory == "/var/lib/otelcol/file_storage");
  CHECK(c.timeout == 1s);
  CHECK_FALSE(c.fsync);
  CHECK_FALSE(c.recreate);
  CHECK(c.directory_permissions == "0750");
  CHECK(c.permissions == 0750);
  CHECK_FALSE(c.compaction.on_start);
  CHECK_FALSE(c.compaction.on_rebound);
  CHECK(c.compaction.directory == "/var/lib/otelcol/file_storage");
  CHECK(c.compaction.max_transaction_size == 65536);
  CHECK(c.compaction.rebound_needed_threshold_mib == 100);
  CHECK(c.compaction.rebound_trigger_threshold_mib == 10);
  CHECK(c.compaction.check_interval == 5s);
  CHECK_FALSE(c.compaction.cleanup_on_start);
  // A null section (`file_storage:` alone) is all defaults too: the default
  // directory, which must then exist.
  if (!std::filesystem::exists("/var/lib/otelcol/file_storage")) {
    CHECK_THAT(DecodeError(""), Contains("extensions.file_storage.directory: directory must exist") &&
                                    Contains("/var/lib/otelcol/file_storage"));
  }
}

TEST_CASE("file_storage config: every key") {
  const Config c = Decode(
      "directory: /data/otlpd\n"
      "timeout: 250ms\n"
      "fsync: true\n"
      "create_directory: true\n"
      "directory_permissions: \"0700\"\n"
      "compaction:\n"
      "  on_start: true\n"
      "  on_rebound: true\n"
      "  directory: /tmp/compact\n"
      "  max_transaction_size: 1024\n"
      "  rebound_needed_threshold_mib: 50\n"
      "  rebound_trigger_threshold_mib: 5\n"
      "  check_interval: 30s\n"
      "  cleanup_on_start: true\n");
  CHECK(c.directory == "/data/otlpd");
  CHECK(c.timeout == 250ms);
  CHECK(c.fsync);
  CHECK(c.create_directory);
  CHECK(c.directory_permissions == "0700");
  CHECK(c.permissions == 0700);
  CHECK(c.compaction.on_start);
  CHECK(c.compaction.on_rebound);
  CHECK(c.compaction.directory == "/tmp/compact");
  CHECK(c.compaction.max_transaction_size == 1024);
  CHECK(c.compaction.rebound_needed_threshold_mib == 50);
  CHECK(c.compaction.rebound_trigger_threshold_mib == 5);
  CHECK(c.compaction.check_interval == 30s);
  CHECK(c.compaction.cleanup_on_start);
  // Go's base-8 parse takes the digits with or without the leading 0.
  CHECK(Decode("directory_permissions: \"755\"\ncreate_directory: true\n").permissions == 0755);
  // compaction.directory follows directory unless given.
  CHECK(Decode("directory: /x\ncreate_directory: true\n").compaction.directory == "/x");
}

TEST_CASE("file_storage config: errors name the file, line, column and key path") {
  CHECK_THAT(DecodeError("directory_permissions: \"0789\"\ncreate_directory: true\n"),
             Contains("c.yaml:1:24") && Contains("extensions.file_storage.directory_permissions") &&
                 Contains("octal"));
  CHECK_THAT(DecodeError("directory_permissions: \"rwx\"\ncreate_directory: true\n"),
             Contains("extensions.file_storage.directory_permissions"));
  CHECK_THAT(DecodeError("directory_permissions: \"0770\"\ncreate_directory: true\n"),
             Contains("c.yaml:1:24") && Contains("extensions.file_storage.directory_permissions") &&
                 Contains("group or others"));
  CHECK_THAT(DecodeError("directory_permissions: \"1777\"\ncreate_directory: true\n"),
             Contains("extensions.file_storage.directory_permissions") && Contains("0777"));
  CHECK_THAT(DecodeError("timeout: soon\n"),
             Contains("c.yaml:1:10") && Contains("extensions.file_storage.timeout"));
  CHECK_THAT(DecodeError("timeout: -1s\n"),
             Contains("extensions.file_storage.timeout") && Contains("negative"));
  CHECK_THAT(DecodeError("fsync: maybe\n"), Contains("extensions.file_storage.fsync"));
  CHECK_THAT(DecodeError("directory: \"\"\n"), Contains("extensions.file_storage.directory"));
  CHECK_THAT(DecodeError("compaction:\n  max_transaction_size: -1\n"),
             Contains("c.yaml:2:25") && Contains("extensions.file_storage.compaction.max_transaction_size"));
  CHECK_THAT(DecodeError("compaction:\n  rebound_needed_threshold_mib: -5\n"),
             Contains("extensions.file_storage.compaction.rebound_needed_threshold_mib"));
  CHECK_THAT(DecodeError("compaction:\n  on_rebound: true\n  check_interval: 0s\n"),
             Contains("c.yaml:3:19") && Contains("extensions.file_storage.compaction.check_interval") &&
                 Contains("on_rebound"));
  CHECK_THAT(DecodeError("compaction:\n  check_interval: often\n"),
             Contains("extensions.file_storage.compaction.check_interval"));
  CHECK_THAT(DecodeError("compaction:\n  on_start: yes please\n"),
             Contains("extensions.file_storage.compaction.on_start"));
  CHECK_THAT(DecodeError("compaction:\n  shrink: true\n"),
             Contains("extensions.file_storage.compaction") && Contains("shrink"));
  CHECK_THAT(DecodeError("directry: /x\n"), Contains("has invalid keys: directry"));
  // Without on_rebound a zero check_interval is accepted, as otelcol does.
  CHECK(Decode("compaction:\n  check_interval: 0s\ncreate_directory: true\n").compaction.check_interval ==
        0s);
}

TEST_CASE("file_storage config: the directories are checked at validate time, as otelcol's Validate does") {
  test::TempDir tmp;
  const std::string dir = tmp.path().string();
  const std::string missing = (tmp / "missing").string();
  const std::string file = (tmp / "file").string();
  test::WriteFile(file, "x");
  CHECK(Decode("directory: " + dir + "\n").directory == dir);
  CHECK_THAT(
      DecodeError("directory: " + missing + "\n"),
      Contains("c.yaml:1:12: extensions.file_storage.directory: directory must exist: stat " + missing) &&
          Contains("create_directory"));
  CHECK_THAT(DecodeError("directory: " + missing + "\ncreate_directory: false\n"),
             Contains("directory must exist"));
  CHECK(Decode("directory: " + missing + "\ncreate_directory: true\n").create_directory);
  CHECK_THAT(DecodeError("directory: " + file + "\n"),
             Contains("extensions.file_storage.directory: " + file + " is not a directory"));
  // compaction.directory counts only when compaction runs.
  CHECK_THAT(
      DecodeError("directory: " + dir + "\ncompaction:\n  on_start: true\n  directory: " + missing + "\n"),
      Contains("c.yaml:4:14: extensions.file_storage.compaction.directory: directory must exist"));
  CHECK_THAT(
      DecodeError("directory: " + dir + "\ncompaction:\n  on_rebound: true\n  directory: " + file + "\n"),
      Contains("is not a directory"));
  CHECK(Decode("directory: " + dir + "\ncompaction:\n  directory: " + missing + "\n").compaction.directory ==
        missing);
  // Permissions are parsed only where used: with create_directory.
  CHECK(Decode("directory: " + dir + "\ndirectory_permissions: abc\n").permissions == 0750);
}

TEST_CASE("file_storage config: recreate is accepted, max_size checked as otelcol does") {
  test::TempDir tmp;
  const std::string dir = "directory: " + tmp.path().string() + "\n";
  CHECK(Decode(dir + "recreate: true\n").recreate);
  CHECK(Decode(dir + "max_size: 0\n").directory == tmp.path().string());
  CHECK_THAT(DecodeError(dir + "max_size: -1\n"),
             Contains("extensions.file_storage.max_size: max size cannot be less than 0"));
  CHECK(Decode(dir + "max_size: 268435456\n").max_size == 268435456);
  // With rebound compaction, both thresholds must fit in max_size (defaults 100 and 10 MiB).
  CHECK_THAT(DecodeError(dir + "max_size: 52428800\ncompaction:\n  on_rebound: true\n"),
             Contains("compaction rebound needed threshold cannot be greater than max size"));
  CHECK_THAT(
      DecodeError(dir +
                  "max_size: 5242880\ncompaction:\n  on_rebound: true\n  rebound_needed_threshold_mib: 5\n"),
      Contains("compaction rebound trigger threshold cannot be greater than max size"));
  CHECK(Decode(dir + "max_size: 104857600\ncompaction:\n  on_rebound: true\n").max_size == 104857600);
  CHECK_THAT(DecodeError(dir + "recreate: sometimes\n"), Contains("extensions.file_storage.recreate"));
}
