#include "extensions/health_check/factory.h"

#include "extensions/health_check/health_check_extension.h"

namespace otlpd::extensions::health_check {

ExtensionFactory HealthCheckExtensionFactory() {
  return ExtensionFactory{
      .type = "health_check",
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Extension> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<HealthCheckExtension>(
            ctx.id.ToString(), Config::Decode(d, ctx.gates.health_check_component_status));
      },
  };
}

}  // namespace otlpd::extensions::health_check
