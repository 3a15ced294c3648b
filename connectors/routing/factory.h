#pragma once

#include "component/factory.h"

namespace otlpd::connectors::routing {

// Type "routing": routes each resource (or item, or request) of one signal to
// the pipelines of the first table entry it matches (contrib's keys and messages).
ConnectorFactory RoutingConnectorFactory();

}  // namespace otlpd::connectors::routing
