#pragma once

#include "component/factory.h"

namespace otlpd {

// Every component compiled into this otlpd, by otelcol type name.
Components BuiltinComponents();

}  // namespace otlpd
