#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "component/signal.h"

namespace otlpd {

// Client metadata (request headers or gRPC metadata) kept when a receiver has
// include_metadata on. Keys are lower-case; a key may repeat.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// The unit of data: one signal's serialized OTLP Export*ServiceRequest
// (uncompressed protobuf), its item count and its sender's metadata. It is
// immutable once handed on and shared by reference across fan-out.
struct Payload {
  Signal signal = Signal::kTraces;
  std::string bytes;
  std::uint64_t items = 0;                   // spans, metric data points or log records
  std::shared_ptr<const Metadata> metadata;  // null when not kept
};

using PayloadPtr = std::shared_ptr<const Payload>;

inline PayloadPtr MakePayload(Signal signal, std::string bytes, std::uint64_t items,
                              std::shared_ptr<const Metadata> metadata = nullptr) {
  return std::make_shared<const Payload>(Payload{signal, std::move(bytes), items, std::move(metadata)});
}

}  // namespace otlpd
