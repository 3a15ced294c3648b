#include "extensions/file_storage/factory.h"

#include "extensions/file_storage/file_storage_extension.h"

namespace otlpd::extensions::file_storage {

ExtensionFactory FileStorageExtensionFactory() {
  return ExtensionFactory{
      .type = "file_storage",
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Extension> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<FileStorageExtension>(ctx.id.ToString(), ctx.path, Config::Decode(d));
      },
  };
}

}  // namespace otlpd::extensions::file_storage
