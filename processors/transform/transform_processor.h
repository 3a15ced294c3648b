#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "component/component.h"
#include "ottl/decoded.h"
#include "processors/transform/config.h"

namespace otlpd::processors::transform {

// Runs `groups` in order over a serialized Export*ServiceRequest of
// `signal` (decoded once on an Arena) and returns the serialized result.
// InvalidArgument when the bytes do not parse, or when a statement fails
// under error_mode propagate (`failed to execute statement: <text>, <err>`).
Result<std::string> TransformRequest(Signal signal, std::string_view request,
                                     const std::vector<StatementGroup>& groups);

// otelcol's `transform` processor: OTTL statements that set, delete, rename
// and rewrite telemetry. A signal without statements passes its bytes through
// untouched; otherwise the request is decoded and serialized once (once for
// a whole run of adjacent OTTL processors: ottl/decoded.h).
class TransformProcessor : public Processor, public DecodedConsumer {
 public:
  TransformProcessor(Signal signal, std::shared_ptr<const Config> config, Consumer* next)
      : signal_(signal), config_(std::move(config)), next_(next) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;
  Status ConsumeDecoded(DecodedPayload& payload) override;

 private:
  const Signal signal_;
  const std::shared_ptr<const Config> config_;
  Consumer* next_;
};

}  // namespace otlpd::processors::transform
