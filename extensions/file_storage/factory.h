#pragma once

#include "component/factory.h"

namespace otlpd::extensions::file_storage {

ExtensionFactory FileStorageExtensionFactory();

}  // namespace otlpd::extensions::file_storage
