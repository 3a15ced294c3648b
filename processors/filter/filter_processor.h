#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "component/component.h"
#include "component/telemetry.h"
#include "ottl/decoded.h"
#include "processors/filter/config.h"

namespace otlpd::processors::filter {

// The outcome of filtering one request.
struct FilterResult {
  std::optional<std::string> bytes;  // nullopt: nothing was removed, keep the input bytes
  std::uint64_t items_before = 0;
  std::uint64_t items_after = 0;
  bool empty = false;  // nothing left: the request is not sent on
  Status error;        // error_mode propagate: the first condition error
};

// Runs `groups` over a serialized Export*ServiceRequest of `signal`: decodes
// it on an Arena, drops what a condition matches, prunes emptied scopes and
// resources as otelcol does, and serializes only when something was removed.
// InvalidArgument when the bytes do not parse.
Result<FilterResult> FilterRequest(Signal signal, std::string_view request,
                                   const std::vector<ConditionGroup>& groups);

// otelcol's `filter` processor: drops spans, span events, metrics, data
// points, log records or whole resources that OTTL conditions match.
// A signal without conditions passes its bytes through untouched. Next to
// another OTTL processor it shares one decode (ottl/decoded.h).
class FilterProcessor : public Processor, public DecodedConsumer {
 public:
  FilterProcessor(Signal signal, std::shared_ptr<const Config> config, Consumer* next,
                  ComponentTelemetry* telemetry)
      : signal_(signal), config_(std::move(config)), next_(next), telemetry_(telemetry) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;
  Status ConsumeDecoded(DecodedPayload& payload) override;

 private:
  // Only resource conditions: entries are dropped on the wire, items never decoded.
  Status ConsumeResources(const PayloadPtr& payload);

  const Signal signal_;
  const std::shared_ptr<const Config> config_;
  Consumer* next_;
  ComponentTelemetry* telemetry_;  // may be null in unit tests
};

}  // namespace otlpd::processors::filter
