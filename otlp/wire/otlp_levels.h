// The container levels of an OTLP request and item counting over them (internal to otlp/wire).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "internal/signal.h"
#include "otlp/wire/otlp_schema.h"

namespace otlpd::wire::schema {

// The repeated child field of a container level. kMetric has none fixed: its
// children are occurrences of its active data member (see FindMetricData).
constexpr std::uint32_t ChildField(Level level) {
  switch (level) {
    case Level::kRequest: return 1;
    case Level::kResource: return 2;
    case Level::kScope: return 2;
    case Level::kData: return 1;
    case Level::kMetric:
    case Level::kLeaf: return 0;
  }
  return 0;
}

constexpr Level ChildLevel(Signal signal, Level level) {
  switch (level) {
    case Level::kRequest: return Level::kResource;
    case Level::kResource: return Level::kScope;
    case Level::kScope: return signal == Signal::kMetrics ? Level::kMetric : Level::kLeaf;
    case Level::kMetric: return Level::kData;
    case Level::kData:
    case Level::kLeaf: return Level::kLeaf;
  }
  return Level::kLeaf;
}

// The data member a Metric ends up with after protobuf's oneof rules (the
// last member seen wins; repeats of it merge) and the offset where the run of
// occurrences that survive starts. field == 0: the metric has no data.
struct MetricData {
  std::uint32_t field = 0;
  std::size_t offset = 0;
};
MetricData FindMetricData(std::string_view metric);

// Items inside one message of `level` (a leaf is one item; a Profile holds
// its samples). Meant for
// validated bytes; stops counting at malformed input without reading past it.
std::uint64_t CountItems(Signal signal, Level level, std::string_view message);

}  // namespace otlpd::wire::schema
