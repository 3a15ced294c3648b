#pragma once

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"

namespace otlpd::connectors::forward {

// otelcol's `forward` connector: what one pipeline exports, the pipelines of
// the same signal that receive from it get, as the same payload (same bytes,
// shared, never copied). A refusal downstream is the upstream's refusal.
class ForwardConnector : public Connector {
 public:
  ForwardConnector(Signal signal, Consumer* next, ComponentTelemetry* telemetry)
      : signal_(signal), next_(next), telemetry_(telemetry) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;
  bool UsesGzip() const override { return next_->UsesGzip(); }

 private:
  const Signal signal_;
  Consumer* const next_;
  ComponentTelemetry* const telemetry_;
};

}  // namespace otlpd::connectors::forward
