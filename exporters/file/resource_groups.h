#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd::exporters::file {

// The resources of one request that share a value of the grouping attribute.
struct ResourceGroup {
  std::string value;    // the attribute's string value
  std::string request;  // their resource entries, byte for byte: a complete Export*ServiceRequest
  std::uint64_t items = 0;
};

struct GroupedRequest {
  std::vector<ResourceGroup> groups;  // in the order values first appear
  // Resources whose attribute is absent or not a string: otelcol drops them.
  std::size_t dropped_resources = 0;
  std::uint64_t dropped_items = 0;
};

// Splits a serialized request by the string value of one resource attribute,
// working on the wire bytes: a request is a run of field-1 resource entries,
// so the entries of one value concatenated are a request of their own. The
// attribute is read as pdata would after parsing: the first attribute with
// that key, its value a string only if a string is the AnyValue member that
// protobuf keeps (the last one on the wire). A profiles group also carries
// the request's dictionary. InvalidArgument on malformed bytes.
Result<GroupedRequest> GroupByResourceAttribute(Signal signal, std::string_view request,
                                                std::string_view attribute);

}  // namespace otlpd::exporters::file
