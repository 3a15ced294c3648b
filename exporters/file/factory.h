#pragma once

#include "component/factory.h"

namespace otlpd::exporters::file {

ExporterFactory FileExporterFactory();

}  // namespace otlpd::exporters::file
