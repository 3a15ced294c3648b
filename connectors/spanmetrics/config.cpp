#include "connectors/spanmetrics/config.h"

#include <algorithm>
#include <set>

#include "internal/text.h"

namespace otlpd::connectors::spanmetrics {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::vector<Dimension> DecodeDimensions(config::MapDecoder& parent, std::string_view key) {
  std::vector<Dimension> out;
  const config::Node* list = parent.Take(key);
  if (list == nullptr || list->IsNull()) return out;
  const std::string path = parent.KeyPath(key);
  if (!list->IsSequence()) {
    throw config::Error(list->mark(), path, "expected a list, got " + std::string(list->KindName()));
  }
  for (std::size_t i = 0; i < list->items().size(); ++i) {
    config::MapDecoder d(list->items()[i], path + "[" + std::to_string(i) + "]");
    Dimension dim;
    d.Optional("name", dim.name);
    std::string glob;
    const bool has_glob = d.Optional("glob", glob);
    if (const config::Node* def = d.Take("default"); def != nullptr && !def->IsNull()) {
      std::string v;
      config::DecodeValue(*def, d.KeyPath("default"), v);
      dim.default_value = v;
    }
    d.Finish();
    if (has_glob && !glob.empty()) {
      if (!dim.name.empty()) {
        d.Fail("glob", "dimension entry must set only one of `name` or `glob`, got both: name=" +
                           Quote(dim.name) + " glob=" + Quote(glob));
      }
      d.Fail("glob", "glob dimensions are not supported by otlpd");
    }
    if (dim.name.empty()) d.Fail("name", "dimension entry must set one of `name` or `glob`");
    out.push_back(std::move(dim));
  }
  return out;
}

// contrib's validateDimensions for name dimensions: no duplicates, none of
// the built-in ones (collector.instance.id included: its gate is on).
void ValidateDimensions(const config::MapDecoder& d, std::string_view key, const std::vector<Dimension>& dims,
                        std::string_view what) {
  std::set<std::string> names = {"service.name", "span.kind", "status.code", "span.name",
                                 "collector.instance.id"};
  for (const Dimension& dim : dims) {
    if (!names.insert(dim.name).second) {
      d.Fail(key, "failed validating " + std::string(what) + ": duplicate dimension name " + Quote(dim.name));
    }
  }
}

}  // namespace

std::vector<double> Config::ExplicitBounds() const {
  static constexpr double kDefaultMs[] = {2,   4,   6,    8,    10,   50,   100,   200,
                                          400, 800, 1000, 1400, 2000, 5000, 10000, 15000};
  std::vector<double> out;
  const double divider = unit == Unit::kSeconds ? 1e9 : 1e6;
  if (explicit_present) {
    for (auto b : explicit_buckets) out.push_back(static_cast<double>(b.count()) / divider);
    return out;
  }
  for (double v : kDefaultMs) out.push_back(unit == Unit::kSeconds ? v / 1000.0 : v);
  return out;
}

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  c.dimensions = DecodeDimensions(d, "dimensions");
  c.calls_dimensions = DecodeDimensions(d, "calls_dimensions");
  d.Optional("exclude_dimensions", c.exclude_dimensions);
  d.Optional("dimensions_cache_size", c.dimensions_cache_size);
  d.Optional("resource_metrics_cache_size", c.resource_metrics_cache_size);
  d.Optional("resource_metrics_key_attributes", c.resource_metrics_key_attributes);
  d.Optional("aggregation_temporality", c.aggregation_temporality);
  {
    config::MapDecoder h = d.Child("histogram");
    h.Optional("disable", c.histogram_disable);
    std::string unit = "ms";
    if (h.Optional("unit", unit)) {
      const std::string lower = AsciiLower(unit);
      if (lower == "ms") {
        c.unit = Unit::kMilliseconds;
      } else if (lower == "s") {
        c.unit = Unit::kSeconds;
      } else {
        h.Fail("unit", "unknown Unit " + Quote(lower) + ", allowed units are \"ms\" and \"s\"");
      }
    }
    if (h.Has("explicit")) {
      config::MapDecoder e = h.Child("explicit");
      c.explicit_present = true;
      if (const config::Node* b = e.Take("buckets"); b != nullptr && !b->IsNull()) {
        if (!b->IsSequence())
          throw config::Error(b->mark(), e.KeyPath("buckets"),
                              "expected a list, got " + std::string(b->KindName()));
        c.explicit_buckets_set = true;
        for (std::size_t i = 0; i < b->items().size(); ++i) {
          std::chrono::nanoseconds v{0};
          config::DecodeValue(b->items()[i], e.KeyPath("buckets") + "[" + std::to_string(i) + "]", v);
          c.explicit_buckets.push_back(v);
        }
      }
      e.Finish();
    }
    if (h.Has("exponential")) {
      config::MapDecoder e = h.Child("exponential");
      c.exponential_present = true;
      e.Optional("max_size", c.exponential_max_size);
      e.Finish();
    }
    c.histogram_dimensions = DecodeDimensions(h, "dimensions");
    h.Finish();
    if (c.explicit_present && c.exponential_present)
      d.Fail("histogram", "use either `explicit` or `exponential` buckets histogram");
    ValidateDimensions(d, "histogram", c.histogram_dimensions, "histogram dimensions");
  }
  d.Optional("metrics_flush_interval", c.metrics_flush_interval);
  d.Optional("metrics_expiration", c.metrics_expiration);
  d.Optional("series_expiration", c.series_expiration);
  int ts = 0;
  if (d.Optional("metric_timestamp_cache_size", ts)) c.metric_timestamp_cache_size = ts;
  d.Optional("namespace", c.namespace_);
  {
    config::MapDecoder e = d.Child("exemplars");
    e.Optional("enabled", c.exemplars_enabled);
    e.Optional("max_per_data_point", c.exemplars_max_per_data_point);
    e.Finish();
  }
  {
    config::MapDecoder e = d.Child("events");
    e.Optional("enabled", c.events_enabled);
    c.event_dimensions = DecodeDimensions(e, "dimensions");
    e.Finish();
  }
  d.Optional("include_instrumentation_scope", c.include_instrumentation_scope);
  d.Optional("aggregation_cardinality_limit", c.aggregation_cardinality_limit);
  d.Optional("add_resource_attributes", c.add_resource_attributes);
  d.Optional("enable_metrics_sampling_method", c.enable_metrics_sampling_method);
  d.Finish();

  // contrib's Validate, in its order.
  ValidateDimensions(d, "dimensions", c.dimensions, "dimensions");
  ValidateDimensions(d, "calls_dimensions", c.calls_dimensions, "calls dimensions");
  if (c.events_enabled) {
    if (c.event_dimensions.empty())
      d.Fail("events", "failed validating event dimensions: no dimensions configured for events");
    ValidateDimensions(d, "events", c.event_dimensions, "event dimensions");
  }
  auto go_duration = [](std::chrono::nanoseconds v) { return std::to_string(v.count()) + "ns"; };
  if (c.metrics_flush_interval.count() < 0)
    d.Fail("metrics_flush_interval",
           "invalid metrics_flush_interval: " + go_duration(c.metrics_flush_interval) +
               ", the duration should be positive");
  if (c.metrics_flush_interval.count() == 0)
    d.Fail("metrics_flush_interval", "must be positive (a zero interval never flushes)");
  if (c.metrics_expiration.count() < 0)
    d.Fail("metrics_expiration", "invalid metrics_expiration: " + go_duration(c.metrics_expiration) +
                                     ", the duration should be positive");
  if (c.series_expiration.count() < 0)
    d.Fail("series_expiration", "invalid series_expiration: " + go_duration(c.series_expiration) +
                                    ", the duration should be positive");
  if (c.delta() && c.delta_timestamp_cache_size() <= 0) {
    d.Fail("metric_timestamp_cache_size",
           "invalid delta timestamp cache size: " + std::to_string(c.delta_timestamp_cache_size()) +
               ", the maximum number of the items in the cache should be positive");
  }
  if (c.aggregation_cardinality_limit < 0) {
    d.Fail("aggregation_cardinality_limit",
           "invalid aggregation_cardinality_limit: " + std::to_string(c.aggregation_cardinality_limit) +
               ", the limit should be positive");
  }
  if (c.exemplars_enabled && c.exemplars_max_per_data_point < 0) {
    d.Fail("exemplars", "invalid max_per_data_point: " + std::to_string(c.exemplars_max_per_data_point) +
                            ", the value should be positive");
  }
  if (c.resource_metrics_cache_size <= 0) {
    // simplelru.NewLRU refuses a non-positive size when the connector is created.
    d.Fail("resource_metrics_cache_size", "must provide a positive size");
  }
  if (c.enable_metrics_sampling_method)
    d.Fail("enable_metrics_sampling_method", "not supported by otlpd (tracestate-adjusted counts)");
  return c;
}

}  // namespace otlpd::connectors::spanmetrics
