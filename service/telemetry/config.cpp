#include "service/telemetry/config.h"

#include <cstdint>

#include "config/decoder.h"
#include "config/error.h"
#include "config/http/simple_http_server.h"
#include "config/service_config.h"
#include "config/yaml_scalar.h"
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

void DecodeMillis(MapDecoder& d, std::string_view key, std::chrono::milliseconds& out) {
  const config::Node* n = d.Take(key);
  if (n == nullptr || n->IsNull()) return;
  std::int64_t ms = 0;
  config::DecodeValue(*n, d.KeyPath(key), ms);
  if (ms < 0) d.Fail(key, "must be non-negative (milliseconds)");
  out = std::chrono::milliseconds(ms);
}

// exporter.otlp of a periodic reader: otelconf v0.3.0's OTLPMetric, with the
// checks its SDK setup makes at start made here, at validate time.
// `metrics`: a periodic reader's exporter (temporality and histogram keys);
// else a logs processor's, which sends to /v1/logs.
OtlpPushTarget DecodeOtlpExporter(MapDecoder& d, bool metrics) {
  OtlpPushTarget r;
  if (!metrics) r.path = "/v1/logs";
  const bool has_protocol = d.Required("protocol", r.protocol);
  const bool has_endpoint = d.Required("endpoint", r.endpoint);
  d.Optional("insecure", r.insecure);
  std::string compression;
  if (d.Optional("compression", compression)) {
    if (compression == "gzip") {
      r.gzip = true;
    } else if (compression != "none") {
      d.Fail("compression", "unsupported compression \"" + compression + "\" (gzip or none)");
    }
  }
  DecodeMillis(d, "timeout", r.export_timeout);
  if (const config::Node* headers = d.Take("headers"); headers != nullptr && !headers->IsNull()) {
    if (!headers->IsSequence()) d.Fail("headers", "expected a list of {name, value}");
    for (std::size_t i = 0; i < headers->items().size(); ++i) {
      MapDecoder h(headers->items()[i], d.KeyPath("headers") + "[" + std::to_string(i) + "]");
      std::string name, value;
      if (!h.Required("name", name)) h.Finish();
      h.Optional("value", value);
      h.Finish();
      r.headers.emplace_back(AsciiLower(name), value);
    }
  }
  std::string list;
  if (d.Optional("headers_list", list)) {
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const std::string_view item = TrimAsciiSpace(std::string_view(list).substr(start, comma - start));
      start = comma + 1;
      if (item.empty()) continue;
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos)
        d.Fail("headers_list", "invalid header \"" + std::string(item) + "\"");
      const std::string name = AsciiLower(TrimAsciiSpace(item.substr(0, eq)));
      // headers win over headers_list for the same name, as otelconf.
      bool present = false;
      for (const auto& [k, v] : r.headers) present |= k == name;
      if (!present) r.headers.emplace_back(name, std::string(TrimAsciiSpace(item.substr(eq + 1))));
    }
  }
  std::string temporality;
  if (metrics && d.Optional("temporality_preference", temporality)) {
    if (temporality == "cumulative") {
      r.temporality = OtlpPushTarget::Temporality::kCumulative;
    } else if (temporality == "delta") {
      r.temporality = OtlpPushTarget::Temporality::kDelta;
    } else if (temporality == "lowmemory") {
      r.temporality = OtlpPushTarget::Temporality::kLowMemory;
    } else {
      d.Fail("temporality_preference", "unsupported temporality preference \"" + temporality + "\"");
    }
  }
  std::string histogram;
  if (metrics && d.Optional("default_histogram_aggregation", histogram) &&
      histogram != "explicit_bucket_histogram") {
    d.Fail("default_histogram_aggregation",
           "only explicit_bucket_histogram is supported (otlpd's histograms have fixed buckets)");
  }
  d.Optional("certificate", r.certificate);
  d.Optional("client_certificate", r.client_certificate);
  d.Optional("client_key", r.client_key);
  d.Finish();  // throws for an unknown key, then for a missing protocol or endpoint
  if (!has_protocol || !has_endpoint) return r;

  if (r.protocol != "grpc" && r.protocol != "http/protobuf") {
    d.Fail("protocol", "unsupported protocol \"" + r.protocol + "\" (grpc or http/protobuf)");
  }
  // otelcol's migration adds a scheme to an endpoint without one.
  std::string url = r.endpoint;
  if (url.find("://") == std::string::npos) url = (r.insecure ? "http://" : "https://") + url;
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  const std::size_t slash = rest.find('/');
  r.host_port = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) r.path = rest.substr(slash);
  if (scheme != "http" && scheme != "https") d.Fail("endpoint", "must be an http:// or https:// URL");
  if (r.host_port.empty()) d.Fail("endpoint", "has no host");
  if (r.protocol == "grpc") {
    r.tls = !(scheme == "http" || (scheme != "https" && r.insecure));
  } else {
    r.tls = scheme != "http";
    if (r.tls) {
      d.Fail("endpoint",
             "TLS (https) for an http/protobuf periodic reader is not supported by otlpd; use http:// or "
             "protocol grpc");
    }
  }
  if (!r.tls && (!r.certificate.empty() || !r.client_certificate.empty() || !r.client_key.empty())) {
    d.Fail("certificate", "TLS files are set but the endpoint is plaintext");
  }
  if (r.host_port.find(':') == std::string::npos) r.host_port += r.tls ? ":443" : ":80";
  return r;
}

// The `exporter` map of a periodic or pull reader, which must name `only`;
// the other exporters otelcol knows there are refused by name.
MapDecoder ReaderExporter(MapDecoder& reader, std::string_view only,
                          std::initializer_list<std::string_view> others, std::string_view kind) {
  MapDecoder exporter = reader.Child("exporter");
  if (!reader.Has("exporter")) reader.FailMissing("exporter");
  for (const std::string_view other : others) {
    if (exporter.Has(other)) {
      exporter.Fail(other, "only the " + std::string(only) + " exporter is supported for " +
                               std::string(kind) + " readers");
    }
  }
  if (!exporter.Has(only)) exporter.FailMissing(only);
  return exporter;
}

void DecodeReader(const config::Node& node, const std::string& path, MetricsConfig& m) {
  MapDecoder reader(node, path);
  if (reader.Has("periodic")) {
    MapDecoder periodic = reader.Child("periodic");
    OtlpPushTarget r;
    std::chrono::milliseconds interval{60000}, timeout{30000};
    DecodeMillis(periodic, "interval", interval);
    DecodeMillis(periodic, "timeout", timeout);
    if (interval.count() == 0) interval = std::chrono::milliseconds(60000);
    if (timeout.count() == 0) timeout = std::chrono::milliseconds(30000);
    MapDecoder exporter = ReaderExporter(
        periodic, "otlp", {"console", "otlp_file/development", "otlp/development"}, "periodic");
    MapDecoder otlp = exporter.Child("otlp");
    r = DecodeOtlpExporter(otlp, true);
    exporter.Finish();
    r.interval = interval;
    r.timeout = timeout;
    r.path_in_config = path;
    if (periodic.Has("cardinality_limits")) {
      periodic.Fail("cardinality_limits", "is not supported (otlpd's series are bounded by its components)");
    }
    if (periodic.Has("producers")) periodic.Fail("producers", "metric producers are not supported");
    periodic.Finish();
    if (reader.Has("pull")) reader.Fail("pull", "a reader is either periodic or pull, not both");
    reader.Finish();
    m.push_readers.push_back(std::move(r));
    return;
  }
  MapDecoder pull = reader.Child("pull");
  if (!reader.Has("pull")) reader.FailMissing("pull");
  MapDecoder exporter =
      ReaderExporter(pull, "prometheus", {"otlp", "console", "prometheus/development"}, "pull");
  MapDecoder prometheus = exporter.Child("prometheus");
  PrometheusReader r = DecodePrometheus(prometheus);
  exporter.Finish();
  // Cardinality limits and producers belong to the SDK otlpd does not embed.
  pull.Take("cardinality_limits");
  pull.Take("producers");
  pull.Finish();
  reader.Finish();
  m.readers.push_back(r);
}

// otelcol's implicit reader (Prometheus on localhost:8888), as print-config shows it.
config::Node DefaultReadersNode() {
  using config::Node;
  Node prometheus = Node::Map(config::Mark{});
  prometheus.Set("host", config::Mark{}, config::RenderValue(std::string("localhost")));
  prometheus.Set("port", config::Mark{}, config::RenderValue(8888));
  for (const char* key : {"without_scope_info", "without_type_suffix", "without_units"}) {
    prometheus.Set(key, config::Mark{}, config::RenderValue(true));
  }
  Node exporter = Node::Map(config::Mark{});
  exporter.Set("prometheus", config::Mark{}, std::move(prometheus));
  Node pull = Node::Map(config::Mark{});
  pull.Set("exporter", config::Mark{}, std::move(exporter));
  Node reader = Node::Map(config::Mark{});
  reader.Set("pull", config::Mark{}, std::move(pull));
  Node readers = Node::Sequence(config::Mark{});
  readers.items().push_back(std::move(reader));
  return readers;
}

// What print-config shows for `readers` left out: MapDecoder::Optional()
// records RenderValue() of what it is given (found here by argument lookup),
// and is given this only where the key is absent or null.
struct ImplicitReaders {};
config::Node RenderValue(const ImplicitReaders&) { return DefaultReadersNode(); }
void DecodeValue(const config::Node&, std::string_view, ImplicitReaders&) {}

// `d`: service.telemetry.metrics, a decoder of the loaded tree itself, so
// that print-config learns its defaults.
MetricsConfig DecodeMetrics(MapDecoder& d) {
  MetricsConfig m;
  std::string level = "normal";
  if (const std::optional<std::int64_t> number = d.LevelNumber("level", "configtelemetry.Level")) {
    // configtelemetry.Level is an int32 (-1 none, 0 basic, 1 normal, 2
    // detailed) and otelcol takes any number, comparing levels as numbers:
    // below none is none here, above detailed is detailed.
    const auto n = static_cast<std::int32_t>(*number);
    m.level = n < 0    ? MetricsLevel::kNone
              : n == 0 ? MetricsLevel::kBasic
              : n == 1 ? MetricsLevel::kNormal
                       : MetricsLevel::kDetailed;
  } else if (d.Optional("level", level)) {
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
      DecodeReader(readers->items()[i], d.KeyPath("readers") + "[" + std::to_string(i) + "]", m);
    }
  }
  std::string address;
  // Not recorded for print-config: otelcol no longer has the key.
  if (const config::Node* a = d.Take("address"); a != nullptr)
    config::DecodeValue(*a, d.KeyPath("address"), address);
  if (!address.empty()) {
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
    m.push_readers.clear();
  } else if (!explicit_readers) {
    ImplicitReaders implicit;
    d.Optional("readers", implicit);
    PrometheusReader r;
    r.port = 8888;
    r.is_default = true;
    m.readers.push_back(r);
  } else if (m.readers.empty() && m.push_readers.empty()) {
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

// service.telemetry.logs.processors: `batch` or `simple`, each with an
// `otlp` exporter (the OTel configuration schema's log record processors).
std::vector<OtlpLogsProcessor> DecodeLogsProcessors(const config::Node& node) {
  std::vector<OtlpLogsProcessor> out;
  const std::string path = "service.telemetry.logs.processors";
  if (node.IsNull()) return out;
  if (!node.IsSequence()) {
    throw config::Error(node.mark(), path, "expected a list, got " + std::string(node.KindName()));
  }
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    MapDecoder item(node.items()[i], path + "[" + std::to_string(i) + "]");
    OtlpLogsProcessor p;
    const bool batch = item.Has("batch"), simple = item.Has("simple");
    if (batch == simple) {
      item.Fail(batch ? "simple" : "batch", "each processor is either batch or simple");
    }
    p.batch = batch;
    MapDecoder proc = item.Child(batch ? "batch" : "simple");
    if (batch) {
      DecodeMillis(proc, "schedule_delay", p.schedule_delay);
      DecodeMillis(proc, "export_timeout", p.export_timeout);
      if (p.schedule_delay.count() == 0) p.schedule_delay = std::chrono::milliseconds(1000);
      if (p.export_timeout.count() == 0) p.export_timeout = std::chrono::milliseconds(30000);
      std::int64_t queue = 0, batch_size = 0;
      if (proc.Optional("max_queue_size", queue)) {
        if (queue <= 0) proc.Fail("max_queue_size", "must be positive");
        p.max_queue_size = static_cast<std::size_t>(queue);
      }
      if (proc.Optional("max_export_batch_size", batch_size)) {
        if (batch_size <= 0) proc.Fail("max_export_batch_size", "must be positive");
        p.max_export_batch_size = static_cast<std::size_t>(batch_size);
      }
      if (p.max_export_batch_size > p.max_queue_size) {
        proc.Fail("max_export_batch_size", "must not exceed max_queue_size");
      }
    }
    if (!proc.Has("exporter")) proc.FailMissing("exporter");
    MapDecoder exporter = proc.Child("exporter");
    for (const std::string_view other : {"console", "otlp_file/development"}) {
      if (exporter.Has(other))
        exporter.Fail(other, "only the otlp exporter is supported for otlpd's own logs");
    }
    if (!exporter.Has("otlp")) exporter.FailMissing("otlp");
    MapDecoder otlp = exporter.Child("otlp");
    p.exporter = DecodeOtlpExporter(otlp, false);
    p.exporter.path_in_config = path + "[" + std::to_string(i) + "]";
    exporter.Finish();
    proc.Finish();
    item.Finish();
    out.push_back(std::move(p));
  }
  return out;
}

TelemetryConfig DecodeTelemetryConfig(const config::Node& root) {
  TelemetryConfig t;
  // Level and encoding are checked where the rest of `service` is.
  const config::ServiceConfig sc = config::DecodeService(root);
  t.logs.level = sc.logs.level;
  t.logs.encoding = sc.logs.encoding;
  {
    // The same map DecodeService read (not its copy), for print-config's record.
    MapDecoder top(root, "");
    MapDecoder service = top.Child("service");
    MapDecoder telemetry = service.Child("telemetry");
    MapDecoder metrics = telemetry.Child("metrics");
    t.metrics = DecodeMetrics(metrics);
  }
  t.logs.processors = DecodeLogsProcessors(sc.telemetry_logs_processors);

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
      // otelcol reads these into `any` and then wants a string: a number or a
      // boolean is refused even from a lone ${env:...} (typed as YAML there).
      const std::optional<std::string_view> type =
          e.value.IsScalar() && !e.value.quoted() ? config::GoYamlScalarType(e.value.scalar()) : std::nullopt;
      if (!e.value.IsScalar() || type) {
        throw config::Error(e.value.mark(), "service.telemetry.resource." + e.key,
                            "legacy resource attribute \"" + e.key + "\" must be string or null, got " +
                                (type ? std::string(*type) : std::string(e.value.KindName())));
      }
      t.resource[e.key] = e.value.scalar();
    }
  }
  return t;
}

}  // namespace otlpd::selftelemetry
