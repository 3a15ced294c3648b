#pragma once

#include "pipeline/factory.h"

namespace otlpd {

// Every component compiled into this otlpd, by otelcol type name.
Components BuiltinComponents();

}  // namespace otlpd
