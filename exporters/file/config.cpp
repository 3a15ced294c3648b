#include "exporters/file/config.h"

#include <cstddef>

namespace otlpd::exporters::file {
namespace {

void DecodeRotation(config::MapDecoder& d, Rotation& r) {
  d.Optional("max_megabytes", r.max_megabytes);
  d.Optional("max_days", r.max_days);
  d.Optional("max_backups", r.max_backups);
  d.Optional("localtime", r.localtime);
  d.Finish();
  // lumberjack would take a negative size as "every write is too large" and
  // negative counts as "no limit"; neither is what anyone means.
  auto not_negative = [&d](const char* key, int value) {
    if (value < 0) d.Fail(key, "must not be negative (0 means lumberjack's default)");
  };
  not_negative("max_megabytes", r.max_megabytes);
  not_negative("max_days", r.max_days);
  not_negative("max_backups", r.max_backups);
  // Sizes are checked against a 64-bit byte count; keep the product far from overflow.
  if (r.max_megabytes > (1 << 20)) d.Fail("max_megabytes", "must be at most 1048576 (1 TiB)");
}

void DecodeGroupBy(config::MapDecoder& d, GroupBy& g) {
  d.Optional("enabled", g.enabled);
  d.Optional("resource_attribute", g.resource_attribute);
  d.Optional("max_open_files", g.max_open_files);
  d.Finish();
  if (!g.enabled) return;
  if (g.resource_attribute.empty())
    d.Fail("resource_attribute", "must not be empty when group_by is enabled");
  if (g.max_open_files < 1) d.Fail("max_open_files", "must be at least 1 when group_by is enabled");
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  if (d.Required("path", c.path) && c.path.empty()) d.Fail("path", "must not be empty");

  std::string format = "json";
  if (d.Optional("format", format)) {
    if (format == "json") {
      c.format = Format::kJson;
    } else if (format == "proto") {
      c.format = Format::kProto;
    } else {
      d.Fail("format", "must be json or proto (got \"" + format + "\")");
    }
  }

  std::string compression;
  if (d.Optional("compression", compression)) {
    if (compression == "zstd") {
      c.compression = Compression::kZstd;
    } else if (!compression.empty()) {
      d.Fail("compression", "must be zstd or empty (got \"" + compression + "\")");
    }
  }

  {
    // configcompression's params. otelcol checks them only with a compression
    // set, and zstd takes any level (mapped to the nearest one it has).
    config::MapDecoder p = d.Child("compression_params");
    p.Optional("level", c.compression_level);
    p.Finish();
  }

  d.Optional("append", c.append);
  if (d.Optional("flush_interval", c.flush_interval) && c.flush_interval.count() < 0) {
    d.Fail("flush_interval", "must not be negative");
  }
  d.Optional("create_directory", c.create_directory);

  std::string permissions;
  const bool permissions_set = d.Optional("directory_permissions", permissions) && !permissions.empty();
  if (permissions_set) {
    if (!c.create_directory) d.Fail("directory_permissions", "requires create_directory to be true");
    std::optional<std::uint32_t> mode = config::ParseOctal(permissions);
    if (!mode) {
      d.Fail("directory_permissions",
             "must be an octal number such as \"0755\" (got \"" + permissions + "\")");
    }
    if (*mode > 0777) {
      d.Fail("directory_permissions",
             "\"" + permissions + "\" has bits beyond file access permissions (0777)");
    }
    c.directory_permissions = *mode;
  }

  if (d.Has("rotation")) {
    config::MapDecoder r = d.Child("rotation");
    c.rotation.emplace();
    DecodeRotation(r, *c.rotation);
  }
  {
    config::MapDecoder g = d.Child("group_by");
    DecodeGroupBy(g, c.group_by);
  }

  const config::Node* encoding = d.Take("encoding");
  if (encoding != nullptr && !encoding->IsNull() && !(encoding->IsScalar() && encoding->scalar().empty())) {
    d.Fail("encoding", "encoding extensions are not supported by otlpd; use format: json or proto");
  }
  d.Finish();

  // The combination otelcol's Validate refuses (append with zstd is fine:
  // zstd frames appended to a file still decode one after another).
  if (c.append && c.rotation) {
    d.Fail("append", "cannot be true together with rotation (otelcol does not support it either)");
  }
  if (c.group_by.enabled) {
    const std::size_t star = c.path.find('*');
    if (star == std::string::npos || c.path.find('*', star + 1) != std::string::npos) {
      d.Fail("path", "must contain exactly one * when group_by is enabled (got \"" + c.path + "\")");
    }
    if (star == 0) d.Fail("path", "must not start with * when group_by is enabled");
  }
  return c;
}

}  // namespace otlpd::exporters::file
