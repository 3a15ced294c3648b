// Splitting a serialized OTLP request by routing identifier, on the wire.
//
// contrib decodes each request, splits it per identifier (trace id, service
// name, ...) and copies the pieces into one request per backend. Here the
// same split is a walk over tags and lengths: entries that go whole to one
// backend (a resource for service routing, a span for trace routing) are
// copied byte for byte, and each resource and scope that is cut is re-written
// in every part with its header fields (everything but its repeated child
// field: resource/scope, schema_url, unknown fields) and a fresh length.
// A request whose items all go to one backend is passed on as is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/loadbalancing/config.h"
#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd::exporters::loadbalancing {

// One backend's share of a request.
struct Part {
  int destination = -1;  // what the chooser returned
  std::string bytes;     // a complete Export*ServiceRequest
  std::uint64_t items = 0;
};

// Maps a routing identifier (the bytes contrib hashes) to a destination.
// Called once per distinct identifier of a request.
using Chooser = std::function<int(std::string_view identifier)>;

struct RouteOptions {
  Signal signal = Signal::kTraces;
  RoutingKey key = RoutingKey::kTraceId;  // resolved for the signal (Config::KeyFor)
  std::vector<std::string> attributes;    // routing_attributes
  // logs by traceID: records without a trace id get a random identifier
  // (contrib: 4 random bytes then zeros, as hex). Tests inject it.
  std::function<std::uint32_t()> random;
};

// Splits `request` (validated bytes) into one part per destination, in the
// order destinations are first met. `whole` set when every item went to a
// single destination (parts[0].bytes is then empty: pass the original on).
// Metrics by service: resources without a string service.name are dropped,
// and *dropped counts their data points (contrib logs them; if nothing is
// left it fails permanently).
struct RouteResult {
  std::vector<Part> parts;
  bool whole = false;
  std::uint64_t dropped_items = 0;
};
Result<RouteResult> Route(const RouteOptions& options, std::string_view request, const Chooser& choose);

// The identifiers (as contrib computes them) for the service/attributes
// routing of a trace batch, exposed for tests: "service.name=<value>|".
std::string AttributeKey(std::string_view name, std::string_view value);

}  // namespace otlpd::exporters::loadbalancing
