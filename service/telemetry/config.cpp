#include "service/telemetry/config.h"

#include "config/decoder.h"
#include "config/error.h"
#include "config/http/simple_http_server.h"
#include "config/service_config.h"
#include "internal/text.h"

namespace otlpd::selftelemetry {
namespace {

using config::MapDecoder;

const config::Node* FindPath(const config::Node& root, std::initializer_list<std::string_view> keys) {
  const config::Node* n = &root;
  for (std::string_view k : keys) {
    if (n == nullptr || !n->IsMap()) return nullptr;
    n = n->Find(k);
  }
  return n;
}

void DecodePort(MapDecoder& d, std::string_view key, int& port) {
  if (d.Optional(key, port) && (port < 0 || port > 65535)) d.Fail(key, "must be between 0 and 65535");
}

PrometheusReader DecodePrometheus(MapDecoder& d) {
  PrometheusReader r;
  d.Optional("host", r.host);
  DecodePort(d, "port", r.port);
  d.Optional("without_units", r.without_units);
  d.Optional("without_type_suffix", r.without_type_suffix);
  // Accepted so otelcol configs load; otlpd never emits scope info, and its
  // resource labels are the service.* ones on every series.
  bool without_scope_info = true;
  d.Optional("without_scope_info", without_scope_info);
  d.Take("with_resource_constant_labels");
  std::string strategy;
  if (d.Optional("translation_strategy", strategy) && strategy != "UnderscoreEscapingWithSuffixes" &&
      strategy != "UnderscoreEscapingWithoutSuffixes") {
    d.Fail("translation_strategy",
           "unsupported translation strategy \"" + strategy +
               "\" (UnderscoreEscapingWithSuffixes or UnderscoreEscapingWithoutSuffixes)");
  }
  if (strategy == "UnderscoreEscapingWithoutSuffixes") r.without_units = r.without_type_suffix = true;
  d.Finish();
  return r;
}

PrometheusReader DecodeReader(const config::Node& node, const std::string& path) {
  MapDecoder reader(node, path);
  if (reader.Has("periodic")) {
    reader.Fail("periodic",
                "periodic (push) readers are not supported; use a pull reader with a prometheus exporter");
  }
  MapDecoder pull = reader.Child("pull");
  if (!reader.Has("pull")) reader.FailMissing("pull");
  MapDecoder exporter = pull.Child("exporter");
  if (!pull.Has("exporter")) pull.FailMissing("exporter");
  for (const std::string_view other : {"otlp", "console", "prometheus/development"}) {
    if (exporter.Has(other)) {
      exporter.Fail(other, "only the prometheus exporter is supported for pull readers");
    }
  }
  if (!exporter.Has("prometheus")) exporter.FailMissing("prometheus");
  MapDecoder prometheus = exporter.Child("prometheus");
  PrometheusReader r = DecodePrometheus(prometheus);
  exporter.Finish();
  // Cardinality limits and producers belong to the SDK otlpd does not embed.
  pull.Take("cardinality_limits");
  pull.Take("producers");
  pull.Finish();
  reader.Finish();
  return r;
}

MetricsConfig DecodeMetrics(const config::Node& node) {
  MetricsConfig m;
  MapDecoder d(node, "service.telemetry.metrics");
  std::string level;
  if (d.Optional("level", level)) {
    const std::string l = AsciiLower(level);
    if (l == "none")
      m.level = MetricsLevel::kNone;
    else if (l == "basic")
      m.level = MetricsLevel::kBasic;
    else if (l == "normal")
      m.level = MetricsLevel::kNormal;
    else if (l == "detailed")
      m.level = MetricsLevel::kDetailed;
    else
      d.Fail("level", "unknown metrics level \"" + level + "\" (none, basic, normal or detailed)");
  }
  bool explicit_readers = false;
  if (const config::Node* readers = d.Take("readers"); readers != nullptr && !readers->IsNull()) {
    explicit_readers = true;
    if (!readers->IsSequence()) d.Fail("readers", "expected a list, got " + std::string(readers->KindName()));
    for (std::size_t i = 0; i < readers->items().size(); ++i) {
      m.readers.push_back(
          DecodeReader(readers->items()[i], d.KeyPath("readers") + "[" + std::to_string(i) + "]"));
    }
  }
  std::string address;
  if (d.Optional("address", address) && !address.empty()) {
    // Removed from otelcol in favour of readers; still honoured here, since
    // older configs (and charts) set it.
    PrometheusReader r;
    std::string why;
    if (!http::SplitHostPort(address, &r.host, &r.port, &why)) d.Fail("address", why);
    m.readers.push_back(r);
    explicit_readers = true;
  }
  if (d.Has("views")) d.Fail("views", "views are not supported");
  d.Finish();

  if (m.level == MetricsLevel::kNone) {
    m.readers.clear();
  } else if (!explicit_readers) {
    PrometheusReader r;
    r.port = 8888;
    r.is_default = true;
    m.readers.push_back(r);
  } else if (m.readers.empty()) {
    d.Fail("readers", "at least one reader is needed unless level is none");
  }
  for (std::size_t i = 0; i < m.readers.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (m.readers[i].Endpoint() == m.readers[j].Endpoint())
        d.Fail("readers", "two readers listen on " + m.readers[i].Endpoint());
    }
  }
  return m;
}

}  // namespace

std::string PrometheusReader::Endpoint() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

TelemetryConfig DecodeTelemetryConfig(const config::Node& root) {
  TelemetryConfig t;
  // Level and encoding are checked where the rest of `service` is.
  const config::ServiceConfig sc = config::DecodeService(root);
  t.logs.level = sc.logs.level;
  t.logs.encoding = sc.logs.encoding;
  t.metrics = DecodeMetrics(sc.telemetry_metrics);

  if (const config::Node* paths = FindPath(root, {"service", "telemetry", "logs", "output_paths"})) {
    const std::string path = "service.telemetry.logs.output_paths";
    config::DecodeValue(*paths, path, t.logs.output_paths);
    for (std::size_t i = 0; i < t.logs.output_paths.size(); ++i) {
      if (t.logs.output_paths[i].empty()) {
        const config::Mark& mark = paths->IsSequence() ? paths->items()[i].mark() : paths->mark();
        throw config::Error(mark, path + "[" + std::to_string(i) + "]", "must not be empty");
      }
    }
    if (t.logs.output_paths.empty()) t.logs.output_paths = {"stderr"};
  }

  if (const config::Node* resource = FindPath(root, {"service", "telemetry", "resource"});
      resource != nullptr && !resource->IsNull()) {
    if (!resource->IsMap()) {
      throw config::Error(resource->mark(), "service.telemetry.resource",
                          "expected a map, got " + std::string(resource->KindName()));
    }
    for (const config::Node::Entry& e : resource->entries()) {
      if (e.value.IsNull()) {
        t.resource[e.key] = std::nullopt;
        continue;
      }
      std::string value;
      config::DecodeValue(e.value, "service.telemetry.resource." + e.key, value);
      t.resource[e.key] = value;
    }
  }
  return t;
}

}  // namespace otlpd::selftelemetry
