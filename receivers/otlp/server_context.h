#pragma once

#include <array>
#include <string>

#include "component/consumer.h"
#include "component/receive_budget.h"

namespace otlpd::receivers::otlp {

// What the receiver shares with each of its servers (gRPC C++, nghttp2,
// HTTP): its id for logs, the receive budget every request message is held
// on, and the consumer of each signal. The receiver owns it, fills in the
// consumers before Start, and outlives its servers, which only read it.
struct ServerContext {
  std::string receiver_id;
  ReceiveBudget* budget = nullptr;  // not null once the receiver is built
  std::array<Consumer*, kSignalCount> consumers{};
  // Per signal: whether something downstream reads Payload::gzip, so a
  // client's gzip member is worth keeping (set at Start, from the consumers).
  std::array<bool, kSignalCount> keep_gzip{};
};

}  // namespace otlpd::receivers::otlp
