#pragma once

#include "component/factory.h"

namespace otlpd::extensions::health_check {

ExtensionFactory HealthCheckExtensionFactory();

}  // namespace otlpd::extensions::health_check
