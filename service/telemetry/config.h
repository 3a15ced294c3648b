#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/node.h"

namespace otlpd::selftelemetry {

enum class MetricsLevel { kNone, kBasic, kNormal, kDetailed };

// One `readers: - pull: exporter: prometheus:` entry (or the older `address`).
struct PrometheusReader {
  std::string host = "localhost";
  int port = 9464;  // the OTel configuration schema's default for an explicit reader
  bool without_units = true;
  bool without_type_suffix = true;
  // otelcol's implicit reader: failing to bind it is a warning, not fatal.
  bool is_default = false;

  std::string Endpoint() const;  // "localhost:8888", "[::1]:8888"
  bool operator==(const PrometheusReader&) const = default;
};

// The `otlp` exporter of a periodic metrics reader or a logs processor, and
// for a reader its schedule: otlpd pushes its own metrics over OTLP every
// `interval`, as otelcol's SDK periodic reader.
struct OtlpPushTarget {
  enum class Temporality { kCumulative, kDelta, kLowMemory };
  std::string protocol;  // "grpc" or "http/protobuf"
  std::string endpoint;  // as written
  // Parsed from endpoint (a scheme is added when missing: http:// with
  // insecure, else https://): host:port, path for http/protobuf.
  std::string host_port;
  std::string path = "/v1/metrics";
  bool tls = true;
  bool insecure = false;
  bool gzip = false;  // compression: gzip
  std::vector<std::pair<std::string, std::string>> headers;
  Temporality temporality = Temporality::kCumulative;
  std::string certificate, client_certificate, client_key;  // grpc TLS files
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds timeout{30000};         // the reader's collect+export bound
  std::chrono::milliseconds export_timeout{10000};  // exporter.otlp.timeout
  std::string path_in_config;                       // for messages: service.telemetry.metrics.readers[i]

  bool operator==(const OtlpPushTarget&) const = default;
};

struct MetricsConfig {
  MetricsLevel level = MetricsLevel::kNormal;
  // Empty when level is none. Without `readers` or `address`: one reader on
  // localhost:8888, as otelcol.
  std::vector<PrometheusReader> readers;
  // periodic readers with an otlp exporter (push).
  std::vector<OtlpPushTarget> push_readers;
};

// One `logs.processors` entry: otlpd's own log records go to an OTLP
// exporter, in batches (`batch`, the SDK's batching log record processor) or
// one export per record (`simple`).
struct OtlpLogsProcessor {
  bool batch = true;
  std::chrono::milliseconds schedule_delay{1000};  // batch: the longest a record waits
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_queue_size = 2048;  // batch: records held; past it new ones are dropped (and counted)
  std::size_t max_export_batch_size = 512;
  OtlpPushTarget exporter;
};

struct LogsConfig {
  std::string level = "info";
  std::string encoding = "console";  // or "json"
  // "stderr", "stdout" or a file path (appended to).
  std::vector<std::string> output_paths = {"stderr"};
  std::vector<OtlpLogsProcessor> processors;
};

// service.telemetry, decoded.
struct TelemetryConfig {
  MetricsConfig metrics;
  LogsConfig logs;
  // service.telemetry.resource: attributes to add or override; nullopt (a
  // YAML null) removes one of the automatic service.* attributes.
  std::map<std::string, std::optional<std::string>> resource;
};

// Decodes service.telemetry of a loaded config (root = the merged top-level
// map). Throws config::Error naming the key path, e.g.
// "service.telemetry.metrics.readers[0].pull.exporter.prometheus.port".
TelemetryConfig DecodeTelemetryConfig(const config::Node& root);

}  // namespace otlpd::selftelemetry
