#include "cmd/otlpd/components.h"

#include "exporters/debug/factory.h"
#include "exporters/file/factory.h"
#include "processors/batch/factory.h"
#include "receivers/otlp/factory.h"

namespace otlpd {

Components BuiltinComponents() {
  Components c;
  c.receivers.push_back(receivers::otlp::OtlpReceiverFactory());
  c.processors.push_back(processors::batch::BatchProcessorFactory());
  c.exporters.push_back(exporters::debug::DebugExporterFactory());
  c.exporters.push_back(exporters::file::FileExporterFactory());
  return c;
}

}  // namespace otlpd
