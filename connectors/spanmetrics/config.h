#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"

namespace otlpd::connectors::spanmetrics {

// A configured dimension: the attribute `name`, looked up on the span, then
// (events) the event, then the resource; `default_value` when none has it.
struct Dimension {
  std::string name;
  std::optional<std::string> default_value;
};

enum class Unit { kMilliseconds, kSeconds };

// contrib spanmetricsconnector v0.161.0's Config, with its defaults.
struct Config {
  std::vector<Dimension> dimensions;
  std::vector<Dimension> calls_dimensions;
  std::vector<std::string> exclude_dimensions;
  int dimensions_cache_size = 0;  // deprecated in contrib (a warning, no effect)
  int resource_metrics_cache_size = 1000;
  std::vector<std::string> resource_metrics_key_attributes;
  std::string aggregation_temporality = "AGGREGATION_TEMPORALITY_CUMULATIVE";

  bool histogram_disable = false;
  Unit unit = Unit::kMilliseconds;
  bool explicit_present = false;
  bool explicit_buckets_set = false;
  std::vector<std::chrono::nanoseconds> explicit_buckets;
  bool exponential_present = false;
  std::int32_t exponential_max_size = 0;  // 0: 160
  std::vector<Dimension> histogram_dimensions;

  std::chrono::nanoseconds metrics_flush_interval = std::chrono::seconds(60);
  std::chrono::nanoseconds metrics_expiration{0};
  std::chrono::nanoseconds series_expiration{0};
  std::optional<int> metric_timestamp_cache_size;
  std::string namespace_ = "traces.span.metrics";
  bool exemplars_enabled = false;
  int exemplars_max_per_data_point = 5;
  bool events_enabled = false;
  std::vector<Dimension> event_dimensions;
  std::vector<std::string> include_instrumentation_scope;
  int aggregation_cardinality_limit = 0;
  bool add_resource_attributes = false;
  bool enable_metrics_sampling_method = false;

  bool delta() const { return aggregation_temporality == "AGGREGATION_TEMPORALITY_DELTA"; }
  int delta_timestamp_cache_size() const { return metric_timestamp_cache_size.value_or(1000); }
  // The histogram bounds in the configured unit (contrib's default buckets
  // when `explicit` is absent; none, one bucket, when it has no `buckets`).
  std::vector<double> ExplicitBounds() const;

  // Decodes `connectors.spanmetrics[/name]` and validates it (throws config::Error).
  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::connectors::spanmetrics
