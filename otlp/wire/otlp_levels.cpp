#include "otlp/wire/otlp_levels.h"

#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::wire::schema {

MetricData FindMetricData(std::string_view metric) {
  MetricData data;
  Reader reader(metric);
  Field field;
  while (true) {
    const char* start = reader.Position();
    if (reader.AtEnd() || !reader.ReadField(field, kMaxNestingDepth)) break;
    if (!IsMetricDataField(field.number) || field.type != WireType::kLen) continue;
    if (field.number != data.field) {
      data.field = field.number;
      data.offset = static_cast<std::size_t>(start - metric.data());
    }
  }
  return data;
}

namespace {

// A Profile's items: its samples (field 2).
std::uint64_t CountSamples(std::string_view profile) {
  std::uint64_t samples = 0;
  Reader reader(profile);
  Field field;
  while (!reader.AtEnd() && reader.ReadField(field, kMaxNestingDepth)) {
    if (field.number == 2 && field.type == WireType::kLen) ++samples;
  }
  return samples;
}

}  // namespace

std::uint64_t CountItems(Signal signal, Level level, std::string_view message) {
  if (level == Level::kLeaf) return signal == Signal::kProfiles ? CountSamples(message) : 1;
  std::uint32_t child_field = ChildField(level);
  if (level == Level::kMetric) {
    MetricData data = FindMetricData(message);
    if (data.field == 0) return 0;
    message.remove_prefix(data.offset);
    child_field = data.field;
  }
  Level child_level = ChildLevel(signal, level);
  std::uint64_t items = 0;
  Reader reader(message);
  Field field;
  while (!reader.AtEnd() && reader.ReadField(field, kMaxNestingDepth)) {
    if (field.number != child_field || field.type != WireType::kLen) continue;
    items += child_level == Level::kLeaf && signal != Signal::kProfiles
                 ? 1
                 : CountItems(signal, child_level, field.payload);
  }
  return items;
}

}  // namespace otlpd::wire::schema
