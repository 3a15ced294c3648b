#pragma once

#include "component/factory.h"

namespace otlpd::exporters::otlp {

// The OTLP/gRPC exporter under its classic name `otlp`.
ExporterFactory OtlpExporterFactory();
// The same exporter under otelcol's current name `otlp_grpc`.
ExporterFactory OtlpGrpcExporterFactory();

}  // namespace otlpd::exporters::otlp
