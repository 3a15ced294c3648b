// otelcol's processorhelper counts for every processor: items handed to it
// (otelcol_processor_incoming_items) and items it hands on
// (otelcol_processor_outgoing_items). The service puts one of these before
// each processor and one after it, so no processor has to count (or can
// forget to). Decoded requests (a run of OTTL processors) pass through still
// decoded.
#pragma once

#include <atomic>
#include <cstdint>

#include "component/consumer.h"
#include "component/decoded.h"
#include "component/telemetry.h"

namespace otlpd {

class ProcessorCounter : public Consumer, public DecodedConsumer {
 public:
  ProcessorCounter(Consumer* target, std::atomic<std::uint64_t>* counter)
      : target_(target), counter_(counter) {}

  Status Consume(const PayloadPtr& payload) override {
    SignalCounters::Add(*counter_, payload->items);
    return target_->Consume(payload);
  }
  bool UsesGzip() const override { return target_->UsesGzip(); }
  Status ConsumeDecoded(DecodedPayload& request) override {
    SignalCounters::Add(*counter_, request.items());
    return ForwardDecoded(request, target_);
  }

 private:
  Consumer* const target_;
  std::atomic<std::uint64_t>* const counter_;
};

}  // namespace otlpd
