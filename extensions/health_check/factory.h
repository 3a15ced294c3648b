#pragma once

#include "pipeline/factory.h"

namespace otlpd::extensions::health_check {

ExtensionFactory HealthCheckExtensionFactory();

}  // namespace otlpd::extensions::health_check
