#pragma once

#include <string_view>

namespace otlpd {

// What otlpd runs with no --config: OTLP on localhost in, debug out.
inline constexpr std::string_view kDefaultConfig = R"(receivers:
  otlp:
    protocols:
      grpc:
        endpoint: localhost:4317

exporters:
  debug:
    verbosity: basic

service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      exporters: [debug]
    logs:
      receivers: [otlp]
      exporters: [debug]
)";

}  // namespace otlpd
