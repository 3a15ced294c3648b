// contrib's metric identities (internal/exp/metrics/identity with
// pkg/pdatautil.MapHash, v0.161.0), computed on the wire: the identifiers
// the loadbalancing exporter hashes for routing_key resource and streamID.
//
//   MapHash(attrs): 16 bytes; zeros for an empty map; else over a buffer of
//     every key in sorted order (0xf4 key value) with values written as
//     0xf7 str | 0xf8 true | 0xf9 false | 0xfa int64 LE | 0xfb float64 bits LE |
//     0xfc map 0xfd | 0xfe values 0xff | 0xf6 bytes | 0xf5 empty,
//     the hash is XXH64(buf) LE then XXH64(buf 0xf3) LE.
//   resource identity: FNV-1a 64 of MapHash(resource attributes), "resource/%x".
//   stream identity: FNV-1a 64 over resource MapHash, scope name, version,
//     scope MapHash, metric name, unit, {type, monotonic, temporality} and the
//     point's MapHash, "stream/%x".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/loadbalancing/routing.h"
#include "internal/status.h"

namespace otlpd::exporters::loadbalancing {

// A metric taken apart for per-point routing: each point can be re-emitted
// in a copy of its metric (header fields kept) holding that point alone.
struct MetricPoints {
  std::uint32_t data_field = 0;        // 0: the metric has no data
  std::uint32_t attributes_field = 0;  // of its data points
  std::string metric_header;           // every Metric field but the data member
  std::string data_header;             // every field of the data member but its points
  std::vector<std::string_view> points;
};
MetricPoints ParseMetricPoints(std::string_view metric);
// Appends a Metric entry (field 2 of a ScopeMetrics) holding `point` alone.
void AppendPointMetric(std::string& out, const MetricPoints& m, std::string_view point);

// MapHash of the repeated KeyValue fields numbered `field` of `message`.
std::array<unsigned char, 16> MapHash(std::string_view message, std::uint32_t field);

// "resource/<hex>" of a Resource message.
std::string ResourceIdentity(std::string_view resource);

// Metrics by streamID: one identifier per data point; each point travels in
// a copy of its metric (header fields kept) holding that point alone.
Result<RouteResult> RouteStreams(std::string_view request, const Chooser& choose);

}  // namespace otlpd::exporters::loadbalancing
