#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "component/component.h"
#include "component/telemetry.h"
#include "processors/probabilistic_sampler/config.h"
#include "processors/probabilistic_sampler/sampler.h"

namespace otlpd::processors::probabilistic_sampler {

// What sampling did to one serialized request.
struct SampledRequest {
  enum class Outcome : std::uint8_t {
    kUnchanged,  // every item kept as it was: forward the original bytes
    kRebuilt,    // `bytes` holds the new request
    kEmpty,      // nothing kept: forward nothing
  };
  Outcome outcome = Outcome::kUnchanged;
  std::string bytes;
  std::uint64_t items = 0;  // in the request
  std::uint64_t kept = 0;
};

// Samples every span / log record of a serialized Export{Trace,Logs}Service
// request by walking the wire format. Kept items are copied byte for byte
// (or re-encoded when their sampling state changes), resource and scope
// headers are re-emitted with fresh length prefixes, and resources and scopes
// left without items are dropped, as otelcol does. InvalidArgument on bytes
// that do not walk.
Status SampleRequest(const Sampler& sampler, Signal signal, std::string_view request, SampledRequest& out);

// The `probabilistic_sampler` processor (traces and logs): stateless, so one
// trace's spans share one decision wherever they arrive. Dropped items are
// counted as `dropped`; a request with nothing left is not passed on.
class ProbabilisticSamplerProcessor : public Processor {
 public:
  ProbabilisticSamplerProcessor(Signal signal, const Config& config, Consumer* next,
                                ComponentTelemetry* telemetry);

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;

 private:
  const Signal signal_;
  const Sampler sampler_;
  Consumer* next_;
  ComponentTelemetry* telemetry_;
};

}  // namespace otlpd::processors::probabilistic_sampler
