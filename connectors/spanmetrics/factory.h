#pragma once

#include "component/factory.h"

namespace otlpd::connectors::spanmetrics {

// Type "spanmetrics": traces to metrics (contrib v0.161.0's keys and defaults).
ConnectorFactory SpanMetricsConnectorFactory();

}  // namespace otlpd::connectors::spanmetrics
