#include "cmd/otlpd/components.h"

#include "connectors/forward/factory.h"
#include "connectors/routing/factory.h"
#include "connectors/spanmetrics/factory.h"
#include "exporters/debug/factory.h"
#include "exporters/file/factory.h"
#include "exporters/loadbalancing/factory.h"
#include "exporters/otlp/factory.h"
#include "exporters/otlphttp/factory.h"
#include "extensions/file_storage/factory.h"
#include "extensions/health_check/factory.h"
#include "processors/attributes/factory.h"
#include "processors/batch/factory.h"
#include "processors/filter/factory.h"
#include "processors/k8sattributes/factory.h"
#include "processors/memory_limiter/factory.h"
#include "processors/probabilistic_sampler/factory.h"
#include "processors/resource/factory.h"
#include "processors/resourcedetection/factory.h"
#include "processors/tail_sampling/factory.h"
#include "processors/transform/factory.h"
#include "receivers/otlp/factory.h"

namespace otlpd {

Components BuiltinComponents() {
  Components c;
  c.receivers.push_back(receivers::otlp::OtlpReceiverFactory());
  c.processors.push_back(processors::batch::BatchProcessorFactory());
  c.processors.push_back(processors::memory_limiter::MemoryLimiterProcessorFactory());
  c.processors.push_back(processors::probabilistic_sampler::ProbabilisticSamplerProcessorFactory());
  c.processors.push_back(processors::resource::ResourceProcessorFactory());
  c.processors.push_back(processors::resourcedetection::ResourceDetectionProcessorFactory());
  c.processors.push_back(processors::k8sattributes::K8sAttributesProcessorFactory());
  c.processors.push_back(processors::filter::FilterProcessorFactory());
  c.processors.push_back(processors::transform::TransformProcessorFactory());
  c.processors.push_back(processors::attributes::AttributesProcessorFactory());
  c.processors.push_back(processors::tail_sampling::TailSamplingProcessorFactory());
  c.exporters.push_back(exporters::debug::DebugExporterFactory());
  c.exporters.push_back(exporters::file::FileExporterFactory());
  c.exporters.push_back(exporters::loadbalancing::LoadBalancingExporterFactory());
  c.exporters.push_back(exporters::loadbalancing::LoadbalancingExporterFactory());
  c.exporters.push_back(exporters::otlp::OtlpExporterFactory());
  c.exporters.push_back(exporters::otlp::OtlpGrpcExporterFactory());
  c.exporters.push_back(exporters::otlphttp::OtlpHttpExporterFactory());
  c.exporters.push_back(exporters::otlphttp::OtlpUnderscoreHttpExporterFactory());
  c.extensions.push_back(extensions::health_check::HealthCheckExtensionFactory());
  c.extensions.push_back(extensions::file_storage::FileStorageExtensionFactory());
  c.connectors.push_back(connectors::forward::ForwardConnectorFactory());
  c.connectors.push_back(connectors::spanmetrics::SpanMetricsConnectorFactory());
  c.connectors.push_back(connectors::routing::RoutingConnectorFactory());
  return c;
}

}  // namespace otlpd
