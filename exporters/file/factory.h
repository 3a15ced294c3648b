#pragma once

#include "pipeline/factory.h"

namespace otlpd::exporters::file {

ExporterFactory FileExporterFactory();

}  // namespace otlpd::exporters::file
