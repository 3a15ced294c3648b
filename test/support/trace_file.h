#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/proto_file.h"

namespace otlpd::test {

// The name of every span in a `format: proto` file of trace requests, each as
// often as it was written. A record still being written, or one that does not
// parse, contributes nothing.
inline std::multiset<std::string> SpanNamesInProtoFile(const std::filesystem::path& path) {
  std::multiset<std::string> names;
  using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
  for (const Request& req : ParseProtoRecords<Request>(ReadProtoRecords(path))) {
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) names.insert(s.name());
      }
    }
  }
  return names;
}

}  // namespace otlpd::test
