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
  d.Finish();
  return c;
}

}  // namespace otlpd::extensions::health_check
