#pragma once

#include "component/factory.h"

namespace otlpd::connectors::forward {

// Type "forward": traces to traces, metrics to metrics, logs to logs. It has
// no settings (an empty map or nothing).
ConnectorFactory ForwardConnectorFactory();

}  // namespace otlpd::connectors::forward
