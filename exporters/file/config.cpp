#include "exporters/file/config.h"

namespace otlpd::exporters::file {

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Required("path", c.path);
  if (c.path.empty()) d.Fail("path", "must not be empty");
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
  d.Optional("append", c.append);
  if (d.Optional("flush_interval", c.flush_interval) && c.flush_interval.count() < 0) {
    d.Fail("flush_interval", "must not be negative");
  }
  d.Optional("create_directory", c.create_directory);
  std::string permissions;
  d.Optional("directory_permissions", permissions);
  for (std::string_view key : {"compression", "rotation", "group_by", "encoding"}) {
    const config::Node* n = d.Take(key);
    if (n != nullptr && !n->IsNull() && !(n->IsScalar() && n->scalar().empty())) {
      d.Fail(key, "is not supported yet");
    }
  }
  d.Finish();
  return c;
}

}  // namespace otlpd::exporters::file
