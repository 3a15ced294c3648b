#pragma once

#include "component/factory.h"

namespace otlpd::exporters::loadbalancing {

// contrib's exporter under its current type name `load_balancing`...
ExporterFactory LoadBalancingExporterFactory();
// ...and its deprecated (still documented) name `loadbalancing`.
ExporterFactory LoadbalancingExporterFactory();

}  // namespace otlpd::exporters::loadbalancing
