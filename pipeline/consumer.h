#pragma once

#include "pipeline/payload.h"
#include "pipeline/status.h"

namespace otlpd {

// Anything data is pushed into: a pipeline's entry queue, a processor, an
// exporter, a fan-out. Consume either takes the payload (Ok) or refuses it; a
// retryable refusal is back-pressure and travels back to the client.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual Status Consume(const PayloadPtr& payload) = 0;
  // True when Consume may wait on I/O (a synchronous pipeline appending to an
  // on-disk queue), so a receiver should keep threads enough to wait in parallel.
  virtual bool MayBlock() const { return false; }
};

}  // namespace otlpd
