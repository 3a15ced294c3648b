#pragma once

#include "component/factory.h"

namespace otlpd::exporters::debug {

// Type "debug" for traces, metrics and logs. create() decodes and validates
// the config (throwing config::Error with the key path) and builds the
// exporter without opening its outputs; Start() does that.
ExporterFactory DebugExporterFactory();

}  // namespace otlpd::exporters::debug
