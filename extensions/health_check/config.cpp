#include "extensions/health_check/config.h"

#include <spdlog/spdlog.h>

#include "config/http/simple_http_server.h"

namespace otlpd::extensions::health_check {

Config Config::Decode(config::MapDecoder& d, bool component_status_gate) {
  Config c;
  http::ServerConfig::DecodeInto(d, c.server);
  std::string host, why;
  int port = 0;
  if (c.server.endpoint.empty()) d.Fail("endpoint", "http endpoint required");
  if (!http::SplitHostPort(c.server.endpoint, &host, &port, &why)) d.Fail("endpoint", why);
  d.Optional("path", c.path);
  if (c.path.empty() || c.path.front() != '/') d.Fail("path", "must start with \"/\"");

  config::MapDecoder body = d.Child("response_body");
  body.Optional("healthy", c.healthy_body);
  body.Optional("unhealthy", c.unhealthy_body);
  body.Finish();

  config::MapDecoder pipeline = d.Child("check_collector_pipeline");
  bool enabled = false;
  // Defaults and types as otelcol's (interval is a string there, never parsed).
  std::string interval = "5m";
  int threshold = 5;
  pipeline.Optional("enabled", enabled);
  pipeline.Optional("interval", interval);
  pipeline.Optional("exporter_failure_threshold", threshold);
  pipeline.Finish();
  if (enabled) {
    spdlog::warn(
        "{}: check_collector_pipeline is not supported and is ignored (as in recent otelcol-contrib)",
        d.KeyPath("check_collector_pipeline"));
  }
  // otelcol's v2 health check (component status; `http` with status and
  // config paths, a gRPC health service, `component_health`) runs only behind
  // its feature gate; without the gate otelcol refuses its keys, with this reason.
  bool use_v2 = false;
  d.Optional("use_v2", use_v2);
  const bool v2_keys = d.Has("http") || d.Has("grpc");
  for (std::string_view key : {"http", "grpc", "component_health"}) {
    if (d.Take(key) == nullptr) continue;
    if (!component_status_gate && key == "component_health") {
      spdlog::warn("{}: ignored without the v2 health check (otelcol's legacy health check ignores it too)",
                   d.KeyPath(key));
      continue;
    }
    if (!component_status_gate) {
      d.Fail(key,
             "v2 healthcheck configuration (http/grpc fields) detected but feature gate is disabled. Either "
             "remove the v2 config fields or enable the feature gate with: "
             "--feature-gates=+extension.healthcheck.useComponentStatus");
    }
    if (component_status_gate) {
      d.Fail(key,
             "otlpd does not implement the v2 health check (component status, the gRPC health service) "
             "that --feature-gates=extension.healthcheck.useComponentStatus turns on; use the legacy keys "
             "(endpoint, path, tls, response_body)");
    }
  }
  if (use_v2 && !v2_keys) d.Fail("use_v2", "must specify at least one protocol");
  if (use_v2) d.Fail("use_v2", "the v2 health check (component status) is not supported by otlpd");
  d.Finish();
  return c;
}

}  // namespace otlpd::extensions::health_check
