#include "exporters/file/config.h"

#include <catch2/catch.hpp>

#include <string>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"

namespace otlpd::exporters::file {
namespace {

using Catch::Contains;

// Decodes the `file` section of a YAML text the way the factory does.
Config Decode(const std::string& yaml) {
  config::Node root = config::ParseYaml(yaml, "cfg.yaml");
  const config::Node* section = root.Find("file");
  REQUIRE(section != nullptr);
  config::MapDecoder d(*section, "exporters.file");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

TEST_CASE("only path given: otelcol's defaults", "[file][config]") {
  Config c = Decode("file:\n  path: out.json\n");
  CHECK(c.path == "out.json");
  CHECK(c.format == Format::kJson);
  CHECK_FALSE(c.append);
  CHECK_FALSE(c.rotation.has_value());
  CHECK(c.compression == Compression::kNone);
  CHECK(c.flush_interval == std::chrono::seconds(1));
  CHECK_FALSE(c.create_directory);
  CHECK(c.directory_permissions == 0755);
  CHECK_FALSE(c.group_by.enabled);
  CHECK(c.group_by.resource_attribute == "fileexporter.path_segment");
  CHECK(c.group_by.max_open_files == 100);
}

TEST_CASE("every key decodes", "[file][config]") {
  Config c = Decode(
      "file:\n"
      "  path: /var/otel/*/data.bin\n"
      "  format: proto\n"
      "  compression: zstd\n"
      "  flush_interval: 250ms\n"
      "  create_directory: true\n"
      "  directory_permissions: \"0750\"\n"
      "  rotation:\n"
      "    max_megabytes: 10\n"
      "    max_days: 3\n"
      "    max_backups: 7\n"
      "    localtime: true\n"
      "  group_by:\n"
      "    enabled: true\n"
      "    resource_attribute: service.name\n"
      "    max_open_files: 12\n"
      "  encoding: \"\"\n");
  CHECK(c.path == "/var/otel/*/data.bin");
  CHECK(c.format == Format::kProto);
  CHECK(c.compression == Compression::kZstd);
  CHECK(c.flush_interval == std::chrono::milliseconds(250));
  CHECK(c.create_directory);
  CHECK(c.directory_permissions == 0750);
  REQUIRE(c.rotation.has_value());
  CHECK(c.rotation->max_megabytes == 10);
  CHECK(c.rotation->MaxBytes() == 10u << 20);
  CHECK(c.rotation->max_days == 3);
  CHECK(c.rotation->max_backups == 7);
  CHECK(c.rotation->localtime);
  CHECK(c.group_by.enabled);
  CHECK(c.group_by.resource_attribute == "service.name");
  CHECK(c.group_by.max_open_files == 12);
}

TEST_CASE("a rotation block present but empty turns rotation on with lumberjack's defaults",
          "[file][config]") {
  for (const char* yaml :
       {"file:\n  path: a.json\n  rotation:\n", "file:\n  path: a.json\n  rotation: {}\n"}) {
    Config c = Decode(yaml);
    REQUIRE(c.rotation.has_value());
    CHECK(c.rotation->max_megabytes == 100);
    CHECK(c.rotation->MaxBytes() == 100u << 20);
    CHECK(c.rotation->max_days == 0);
    CHECK(c.rotation->max_backups == 100);
    CHECK_FALSE(c.rotation->localtime);
  }
  // lumberjack reads 0 megabytes as its default size.
  CHECK(Decode("file:\n  path: a\n  rotation:\n    max_megabytes: 0\n").rotation->MaxBytes() == 100u << 20);
}

TEST_CASE("a typo of path is named as the unknown key it is, before path is missing", "[file][config]") {
  CHECK(DecodeError("file:\n  pathh: out.json\n") == "cfg.yaml:2:3: exporters.file: has invalid keys: pathh");
  CHECK(DecodeError("file:\n  format: json\n  Path: out.json\n") ==
        "cfg.yaml:3:3: exporters.file: has invalid keys: Path");
  // Without an unknown key, the missing one is reported.
  CHECK(DecodeError("file:\n") == "cfg.yaml:1:1: exporters.file.path: is required");
}

TEST_CASE("compression_params.level sets the zstd level; any level is accepted", "[file][config]") {
  CHECK(Decode("file:\n  path: a\n").compression_level == 0);
  CHECK(Decode("file:\n  path: a\n  compression: zstd\n  compression_params:\n    level: 19\n")
            .compression_level == 19);
  CHECK(Decode("file:\n  path: a\n  compression: zstd\n  compression_params: {level: -5}\n")
            .compression_level == -5);
  CHECK_THAT(DecodeError("file:\n  path: a\n  compression_params: {window: 3}\n"),
             Contains("exporters.file.compression_params: has invalid keys: window"));
  CHECK_THAT(DecodeError("file:\n  path: a\n  compression_params: {level: high}\n"),
             Contains("exporters.file.compression_params.level"));
}

TEST_CASE("unsupported values and combinations are refused with their location and key", "[file][config]") {
  CHECK(DecodeError("file:\n  format: json\n") == "cfg.yaml:2:3: exporters.file.path: is required");
  CHECK(DecodeError("file:\n  path: \"\"\n") == "cfg.yaml:2:9: exporters.file.path: must not be empty");
  CHECK(DecodeError("file:\n  path: a\n  format: xml\n") ==
        "cfg.yaml:3:11: exporters.file.format: must be json or proto (got \"xml\")");
  CHECK(DecodeError("file:\n  path: a\n  compression: gzip\n") ==
        "cfg.yaml:3:16: exporters.file.compression: must be zstd or empty (got \"gzip\")");
  // contrib v0.165.1 forbids append only together with rotation.
  CHECK(Decode("file:\n  path: a\n  append: true\n  compression: zstd\n").append);
  CHECK(DecodeError("file:\n  path: a\n  append: true\n  rotation:\n") ==
        "cfg.yaml:3:11: exporters.file.append: cannot be true together with rotation (otelcol does not "
        "support it "
        "either)");
  CHECK(DecodeError("file:\n  path: a\n  flush_interval: -1s\n") ==
        "cfg.yaml:3:19: exporters.file.flush_interval: must not be negative");
  CHECK_THAT(DecodeError("file:\n  path: a\n  flush_interval: soon\n"),
             Contains("cfg.yaml:3:19: exporters.file.flush_interval: invalid duration"));
  CHECK(
      DecodeError("file:\n  path: a\n  rotation:\n    max_days: -2\n") ==
      "cfg.yaml:4:15: exporters.file.rotation.max_days: must not be negative (0 means lumberjack's default)");
  CHECK(DecodeError("file:\n  path: a\n  rotation:\n    max_backups: -1\n") ==
        "cfg.yaml:4:18: exporters.file.rotation.max_backups: must not be negative (0 means lumberjack's "
        "default)");
  CHECK_THAT(DecodeError("file:\n  path: a\n  rotation:\n    max_megabytes: lots\n"),
             Contains("cfg.yaml:4:20: exporters.file.rotation.max_megabytes:"));
  CHECK_THAT(DecodeError("file:\n  path: a\n  rotation:\n    max_size: 3\n"),
             Contains("exporters.file.rotation") && Contains("max_size"));
  CHECK_THAT(DecodeError("file:\n  path: a\n  rotation: 5\n"), Contains("exporters.file.rotation"));
  CHECK_THAT(DecodeError("file:\n  path: a\n  colour: red\n"),
             Contains("exporters.file") && Contains("colour"));
  CHECK(DecodeError("file:\n  path: a\n  encoding: text_encoding\n") ==
        "cfg.yaml:3:13: exporters.file.encoding: encoding extensions are not supported by otlpd; use format: "
        "json or proto");
}

TEST_CASE("directory_permissions: octal, permission bits only, only with create_directory",
          "[file][config]") {
  CHECK(Decode("file:\n  path: a\n  create_directory: true\n  directory_permissions: \"700\"\n")
            .directory_permissions == 0700);
  CHECK(Decode("file:\n  path: a\n  create_directory: true\n  directory_permissions: \"0711\"\n")
            .directory_permissions == 0711);
  // Unquoted, 0711 is a YAML int, which otelcol refuses for this string option.
  CHECK_THAT(DecodeError("file:\n  path: a\n  create_directory: true\n  directory_permissions: 0711\n"),
             Contains("expected type 'string', got unconvertible type 'int'"));
  CHECK(DecodeError("file:\n  path: a\n  directory_permissions: \"0755\"\n") ==
        "cfg.yaml:3:26: exporters.file.directory_permissions: requires create_directory to be true");
  CHECK(DecodeError("file:\n  path: a\n  create_directory: true\n  directory_permissions: \"0789\"\n") ==
        "cfg.yaml:4:26: exporters.file.directory_permissions: must be an octal number such as \"0755\" (got "
        "\"0789\")");
  CHECK(DecodeError("file:\n  path: a\n  create_directory: true\n  directory_permissions: \"1755\"\n") ==
        "cfg.yaml:4:26: exporters.file.directory_permissions: \"1755\" has bits beyond file access "
        "permissions (0777)");
}

TEST_CASE("group_by needs one * in the path, not at its start, and a usable attribute", "[file][config]") {
  const std::string on = "  group_by:\n    enabled: true\n";
  CHECK(Decode("file:\n  path: out/*.json\n" + on).group_by.enabled);
  CHECK(DecodeError("file:\n  path: out/data.json\n" + on) ==
        "cfg.yaml:2:9: exporters.file.path: must contain exactly one * when group_by is enabled (got "
        "\"out/data.json\")");
  CHECK_THAT(DecodeError("file:\n  path: out/*/*.json\n" + on), Contains("exactly one *"));
  CHECK(DecodeError("file:\n  path: \"*.json\"\n" + on) ==
        "cfg.yaml:2:9: exporters.file.path: must not start with * when group_by is enabled");
  CHECK(DecodeError("file:\n  path: o/*\n" + on + "    resource_attribute: \"\"\n") ==
        "cfg.yaml:5:25: exporters.file.group_by.resource_attribute: must not be empty when group_by is "
        "enabled");
  CHECK(DecodeError("file:\n  path: o/*\n" + on + "    max_open_files: 0\n") ==
        "cfg.yaml:5:21: exporters.file.group_by.max_open_files: must be at least 1 when group_by is enabled");
  // Disabled, the path is taken as it is (a literal `*` in a file name).
  CHECK(Decode("file:\n  path: a*b*c\n  group_by:\n    enabled: false\n    max_open_files: 0\n").path ==
        "a*b*c");
}

}  // namespace
}  // namespace otlpd::exporters::file
