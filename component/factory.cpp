#include "component/factory.h"

namespace otlpd {
namespace {
template <class F>
const F* FindType(const std::vector<F>& list, std::string_view type) {
  for (const F& f : list) {
    if (f.type == type) return &f;
  }
  return nullptr;
}
}  // namespace

const ReceiverFactory* Components::FindReceiver(std::string_view type) const {
  return FindType(receivers, type);
}
const ProcessorFactory* Components::FindProcessor(std::string_view type) const {
  return FindType(processors, type);
}
const ExporterFactory* Components::FindExporter(std::string_view type) const {
  return FindType(exporters, type);
}
const ExtensionFactory* Components::FindExtension(std::string_view type) const {
  return FindType(extensions, type);
}

}  // namespace otlpd
