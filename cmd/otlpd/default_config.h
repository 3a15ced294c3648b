#pragma once

#include <string_view>

namespace otlpd {

// What otlpd runs with no --config: OTLP on localhost in, batch, debug out.
inline constexpr std::string_view kDefaultConfig = R"(receivers:
  otlp:
    protocols:
      grpc:
        endpoint: localhost:4317
      http:
        endpoint: localhost:4318

processors:
  batch:

exporters:
  debug:
    verbosity: basic

service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
)";

}  // namespace otlpd
