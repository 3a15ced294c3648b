// A request some processor already decoded, handed along a run of adjacent
// processors that work on decoded data (the OTTL ones), so the run decodes
// and encodes once. Opaque here: ottl::DecodedRequest is the one kind; the
// service's telemetry shims only count and forward it.
#pragma once

#include <cstdint>

#include "component/consumer.h"
#include "component/payload.h"
#include "internal/status.h"

namespace otlpd {

class DecodedPayload {
 public:
  virtual ~DecodedPayload() = default;
  // Items (spans, data points, log records) in it now.
  virtual std::uint64_t items() const = 0;
  // For a consumer that takes bytes: the original payload when nothing
  // changed, else the request serialized again.
  virtual PayloadPtr Encode() const = 0;
};

// A consumer that can also take a request already decoded.
class DecodedConsumer {
 public:
  virtual ~DecodedConsumer() = default;
  virtual Status ConsumeDecoded(DecodedPayload& request) = 0;
};

// Hands `request` on to `next`: still decoded when `next` takes it so, else as bytes.
inline Status ForwardDecoded(DecodedPayload& request, Consumer* next) {
  if (auto* decoded = dynamic_cast<DecodedConsumer*>(next)) return decoded->ConsumeDecoded(request);
  return next->Consume(request.Encode());
}

}  // namespace otlpd
