#pragma once

#include "component/factory.h"

namespace otlpd::exporters::otlphttp {

// The OTLP/HTTP exporter under its classic name `otlphttp`.
ExporterFactory OtlpHttpExporterFactory();
// The same exporter under otelcol's current name `otlp_http`.
ExporterFactory OtlpUnderscoreHttpExporterFactory();

}  // namespace otlpd::exporters::otlphttp
