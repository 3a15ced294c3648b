#pragma once

#include "component/factory.h"

namespace otlpd::processors::k8sattributes {

ProcessorFactory K8sAttributesProcessorFactory();

}  // namespace otlpd::processors::k8sattributes
