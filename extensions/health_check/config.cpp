#include "extensions/health_check/config.h"

#include <spdlog/spdlog.h>

#include "config/http/simple_http_server.h"

namespace otlpd::extensions::health_check {

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("endpoint", c.endpoint);
  std::string host, why;
  int port = 0;
  if (!http::SplitHostPort(c.endpoint, &host, &port, &why)) d.Fail("endpoint", why);
  d.Optional("path", c.path);
  if (c.path.empty() || c.path.front() != '/') d.Fail("path", "must start with \"/\"");

  config::MapDecoder body = d.Child("response_body");
  body.Optional("healthy", c.healthy_body);
  body.Optional("unhealthy", c.unhealthy_body);
  body.Finish();

  config::MapDecoder pipeline = d.Child("check_collector_pipeline");
  bool enabled = false;
  std::chrono::nanoseconds interval{};
  int threshold = 0;
  pipeline.Optional("enabled", enabled);
  pipeline.Optional("interval", interval);
  pipeline.Optional("exporter_failure_threshold", threshold);
  pipeline.Finish();
  if (enabled) {
    spdlog::warn(
        "{}: check_collector_pipeline is not supported and is ignored (as in recent otelcol-contrib)",
        d.KeyPath("check_collector_pipeline"));
  }
  // Refused by name, each with its reason, rather than as unknown keys.
  if (const config::Node* n = d.Take("tls"); n != nullptr && !n->IsNull()) {
    d.Fail("tls",
           "is not supported on the health_check endpoint yet: otlpd serves it with its small plain-HTTP "
           "server (Kubernetes probes use plain HTTP unless told otherwise)");
  }
  for (std::string_view v2 : {"http", "grpc"}) {
    if (d.Take(v2) != nullptr) {
      d.Fail(v2,
             "the v2 health check configuration needs otelcol's feature gate "
             "extension.healthcheck.useComponentStatus, which otlpd does not have");
    }
  }
  bool use_v2 = false;
  if (d.Optional("use_v2", use_v2) && use_v2) {
    d.Fail("use_v2", "the v2 health check (component status) is not supported by otlpd");
  }
  d.Finish();
  return c;
}

}  // namespace otlpd::extensions::health_check
